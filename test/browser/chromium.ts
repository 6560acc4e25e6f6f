// Headless Chromium for the browser tests: Debian's /usr/bin/chromium driven by playwright-core
// (`.ci/run` installs the package when it is missing). The flags keep Chromium off the network
// beyond loopback: without them it retries Google's hosts on this closed network at every start.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';

/** Where Debian's chromium package puts the browser. */
export const CHROMIUM_PATH = process.env.PLUGSOCKET_CHROMIUM ?? '/usr/bin/chromium';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Starts headless Chromium; throws (never skips) when it is not installed. */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is not installed at ${CHROMIUM_PATH}: install Debian's chromium package ` +
        '(.ci/run does), or point PLUGSOCKET_CHROMIUM at a Chromium binary',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Bundles a page script for the browser the way an application would (ESM sources, browser
 * platform, no Node built-ins), as one classic script to add to a page.
 */
export async function bundlePage(entry: string): Promise<string> {
  const result = await build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    conditions: ['plugsocket-source'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0].text;
}
