import { expect } from 'chai';
import { ContractAudit, type ContractReport } from '../../contracts/audit.js';
import { resolveProtocolOptions } from '../../contracts/protocol/options.js';
import { renderMarkdownReport } from '../../contracts/report.js';
import type { TestRunner } from '../../contracts/runner.js';

/**
 * A fake vitest-style runner (only `afterAll`) that registers tests without running them, so a
 * test can run some of them, as a filtered run (`--grep`, `.only`) would.
 */
function fakeRunner() {
  const tests = new Map<string, () => Promise<unknown>>();
  const afterAll: (() => Promise<unknown>)[] = [];
  const it = Object.assign(
    (title: string, fn: () => Promise<unknown>) => {
      tests.set(title.split(' ')[0], fn);
    },
    { skip: () => undefined },
  );
  const runner = {
    describe: (_title: string, body: () => void) => body(),
    it,
    afterEach: () => undefined,
    afterAll: (fn: () => Promise<unknown>) => afterAll.push(fn),
  };
  return { runner: runner as unknown as TestRunner, tests, afterAll };
}

/** A suite of three tests (two MUST, one SHOULD), one of them gated off; returns its report. */
async function runSuite(ids: string[]): Promise<ContractReport> {
  const { runner, tests, afterAll } = fakeRunner();
  let report: ContractReport | undefined;
  const audit = new ContractAudit(
    'transport',
    'fake',
    1000,
    { runner, report: { onReport: (r) => void (report = r) } },
    { binary: false },
  );
  audit.root(() => {
    audit.test({ id: 'T-A-01', level: 'MUST', title: 'a' }, () => Promise.resolve());
    audit.test({ id: 'T-A-02', level: 'MUST', title: 'b' }, () => Promise.resolve());
    audit.test({ id: 'T-A-03', level: 'SHOULD', title: 'c' }, () => Promise.resolve());
    audit.test({ id: 'T-A-04', level: 'MUST', title: 'd', requires: 'binary' }, () =>
      Promise.resolve(),
    );
  });
  for (const id of ids) await tests.get(id)!();
  for (const hook of afterAll) await hook();
  return report!;
}

describe('ContractAudit reports', () => {
  it('conforms when every registered test ran and no MUST failed', async () => {
    const report = await runSuite(['T-A-01', 'T-A-02', 'T-A-03']);
    expect(report.conforms).to.equal(true);
    expect(report.summary.MUST).to.deep.equal({ passed: 2, failed: 0, skipped: 1, notRun: 0 });
    expect(report.tests.map((t) => t.outcome)).to.deep.equal([
      'passed',
      'passed',
      'passed',
      'skipped',
    ]);
  });

  it("records the tests a filtered run left out as 'not run' and does not conform", async () => {
    const report = await runSuite(['T-A-01']);
    expect(report.conforms).to.equal(false);
    expect(report.tests.map((t) => [t.id, t.outcome])).to.deep.equal([
      ['T-A-01', 'passed'],
      ['T-A-02', 'not run'],
      ['T-A-03', 'not run'],
      ['T-A-04', 'skipped'],
    ]);
    expect(report.summary.MUST).to.deep.equal({ passed: 1, failed: 0, skipped: 1, notRun: 1 });
    expect(report.summary.SHOULD).to.deep.equal({ passed: 0, failed: 0, skipped: 0, notRun: 1 });
    const markdown = renderMarkdownReport(report);
    expect(markdown).to.include('does NOT conform (2 tests did not run');
    expect(markdown).to.include('| Not run |');
    expect(markdown).to.match(/\| T-A-02 \| MUST \| not run \|/);
  });

  it('does not conform when only a SHOULD test was left out', async () => {
    const report = await runSuite(['T-A-01', 'T-A-02']);
    expect(report.conforms).to.equal(false);
  });
});

describe('resolveProtocolOptions() unknown options', () => {
  const valid = { name: 'server', url: 'ws://127.0.0.1:1' };

  it('accepts the known options', () => {
    expect(() => resolveProtocolOptions({ ...valid, peerRequests: false })).to.not.throw();
  });

  for (const key of ['echoReqest', 'maxPayLoad', 'credential']) {
    it(`throws a TypeError naming options.${key} and listing the known options`, () => {
      expect(() => resolveProtocolOptions({ ...valid, [key]: 'x' }))
        .to.throw(TypeError)
        .with.property('message')
        .that.includes(`options.${key} is not an option`)
        .and.includes('known: name, url, credentials');
    });
  }
});
