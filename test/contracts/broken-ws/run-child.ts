import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ContractRun } from '../run-contract-child.js';
import { WS_VARIANT_ENV } from './variants.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const MOCHA = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const FIXTURE = path.join(ROOT, 'test', 'contracts', 'broken-ws', 'run-contract.fixture.ts');
/** A child that takes longer than this is killed: the suite under test must never hang. */
const CHILD_TIMEOUT = 60_000;

/**
 * Runs the transport contract, fault tier included, against the ws adapter variant `variant` in
 * a child mocha process with the JSON reporter, as `../run-contract-child.ts` does for the memory
 * variants, and resolves with the parsed report. Never rejects: a child that crashes or writes no
 * report resolves without `stats`, which the caller's assertions show.
 */
export function runWsVariantChild(variant: string, reportFile: string): Promise<ContractRun> {
  // The repository's .mocharc.json would add every *.test.ts to the run, so it is bypassed.
  const args = [
    '--conditions=plugsocket-source',
    '--import',
    'tsx',
    MOCHA,
    '--no-config',
    '--reporter',
    'json',
    '--reporter-option',
    `output=${reportFile}`,
    '--exit',
    FIXTURE,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, [WS_VARIANT_ENV]: variant, PLUGSOCKET_CONTRACT_REPORTS: '' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: CHILD_TIMEOUT,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => void (stderr = (stderr + chunk).slice(-4000)));
    const finish = async (exitCode: number | null): Promise<void> => {
      try {
        const report = JSON.parse(await readFile(reportFile, 'utf8')) as Omit<
          ContractRun,
          'exitCode' | 'stderr'
        >;
        resolve({
          stats: report.stats,
          failures: report.failures,
          pending: report.pending,
          passes: report.passes,
          exitCode,
          stderr,
        });
      } catch {
        resolve({ failures: [], pending: [], passes: [], exitCode, stderr });
      }
    };
    child.on('error', (error) => {
      stderr += `\n${String(error)}`;
    });
    child.on('close', (code) => void finish(code));
  });
}
