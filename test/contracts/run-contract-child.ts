import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { VARIANT_ENV } from './broken/variants.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const MOCHA = path.join(ROOT, 'node_modules', 'mocha', 'bin', 'mocha.js');
const FIXTURE = path.join(ROOT, 'test', 'contracts', 'broken', 'run-contract.fixture.ts');
/** A child that takes longer than this is killed: the suite under test must never hang. */
const CHILD_TIMEOUT = 90_000;

/** One test of mocha's JSON report. */
export interface ReportedTest {
  title: string;
  fullTitle: string;
  err: { message?: string };
}

/** What one child run of the contract suite produced. */
export interface ContractRun {
  /** mocha's JSON stats; undefined when the child wrote no report. */
  stats?: { tests: number; passes: number; pending: number; failures: number };
  failures: ReportedTest[];
  pending: ReportedTest[];
  passes: ReportedTest[];
  exitCode: number | null;
  /** The tail of the child's stderr, for diagnosis. */
  stderr: string;
}

/** Which fixture a child runs, and how it is told the variant; defaults: the memory variants. */
export interface ContractChild {
  /** The fixture file the child mocha runs. */
  fixture?: string;
  /** The environment variable the fixture reads the variant name from. */
  variantEnv?: string;
}

/**
 * Runs the contract suite against the adapter variant `variant` in a child mocha process with the
 * JSON reporter (the memory variants' fixture unless the third argument names another, as the TCP and ws
 * variant sets do), and resolves with the parsed report. Never rejects: a child that crashes or
 * writes no report resolves without `stats`, which the caller's assertions show.
 */
export function runContractChild(
  variant: string,
  reportFile: string,
  { fixture = FIXTURE, variantEnv = VARIANT_ENV }: ContractChild = {},
): Promise<ContractRun> {
  // The repository's .mocharc.json would add every *.test.ts to the run, so it is bypassed and
  // the options the fixture needs are given here.
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
    fixture,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, [variantEnv]: variant, PLUGSOCKET_CONTRACT_REPORTS: '' },
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

/**
 * Starts `run` for every item with at most `concurrency` running at once, and returns each
 * item's promise at once, so that tests can await their own result while the others proceed.
 */
export function startPool<T>(
  items: readonly string[],
  concurrency: number,
  run: (item: string) => Promise<T>,
): Map<string, Promise<T>> {
  const queue = items.map((item) => {
    let start!: () => void;
    const started = new Promise<void>((resolve) => (start = resolve));
    return { item, start, result: started.then(() => run(item)) };
  });
  let next = 0;
  const launch = (): void => {
    const entry = queue[next++];
    if (entry === undefined) return;
    entry.start();
    // Each finished run frees its slot for the next queued one.
    void entry.result.then(launch, launch);
  };
  for (let i = 0; i < concurrency; i++) launch();
  return new Map(queue.map((entry) => [entry.item, entry.result]));
}
