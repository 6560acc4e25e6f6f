// The backplane contract (contracts/backplane-contract.ts) against wrong backplanes: each variant
// of MemoryCluster in ./broken-backplane/ breaks one promise of the port, and the suite, run in
// this process through a minimal runner, must fail the tests aimed at it, as its own compliance
// report (the audit API) records them. The unmodified MemoryCluster is the control, run with and
// without the crash, cut and restore hooks, and so is one that lists topics in another order.
import { expect } from 'chai';
import { MemoryCluster } from 'plugsocket';
import {
  describeBackplaneContract,
  type BackplaneContractOptions,
  type ContractReport,
} from 'plugsocket/contracts';
import {
  BACKPLANE_VARIANTS,
  variantOptions,
  type BackplaneVariantName,
} from './broken-backplane/variants.js';
import { runBackplaneSuite, type SuiteRun } from './broken-backplane/run-suite.js';
import { startPool } from './run-contract-child.js';

/**
 * Each broken variant, its one flaw, and the contract tests (by id) that must be among its
 * failures; with `exactly`, its failures must be those tests and no others, so the report shows
 * which test catches the flaw.
 */
const EXPECTED: Record<
  Exclude<
    BackplaneVariantName,
    'reference' | 'reference-no-fault-hooks' | 'reference-topics-reversed'
  >,
  { flaw: string; caughtBy: string[]; exactly?: true }
> = {
  'echo-to-self': {
    flaw: 'a broadcast is handed back to its sender too',
    caughtBy: ['B-PUB-02'],
    exactly: true,
  },
  'publish-to-lane': {
    flaw: 'publishTo() packets travel a macrotask behind publish() ones',
    // The late lane also delivers what was sent during an outage once it is over.
    caughtBy: ['B-ORDER-01', 'B-CUT-02', 'B-CUT-03'],
    exactly: true,
  },
  'json-data': {
    flaw: 'data goes through JSON, so Uint8Arrays in it arrive as objects',
    caughtBy: ['B-PACKET-05', 'B-PACKET-07'],
    exactly: true,
  },
  'publish-to-all': {
    flaw: 'publishTo() broadcasts to every node',
    caughtBy: ['B-PUB-03', 'B-PUB-04', 'B-ORDER-01'],
    exactly: true,
  },
  'presence-always-changed': {
    flaw: 'every addClient() and removeClient() reports changed: true',
    // The departure tests check presence after the fact with an addClient() too.
    caughtBy: ['B-PRES-01', 'B-PRES-02', 'B-PRES-03', 'B-PRES-04', 'B-CLOSE-01', 'B-CRASH-03'],
    exactly: true,
  },
  'no-crash-cleanup': {
    flaw: "a crashed node's entries and memberships stay in the directory",
    caughtBy: ['B-CRASH-03'],
    exactly: true,
  },
  'entries-kept-on-close': {
    flaw: "close() leaves the node's entries and memberships in the directory",
    caughtBy: ['B-CLOSE-01'],
    exactly: true,
  },
  'gone-twice': {
    flaw: 'nodeGone is reported twice on every node',
    caughtBy: ['B-CLOSE-02', 'B-CLOSE-03', 'B-CLOSE-04', 'B-CRASH-01', 'B-CRASH-02', 'B-CRASH-04'],
    exactly: true,
  },
  'take-not-atomic': {
    flaw: 'take() reads, then removes a moment later, so two nodes both get the record',
    caughtBy: ['B-SESS-05'],
    exactly: true,
  },
  'take-ignores-ttl': {
    flaw: 'the ttl given to save() is ignored, so take() returns an expired record',
    caughtBy: ['B-SESS-04'],
    exactly: true,
  },
  'proto-key-lost': {
    flaw: 'data is copied with plain assignment, so a "__proto__" key becomes a prototype',
    caughtBy: ['B-PACKET-09'],
    exactly: true,
  },
  'shared-packet': {
    flaw: 'a broadcast is one object handed to every receiver',
    caughtBy: ['B-PUB-06'],
    exactly: true,
  },
  'removed-to-cut-node': {
    flaw: "a gone node's removed entries go to the first survivor, even one that is cut off",
    caughtBy: ['B-CRASH-04'],
    exactly: true,
  },
  'offline-every-entry': {
    flaw: 'userOffline marks every removed entry of a user who went offline, parked ones too',
    caughtBy: ['B-CLOSE-03', 'B-CRASH-02', 'B-CRASH-04'],
    exactly: true,
  },
  'open-resolves-early': {
    flaw: 'open() resolves before the node has joined',
    // Nearly every test opens nodes and uses them at once, so most fail with these.
    caughtBy: ['B-OPEN-01', 'B-OPEN-02', 'B-OPEN-03'],
  },
};

/** The variant whose flaw makes most tests wait out their bound. */
const SLOW: BackplaneVariantName = 'open-resolves-early';

/** The tests gated on the crash hook and on the cut and restore hooks. */
const GATED = /^B-(CRASH|CUT)-/;

function failedIds(report: ContractReport): string[] {
  return report.tests.filter((t) => t.outcome === 'failed').map((t) => t.id);
}

function summary(run: SuiteRun): string {
  const failed = run.report.tests
    .filter((t) => t.outcome === 'failed')
    .map((t) => `  - ${t.id}: ${t.error ?? ''}`)
    .join('\n');
  const hooks = run.hookFailures.map((h) => `  - ${h}`).join('\n');
  return `failures:\n${failed || '  (none)'}\nhook failures:\n${hooks || '  (none)'}`;
}

describe('backplane contract suite', function () {
  describe('describeBackplaneContract() option validation', () => {
    const cluster = () => {
      const memory = new MemoryCluster();
      return { node: () => memory.backplane() };
    };
    const valid: Omit<BackplaneContractOptions, 'name'> = { cluster };
    const hook = (): void => undefined;
    const cases: [string, string, unknown, string][] = [
      ['an empty name', ' ', valid, 'name'],
      ['options that are not an object', 'x', null, 'options'],
      ['a missing cluster factory', 'x', {}, 'options.cluster'],
      ['a cluster that is not a function', 'x', { cluster: cluster() }, 'options.cluster'],
      ['a crash hook that is not a function', 'x', { cluster, crash: true }, 'options.crash'],
      ['cut without restore', 'x', { cluster, cut: hook }, 'options.cut and options.restore'],
      ['restore without cut', 'x', { cluster, restore: hook }, 'options.cut and options.restore'],
      ['a timeouts that is not an object', 'x', { cluster, timeouts: 5 }, 'options.timeouts'],
      [
        'an unknown timeout',
        'x',
        { cluster, timeouts: { nodeTimeOut: 5 } },
        'options.timeouts.nodeTimeOut is not an option',
      ],
      [
        'a non-positive timeout',
        'x',
        { cluster, timeouts: { delivery: 0 } },
        'options.timeouts.delivery',
      ],
      [
        'a nodeTimeout that does not fit in the per-test timeout',
        'x',
        { cluster, timeouts: { nodeTimeout: 9000 } },
        'raise options.timeout',
      ],
      ['a non-positive per-test timeout', 'x', { cluster, timeout: -1 }, 'options.timeout'],
      [
        'a misspelled hook',
        'x',
        { cluster, crashNode: hook },
        'options.crashNode is not an option',
      ],
    ];
    for (const [what, name, options, field] of cases) {
      it(`throws a TypeError naming ${field} for ${what}`, () => {
        expect(() =>
          describeBackplaneContract(
            (options === null
              ? null
              : { name, ...(options as object) }) as BackplaneContractOptions,
          ),
        )
          .to.throw(TypeError)
          .with.property('message')
          .that.includes(field);
      });
    }
  });

  describe('run against broken memory backplanes (in this process, read from the audit report)', function () {
    // The variants run a few at a time; each test waits for its own run.
    this.timeout(60_000);
    let runs: Map<string, Promise<SuiteRun>>;

    before(() => {
      // The slow one first (most of its tests wait out their bound), so that it is not the tail.
      const order = [SLOW, ...BACKPLANE_VARIANTS.filter((v) => v !== SLOW)];
      runs = startPool(order, 4, (variant) =>
        runBackplaneSuite(`memory variant "${variant}"`, (extra) =>
          variantOptions(variant as BackplaneVariantName, extra),
        ),
      );
    });

    after(async () => {
      // Let every run finish, so none outlives the file.
      await Promise.allSettled(runs.values());
    });

    it('passes the unmodified MemoryCluster: every test passed, none skipped, the report conforms', async () => {
      const run = await runs.get('reference')!;
      expect(failedIds(run.report), summary(run)).to.deep.equal([]);
      expect(run.hookFailures, summary(run)).to.deep.equal([]);
      expect(
        run.report.tests.filter((t) => t.outcome !== 'passed').map((t) => t.id),
        'tests not passed',
      ).to.deep.equal([]);
      expect(run.report.conforms).to.equal(true);
      expect(run.report.suite).to.equal('backplane');
      expect(run.report.supports).to.deep.equal({ crash: true, cut: true });
    });

    it('without crash, cut and restore hooks, skips exactly the [supports.crash] and [supports.cut] tests, reported as skipped', async () => {
      const [run, reference] = await Promise.all([
        runs.get('reference-no-fault-hooks')!,
        runs.get('reference')!,
      ]);
      expect(failedIds(run.report), summary(run)).to.deep.equal([]);
      const skipped = run.report.tests.filter((t) => t.outcome === 'skipped');
      expect(skipped.map((t) => t.id)).to.deep.equal(
        reference.report.tests.map((t) => t.id).filter((id) => GATED.test(id)),
      );
      expect(skipped.map((t) => t.requires)).to.have.members([
        ...skipped.filter((t) => t.id.startsWith('B-CRASH-')).map(() => 'crash'),
        ...skipped.filter((t) => t.id.startsWith('B-CUT-')).map(() => 'cut'),
      ]);
      expect(skipped.every((t) => t.skipReason !== undefined)).to.equal(true);
      expect(run.report.supports).to.deep.equal({ crash: false, cut: false });
      expect(run.report.conforms).to.equal(true);
    });

    it('passes a MemoryCluster that lists topics in another order (removed entries, session records): the port promises none', async () => {
      const run = await runs.get('reference-topics-reversed')!;
      expect(failedIds(run.report), summary(run)).to.deep.equal([]);
      expect(run.hookFailures, summary(run)).to.deep.equal([]);
      expect(run.report.conforms).to.equal(true);
    });

    for (const [variant, { flaw, caughtBy, exactly }] of Object.entries(EXPECTED)) {
      it(`fails "${variant}" (${flaw}) in ${caughtBy.join(', ')}${exactly ? ' and nothing else' : ''}`, async () => {
        const [run, reference] = await Promise.all([runs.get(variant)!, runs.get('reference')!]);
        const failed = failedIds(run.report);
        for (const id of caughtBy) {
          expect(failed, `"${id}" among the failures\n${summary(run)}`).to.include(id);
        }
        if (exactly) {
          expect(
            failed,
            `failures other than the tests meant to catch the flaw\n${summary(run)}`,
          ).to.have.members(caughtBy);
        }
        expect(run.report.conforms, 'the report conforms').to.equal(false);
        // Cleanup is bounded and never throws, so a flaw never aborts the rest of the suite.
        expect(run.hookFailures, summary(run)).to.deep.equal([]);
        expect(
          run.report.tests.length,
          'tests registered, compared with the reference run',
        ).to.equal(reference.report.tests.length);
        expect(
          run.report.tests.filter((t) => t.outcome === 'not run').map((t) => t.id),
          'tests that never finished',
        ).to.deep.equal([]);
      });
    }
  });
});
