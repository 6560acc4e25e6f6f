// The transport contract against wrong ws adapters: each variant of the ws adapter has one flaw an
// outside audit found the contract let through (.scratch/outside-broken), and the contract, run on
// it in a child mocha process, must fail the test aimed at it and nothing else. The unmodified
// adapter is the control.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  WS_VARIANT_ENV,
  WS_ADAPTER_VARIANTS,
  type WsAdapterVariantName,
} from './broken-ws/variants.js';
import { runContractChild, startPool, type ContractRun } from './run-contract-child.js';

/** Each flawed variant, its flaw, and the tests that must be (all) its failures. */
const EXPECTED: Record<
  Exclude<WsAdapterVariantName, 'reference'>,
  { flaw: string; caughtBy: string[] }
> = {
  'send-queue-reorder': {
    flaw: 'send() queues in the adapter under backpressure while sendMany() and sendPrepared() write straight through',
    // T-FAULT-12 sends under a backlog too, and sees the same reordering.
    caughtBy: ['T-FAULT-10', 'T-FAULT-12'],
  },
  'remote-with-port': {
    flaw: 'remoteAddress is reported as "ip:port"',
    caughtBy: ['T-FAULT-11'],
  },
  'remote-from-xff': {
    flaw: 'remoteAddress is taken from a client-sent X-Forwarded-For header',
    caughtBy: ['T-FAULT-11'],
  },
  'close-during-listen-leak': {
    flaw: 'close() during a pending listen() releases nothing, and the port stays bound',
    caughtBy: ['T-CLOSE-24'],
  },
  'listen-error-swallowed': {
    flaw: 'listen() on an address in use emits an error and resolves anyway',
    caughtBy: ['T-OPEN-08'],
  },
};

const HOOK_FAILURE = /"(before|after) (all|each)" hook/;
/** The tests the ws adapter skips by its manifest: those gated on structured, which it lacks. */
const GATED = /\[supports\.structured\]$/;

function summary(run: ContractRun): string {
  const failed = run.failures
    .map((f) => `  - ${f.fullTitle}: ${(f.err.message ?? '').split('\n')[0]}`)
    .join('\n');
  return `stats ${JSON.stringify(run.stats)}, exit ${run.exitCode}\nfailures:\n${failed || '  (none)'}\n${run.stderr}`;
}

describe('the transport contract run against broken ws adapters (each in a child mocha process)', function () {
  // Children run two at a time; each test waits for its own child, so the budget is per test.
  this.timeout(90_000);
  let reports: string;
  let runs: Map<string, Promise<ContractRun>>;

  before(() => {
    reports = mkdtempSync(path.join(tmpdir(), 'plugsocket-ws-contract-'));
    runs = startPool(Object.keys(WS_ADAPTER_VARIANTS), 2, (variant) =>
      runContractChild(variant, path.join(reports, `${variant}.json`), {
        fixture: fileURLToPath(new URL('./broken-ws/run-contract.fixture.ts', import.meta.url)),
        variantEnv: WS_VARIANT_ENV,
      }),
    );
  });

  after(async () => {
    // Let every child finish before its report directory goes away.
    await Promise.all(runs.values());
    rmSync(reports, { recursive: true, force: true });
  });

  it('passes the unmodified ws adapter, fault tier and createServerAt tests included, skipping only tests gated on capabilities it lacks', async () => {
    const run = await runs.get('reference')!;
    expect(run.stats, summary(run)).to.not.equal(undefined);
    expect(run.stats?.failures, summary(run)).to.equal(0);
    expect(run.exitCode, summary(run)).to.equal(0);
    const ran = run.passes.map((t) => t.title);
    for (const id of ['T-OPEN-08', 'T-CLOSE-24', 'T-FAULT-10', 'T-FAULT-11', 'T-FAULT-12']) {
      expect(
        ran.some((t) => t.startsWith(`${id} (`)),
        `${id} among the passed tests`,
      ).to.equal(true);
    }
    expect(
      run.pending.map((t) => t.title).filter((t) => !GATED.test(t)),
      'skipped tests not gated on a capability the ws adapter lacks',
    ).to.deep.equal([]);
  });

  for (const [variant, { flaw, caughtBy }] of Object.entries(EXPECTED)) {
    it(`fails "${variant}" (${flaw}) in ${caughtBy.join(', ')}, and nowhere else`, async () => {
      const [run, reference] = await Promise.all([runs.get(variant)!, runs.get('reference')!]);
      expect(run.stats, summary(run)).to.not.equal(undefined);
      expect(run.exitCode, summary(run)).to.not.equal(0);
      const failed = run.failures.map((f) => f.fullTitle);
      for (const id of caughtBy) {
        expect(
          failed.some((t) => t.includes(`${id} (`)),
          `"${id}" among the failures\n${summary(run)}`,
        ).to.equal(true);
      }
      expect(
        failed.filter((t) => !caughtBy.some((id) => t.includes(`${id} (`))),
        `failures outside ${caughtBy.join(', ')}\n${summary(run)}`,
      ).to.deep.equal([]);
      expect(
        failed.filter((t) => HOOK_FAILURE.test(t)),
        summary(run),
      ).to.deep.equal([]);
      expect(run.stats?.tests, 'tests run, compared with the reference run').to.equal(
        reference.stats?.tests,
      );
    });
  }
});
