import { expect } from 'chai';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FILE = path.join(ROOT, 'test', 'node-test', 'contracts.node-test.ts');

interface TapRun {
  pass: number;
  fail: number;
  skipped: number;
  notOk: string[];
  skippedTitles: string[];
  code: number | null;
  tail: string;
}

/** Runs the node:test file in a child `node --test` with the TAP reporter and parses its totals. */
function runNodeTest(): Promise<TapRun> {
  const args = [
    '--conditions=plugsocket-source',
    '--import',
    'tsx',
    '--test',
    '--test-reporter=tap',
    FILE,
  ];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      // The mocha run writes the reports of these suites; this child must not overwrite them.
      env: { ...process.env, PLUGSOCKET_CONTRACT_REPORTS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => void (out += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => void (out += chunk));
    child.on('close', (code) => {
      const total = (name: string): number =>
        Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(out)?.[1] ?? NaN);
      resolve({
        pass: total('pass'),
        fail: total('fail'),
        skipped: total('skipped'),
        notOk: [...out.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => m[1]),
        skippedTitles: [...out.matchAll(/^\s*ok \d+ - (.*) # SKIP/gm)].map((m) => m[1]),
        code,
        tail: out.slice(-3000),
      });
    });
  });
}

describe('the contract suites under node:test (no mocha, no chai)', function () {
  this.timeout(150_000);

  it('run in a child `node --test`: memory and ws transport contracts (ws with its fault tier) and the ws layer contract all pass, skipping only tests gated on structured or faults', async () => {
    const run = await runNodeTest();
    const why = `failed: ${run.notOk.join('; ')}\n${run.tail}`;
    expect(run.fail, why).to.equal(0);
    expect(run.code, why).to.equal(0);
    expect(run.pass, why).to.be.above(100);
    // Memory and ws both declare structured: false, and memory has no TCP for the fault tier;
    // nothing else may be skipped.
    expect(run.skipped, why).to.be.above(0).and.equal(run.skippedTitles.length);
    expect(
      run.skippedTitles.filter(
        (title) => !/\[supports\.(structured|faults)\]$/.test(title.replace(/ # SKIP.*/, '')),
      ),
      'skipped tests not gated on structured or faults',
    ).to.deep.equal([]);
  });
});
