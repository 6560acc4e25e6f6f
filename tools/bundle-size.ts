// What a page pays for plugsocket: minimal browser apps bundled the way an application bundles
// them (esbuild, ESM, browser platform, minified, tree-shaken), measured minified and gzipped,
// with Socket.IO's client doing the same job measured in the same run.
//
//   npm run size              prints the table
//   npm run size -- --check   also fails (exit 1) when the client app is over its budget, when a
//                             bundle pulls in a Node built-in, or when server code reaches a
//                             client bundle
//
// The budget is the figure measured when it was set plus a little headroom: raise it in the same
// change that makes the client bigger, with the reason, so the size never grows silently.
import { build, type Metafile } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, gzipSync, constants } from 'node:zlib';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Gzipped bytes the "client app" bundle may reach before `--check` fails. */
export const CLIENT_BUDGET = 21 * 1024;

/** One app to bundle. */
interface Scenario {
  readonly name: string;
  readonly source: string;
  /** Checked against CLIENT_BUDGET under `--check`. */
  readonly budget?: number;
  /** A plugsocket bundle: no file of src/server/ may reach it. */
  readonly plugsocket: boolean;
}

/** The apps measured: each connects, listens to one type, sends one message, makes one request. */
export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'plugsocket client app (SocketClient + BrowserSocket)',
    plugsocket: true,
    budget: CLIENT_BUDGET,
    source: `
import { SocketClient } from 'plugsocket';
import { BrowserSocket } from 'plugsocket/browser';
const client = new SocketClient(new BrowserSocket(), { url: '/rt' });
client.subscribe('chat', (payload) => console.log(payload));
await client.connect();
client.emit('hello', { a: 1 });
console.log(await client.request('add', { a: 1, b: 2 }));
`,
  },
  {
    name: 'plugsocket BrowserSocket alone (the transport, no client)',
    plugsocket: true,
    source: `
import { BrowserSocket } from 'plugsocket/browser';
const socket = new BrowserSocket();
socket.on('message', (frame) => console.log(frame));
await socket.connect({ url: '/rt' });
socket.send('hello');
`,
  },
  {
    name: 'socket.io-client app (io(), on, emit, emitWithAck)',
    plugsocket: false,
    source: `
import { io } from 'socket.io-client';
const socket = io('/rt');
socket.on('chat', (payload) => console.log(payload));
socket.emit('hello', { a: 1 });
console.log(await socket.emitWithAck('add', { a: 1, b: 2 }));
`,
  },
];

/** What one bundle measured. */
export interface SizeResult {
  readonly name: string;
  readonly minified: number;
  readonly gzip: number;
  readonly brotli: number;
  readonly budget: number | undefined;
  /** Files of src/server/ in the bundle (tree-shaking failed when not empty). */
  readonly serverFiles: string[];
  /** The largest contributors, by minified bytes: package or source folder. */
  readonly parts: [string, number][];
}

/** Bundles and measures one scenario. Node built-ins fail the build (browser platform). */
export async function measure(scenario: Scenario): Promise<SizeResult> {
  const dir = path.join(root, 'node_modules', '.cache', 'plugsocket-size');
  mkdirSync(dir, { recursive: true });
  const entry = path.join(dir, `${scenario.name.replace(/\W+/g, '-')}.ts`);
  writeFileSync(entry, scenario.source);
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    // The sources, as the package's built files would be: same code, no separate build step.
    conditions: ['plugsocket-source'],
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles[0].contents;
  const inputs = Object.values(result.metafile.outputs)[0].inputs;
  return {
    name: scenario.name,
    minified: code.length,
    gzip: gzipSync(code, { level: 9 }).length,
    brotli: brotliCompressSync(code, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11 },
    }).length,
    budget: scenario.budget,
    serverFiles: Object.keys(inputs).filter((file) => file.startsWith('src/server/')),
    parts: parts(inputs),
  };
}

function parts(inputs: Metafile['outputs'][string]['inputs']): [string, number][] {
  const by = new Map<string, number>();
  for (const [file, { bytesInOutput }] of Object.entries(inputs)) {
    const key = file
      .replace(/^.*node_modules\/((@[^/]+\/)?[^/]+).*$/, '$1')
      .replace(/^((src|adapters)\/[^/]+)\/.*$/, '$1/')
      .replace(/^src\/[^/]+\.ts$/, 'src/*.ts');
    by.set(key, (by.get(key) ?? 0) + bytesInOutput);
  }
  return [...by].filter(([, bytes]) => bytes > 0).sort((a, b) => b[1] - a[1]);
}

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

/** Problems `--check` fails on, one line each. */
export function problems(results: readonly SizeResult[]): string[] {
  const out: string[] = [];
  for (const r of results) {
    if (r.budget !== undefined && r.gzip > r.budget) {
      out.push(`${r.name}: ${kb(r.gzip)} gzipped is over its budget of ${kb(r.budget)}`);
    }
    if (r.serverFiles.length > 0) {
      out.push(`${r.name}: server code in a client bundle: ${r.serverFiles.join(', ')}`);
    }
  }
  return out;
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const results: SizeResult[] = [];
  for (const scenario of SCENARIOS) results.push(await measure(scenario));
  const socketIo = results.find((r) => r.name.startsWith('socket.io-client'));
  console.log(
    'bundle (esbuild, ESM, browser, minified)          min        gzip     brotli   vs socket.io-client (gzip)',
  );
  for (const r of results) {
    const ratio = socketIo === undefined ? '' : `${(r.gzip / socketIo.gzip).toFixed(2)}×`;
    console.log(
      `${r.name.padEnd(52)} ${kb(r.minified).padStart(9)} ${kb(r.gzip).padStart(10)} ${kb(r.brotli).padStart(10)}   ${ratio}${r.budget === undefined ? '' : `  (budget ${kb(r.budget)})`}`,
    );
  }
  const client = results[0];
  console.log(`\nwhere the client app's minified bytes come from:`);
  for (const [part, bytes] of client.parts)
    console.log(`  ${part.padEnd(28)} ${kb(bytes).padStart(9)}`);
  const found = problems(results);
  for (const line of found) console.error(`size check: ${line}`);
  if (check && found.length > 0) process.exitCode = 1;
  else if (check) console.log('\nsize check passed');
}

if (
  process.argv[1] !== undefined &&
  fileURLToPath(import.meta.url) === path.resolve(process.argv[1])
) {
  await main();
}
