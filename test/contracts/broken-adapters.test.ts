import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  MEMORY_CAPABILITIES,
  MemorySocket,
  MemorySocketServer,
} from '../../adapters/memory/index.js';
import { describeTransportContract, type TransportContractOptions } from '../../contracts/index.js';
import { ADAPTER_VARIANTS, type AdapterVariantName } from './broken/variants.js';
import { runContractChild, startPool, type ContractRun } from './run-contract-child.js';

/**
 * Each broken variant, its one flaw, and the contract tests (by title substring) that must be
 * among its failures; with `exactly`, its failures must be those tests and no others, so the run
 * shows which test catches the flaw. The suite is only as good as the wrong adapters it rejects.
 */
const EXPECTED: Record<
  Exclude<AdapterVariantName, 'reference' | 'reference-structured'>,
  { flaw: string; caughtBy: string[]; exactly?: true }
> = {
  'drop-frame': {
    flaw: 'the client loses its 500th frame',
    caughtBy: ['T-FRAME-01'],
  },
  'reorder-frames': {
    flaw: 'the server swaps two frames',
    caughtBy: ['T-FRAME-02'],
  },
  'silent-remote-close': {
    flaw: 'the client never emits close when the server closes it',
    caughtBy: ['T-CLOSE-02', 'T-CLOSE-07', 'T-CLOSE-08'],
  },
  'sticky-connected': {
    flaw: 'isClientConnected() stays true after close',
    caughtBy: ['T-CLOSE-05', 'T-CLOSE-06'],
  },
  'flat-auth': {
    flaw: 'the handshake auth loses its nested values',
    caughtBy: ['T-HANDSHAKE-03'],
  },
  'early-open': {
    flaw: 'the client opens before the server accepted',
    caughtBy: ['T-OPEN-02', 'T-OPEN-03'],
  },
  'double-deliver': {
    flaw: 'after a reconnect every frame is delivered twice',
    caughtBy: ['T-RECONNECT-01'],
  },
  'leak-listeners': {
    flaw: 'every connect leaks a listener',
    caughtBy: ['T-RECONNECT-02'],
  },
  'ignore-close-codes': {
    flaw: 'close codes and reasons are replaced by 1000',
    caughtBy: ['T-CLOSE-01', 'T-CLOSE-02'],
  },
  'latin1-text': {
    flaw: 'non-ASCII text is re-encoded as latin1',
    caughtBy: ['T-FRAME-04'],
  },
  'seven-bit-binary': {
    flaw: 'binary frames lose the high bit of every byte',
    caughtBy: ['T-FRAME-06'],
  },
  'hanging-close': {
    flaw: 'server close() never resolves',
    caughtBy: ['T-CLOSE-07', 'T-CLOSE-11'],
  },
  'unacknowledged-disconnect': {
    flaw: 'the client close hook never reports, so disconnect() waits for the close timeout',
    caughtBy: ['T-CLOSE-01', 'T-CLOSE-09'],
  },
  'unnoticed-vanish': {
    flaw: 'the server does not report a client that vanished without a close handshake',
    caughtBy: ['T-CLOSE-03'],
  },
  'throwing-send': {
    flaw: 'send() after close throws',
    caughtBy: ['T-SEND-01'],
  },
  'silent-ping': {
    flaw: 'ping() is declared but no pong ever comes',
    caughtBy: ['T-PING-01'],
  },
  'manifest-mismatch': {
    flaw: 'the server declares another manifest than the one tested',
    caughtBy: ['T-MANIFEST-01'],
  },
  'structured-as-text': {
    flaw: 'structured frames are declared but travel as JSON text',
    caughtBy: [
      ...['01', '02', '03', '04', '05', '06', '07', '08', '09'].map((n) => `T-STRUCT-${n}`),
      // Its declared branch: the arrays sent through each path must arrive as arrays.
      'T-STRUCT-10',
    ],
    exactly: true,
  },
  'structured-flattened': {
    flaw: 'arrays nested in structured frames are flattened',
    caughtBy: ['T-STRUCT-09', 'T-STRUCT-08'],
    exactly: true,
  },
  'text-as-structured': {
    flaw: 'text that parses as a JSON array arrives as a structured frame',
    caughtBy: ['T-STRUCT-05'],
    exactly: true,
  },
  'lenient-arrays': {
    flaw: 'without structured in its manifest, client send() takes an array instead of throwing',
    caughtBy: ['T-STRUCT-10'],
    exactly: true,
  },
};

/** What the title of every test gated on `supports.structured` ends with. */
const STRUCTURED_GATE = '[supports.structured]';

const HOOK_FAILURE = /"(before|after) (all|each)" hook/;

function summary(run: ContractRun): string {
  const failed = run.failures
    .map((f) => `  - ${f.fullTitle}: ${(f.err.message ?? '').split('\n')[0]}`)
    .join('\n');
  return `stats ${JSON.stringify(run.stats)}, exit ${run.exitCode}\nfailures:\n${failed || '  (none)'}\n${run.stderr}`;
}

describe('transport contract suite', function () {
  describe('describeTransportContract() option validation', () => {
    const valid: TransportContractOptions = {
      name: 'valid',
      createServer: () => new MemorySocketServer(),
      createClient: () => new MemorySocket(),
      supports: MEMORY_CAPABILITIES,
    };
    // A manifest written before `structured` existed: every other flag, that one absent.
    const { structured: _structured, ...withoutStructured } = MEMORY_CAPABILITIES;
    const cases: [string, unknown, string][] = [
      ['options that are not an object', null, 'options'],
      ['a missing name', { ...valid, name: undefined }, 'options.name'],
      ['an empty name', { ...valid, name: '  ' }, 'options.name'],
      [
        'a createServer that is not a function',
        { ...valid, createServer: new MemorySocketServer() },
        'options.createServer',
      ],
      [
        'a createClient that is not a function',
        { ...valid, createClient: 'MemorySocket' },
        'options.createClient',
      ],
      ['a missing supports', { ...valid, supports: undefined }, 'options.supports'],
      [
        'a supports without one capability',
        { ...valid, supports: { ...MEMORY_CAPABILITIES, remoteAddress: undefined } },
        'options.supports.remoteAddress',
      ],
      [
        'a supports written before the structured capability existed',
        { ...valid, supports: withoutStructured },
        'options.supports.structured',
      ],
      [
        'a non-boolean capability',
        { ...valid, supports: { ...MEMORY_CAPABILITIES, ping: 'yes' } },
        'options.supports.ping',
      ],
      [
        'an unknown capability',
        { ...valid, supports: { ...MEMORY_CAPABILITIES, rooms: true } },
        'options.supports.rooms',
      ],
      ['a non-positive timeout', { ...valid, timeout: 0 }, 'options.timeout'],
      [
        'a connectOptions that is not a function',
        { ...valid, connectOptions: { url: 'memory://x' } },
        'options.connectOptions',
      ],
    ];
    for (const [what, options, field] of cases) {
      it(`throws a TypeError naming ${field} for ${what}`, () => {
        expect(() => describeTransportContract(options as TransportContractOptions))
          .to.throw(TypeError)
          .with.property('message')
          .that.includes(field);
      });
    }
  });

  describe('run against broken adapters (each in a child mocha process)', function () {
    // Children run two at a time; each test waits for its own child, so the budget is per test.
    this.timeout(120_000);
    let reports: string;
    let runs: Map<string, Promise<ContractRun>>;

    before(() => {
      reports = mkdtempSync(path.join(tmpdir(), 'plugsocket-contract-'));
      runs = startPool(Object.keys(ADAPTER_VARIANTS), 2, (variant) =>
        runContractChild(variant, path.join(reports, `${variant}.json`)),
      );
    });

    after(async () => {
      // Let every child finish before its report directory goes away.
      await Promise.all(runs.values());
      rmSync(reports, { recursive: true, force: true });
    });

    it('passes the memory adapter declaring structured (arrays carried as arrays) with every test run and none failed or skipped', async () => {
      const run = await runs.get('reference-structured')!;
      expect(run.stats, summary(run)).to.not.equal(undefined);
      expect(run.stats?.failures, summary(run)).to.equal(0);
      expect(run.stats?.pending, summary(run)).to.equal(0);
      expect(run.stats?.passes, summary(run)).to.equal(run.stats?.tests).and.be.above(30);
    });

    it('passes the unmodified memory adapter with no test failed, skipping exactly the [supports.structured] tests its manifest turns off', async () => {
      const [run, structured] = await Promise.all([
        runs.get('reference')!,
        runs.get('reference-structured')!,
      ]);
      expect(run.stats, summary(run)).to.not.equal(undefined);
      expect(run.stats?.failures, summary(run)).to.equal(0);
      expect(run.stats?.passes, summary(run)).to.be.above(30);
      expect(run.stats?.tests, 'tests run, compared with the structured control').to.equal(
        structured.stats?.tests,
      );
      // Skipped: the gated tests, which the structured control runs and passes, and nothing else.
      const gated = structured.passes
        .map((t) => t.title)
        .filter((t) => t.endsWith(STRUCTURED_GATE));
      expect(gated, 'structured-gated tests passed by the structured control').to.not.be.empty;
      expect(
        run.pending.map((t) => t.title),
        summary(run),
      ).to.have.members(gated);
      expect(run.stats?.passes, summary(run)).to.equal((run.stats?.tests ?? 0) - gated.length);
    });

    for (const [variant, { flaw, caughtBy, exactly }] of Object.entries(EXPECTED)) {
      it(`fails "${variant}" (${flaw}) in the tests meant to catch it, without a hook failure`, async () => {
        const [run, reference] = await Promise.all([runs.get(variant)!, runs.get('reference')!]);
        expect(run.stats, summary(run)).to.not.equal(undefined);
        expect(run.stats?.failures, summary(run)).to.be.above(0);
        expect(run.exitCode, summary(run)).to.not.equal(0);
        const failed = run.failures.map((f) => f.fullTitle);
        for (const title of caughtBy) {
          expect(
            failed.some((t) => t.includes(`${title} (`)),
            `"${title}" among the failures\n${summary(run)}`,
          ).to.equal(true);
        }
        if (exactly) {
          expect(
            failed.filter((t) => !caughtBy.some((title) => t.includes(`${title} (`))),
            `failures other than the tests meant to catch the flaw\n${summary(run)}`,
          ).to.deep.equal([]);
          expect(
            failed,
            `one failure per test meant to catch the flaw\n${summary(run)}`,
          ).to.have.length(caughtBy.length);
        }
        // Cleanup is bounded and never throws, so a flaw never aborts the rest of the suite.
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
});
