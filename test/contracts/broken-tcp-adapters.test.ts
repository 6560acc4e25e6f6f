// The fault tier of the transport contract (T-FAULT-*, contracts/transport/fault-tests.ts) against
// wrong TCP adapters: each variant of the TCP example adapter has one flaw that only a broken
// network shows, and the contract, run on it in a child mocha process, must fail the fault test
// aimed at it and nothing outside the tier. The unmodified adapter is the control.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  MEMORY_CAPABILITIES,
  MemorySocket,
  MemorySocketServer,
} from '../../adapters/memory/index.js';
import { describeTransportContract, type TransportContractOptions } from '../../contracts/index.js';
import { resolveTransportContractOptions } from '../../contracts/transport-options.js';
import {
  TCP_VARIANT_ENV,
  TCP_ADAPTER_VARIANTS,
  type TcpAdapterVariantName,
} from './broken-tcp/variants.js';
import { runContractChild, startPool, type ContractRun } from './run-contract-child.js';

/** Each flawed variant, its flaw, and the fault tests that must be among its failures. */
const EXPECTED: Record<
  Exclude<TcpAdapterVariantName, 'reference'>,
  { flaw: string; caughtBy: string[]; alsoCaughtBy?: string[] }
> = {
  'partial-frame-on-eof': {
    flaw: 'the server hands out the partial frame it buffered when the stream ends',
    caughtBy: ['T-FAULT-01'],
  },
  'double-close-on-reset': {
    flaw: 'the client reports a connection lost to a TCP reset twice',
    caughtBy: ['T-FAULT-03'],
  },
  'connect-ignores-timeout': {
    flaw: 'connect() replaces the caller’s timeout with its own 30 s',
    caughtBy: ['T-FAULT-07'],
  },
  'dangling-connect': {
    flaw: 'a connect that timed out against a silent server leaves its TCP connection open',
    caughtBy: ['T-FAULT-07'],
    // Aborted and failed connects leave connections behind too, which these tests also see.
    alsoCaughtBy: ['T-RECONNECT-05', 'T-RECONNECT-06'],
  },
  'close-waits-for-handshakes': {
    flaw: 'server close() waits for handshakes in progress, and one never finishes',
    caughtBy: ['T-FAULT-08'],
  },
  'resend-after-cut': {
    flaw: 'the client re-sends its last frame on the connection after a cut',
    caughtBy: ['T-FAULT-06'],
  },
  'binary-by-reference': {
    flaw: 'the server writes the caller’s binary bytes by reference, so a change after send() goes out',
    caughtBy: ['T-FAULT-12'],
  },
};

/** What the title of every fault-tier test carries. */
const FAULT_ID = /T-FAULT-\d+ \(/;
const HOOK_FAILURE = /"(before|after) (all|each)" hook/;

function summary(run: ContractRun): string {
  const failed = run.failures
    .map((f) => `  - ${f.fullTitle}: ${(f.err.message ?? '').split('\n')[0]}`)
    .join('\n');
  return `stats ${JSON.stringify(run.stats)}, exit ${run.exitCode}\nfailures:\n${failed || '  (none)'}\n${run.stderr}`;
}

describe('the fault tier of the transport contract', function () {
  describe('options.faults', () => {
    const valid: TransportContractOptions = {
      name: 'valid',
      createServer: () => new MemorySocketServer(),
      createClient: () => new MemorySocket(),
      supports: MEMORY_CAPABILITIES,
    };
    const cases: [string, unknown, string][] = [
      ['a string', 'yes', 'options.faults'],
      ['an array', [], 'options.faults'],
      ['an unknown field', { trough: () => ({ url: 'x' }) }, 'options.faults.trough'],
      [
        'a target that is not a function',
        { target: { host: 'h', port: 1 } },
        'options.faults.target',
      ],
      ['a through that is not a function', { through: 'ws://x' }, 'options.faults.through'],
    ];
    for (const [what, faults, field] of cases) {
      it(`throws a TypeError naming ${field} for ${what}`, () => {
        expect(() => describeTransportContract({ ...valid, faults } as TransportContractOptions))
          .to.throw(TypeError)
          .with.property('message')
          .that.includes(field);
      });
    }

    it('is off when absent or false', () => {
      expect(resolveTransportContractOptions(valid).faults).to.equal(undefined);
      expect(resolveTransportContractOptions({ ...valid, faults: false }).faults).to.equal(
        undefined,
      );
    });

    it('by default targets the host and port of the url, a wildcard host made loopback', () => {
      const { faults } = resolveTransportContractOptions({ ...valid, faults: true });
      expect(faults?.target({ url: 'ws://127.0.0.1:4100/rt' })).to.deep.equal({
        host: '127.0.0.1',
        port: 4100,
      });
      expect(faults?.target({ url: 'tcp://[::1]:4101' })).to.deep.equal({
        host: '::1',
        port: 4101,
      });
      expect(faults?.target({ url: 'http://0.0.0.0:4102/chat' })).to.deep.equal({
        host: '127.0.0.1',
        port: 4102,
      });
      // No port in the url (the scheme's default): address.port.
      expect(faults?.target({ url: 'ws://localhost/rt', port: 4103 })).to.deep.equal({
        host: 'localhost',
        port: 4103,
      });
      expect(faults?.target({ host: '::', port: 4104 })).to.deep.equal({ host: '::1', port: 4104 });
      expect(() => faults?.target({})).to.throw(TypeError, 'options.faults.target');
    });

    it('by default connects through the proxy with the url’s host and port replaced, path and query kept', () => {
      const { faults } = resolveTransportContractOptions({
        ...valid,
        faults: true,
        connectOptions: (address) => ({ url: `${address.url}/rt?room=1`, timeout: 1234 }),
      } satisfies TransportContractOptions);
      const proxy = { host: '127.0.0.1', port: 4200 };
      expect(faults?.through({ url: 'tcp://127.0.0.1:4100' }, proxy)).to.deep.equal({
        url: 'tcp://127.0.0.1:4200/rt?room=1',
        timeout: 1234,
      });
      expect(
        faults?.through({ url: 'ws://127.0.0.1:4100' }, { host: '::1', port: 4201 }),
      ).to.deep.equal({
        url: 'ws://[::1]:4201/rt?room=1',
        timeout: 1234,
      });
    });

    it('uses the author’s target and through, and checks what target returns', () => {
      const { faults } = resolveTransportContractOptions({
        ...valid,
        faults: {
          target: () => ({ host: '127.0.0.2', port: 4300 }),
          through: (_address, proxy) => ({ url: `x://${proxy.host}:${proxy.port}/` }),
        },
      } satisfies TransportContractOptions);
      expect(faults?.target({})).to.deep.equal({ host: '127.0.0.2', port: 4300 });
      expect(faults?.through({}, { host: '127.0.0.1', port: 4301 })).to.deep.equal({
        url: 'x://127.0.0.1:4301/',
      });
      const bad = resolveTransportContractOptions({
        ...valid,
        faults: { target: () => ({ host: '127.0.0.1', port: 0 }) },
      });
      expect(() => bad.faults?.target({})).to.throw(TypeError, 'options.faults.target');
    });
  });

  describe('run against broken TCP adapters (each in a child mocha process)', function () {
    // Children run two at a time; each test waits for its own child, so the budget is per test.
    this.timeout(90_000);
    let reports: string;
    let runs: Map<string, Promise<ContractRun>>;

    before(() => {
      reports = mkdtempSync(path.join(tmpdir(), 'plugsocket-tcp-contract-'));
      runs = startPool(Object.keys(TCP_ADAPTER_VARIANTS), 2, (variant) =>
        runContractChild(variant, path.join(reports, `${variant}.json`), {
          fixture: fileURLToPath(new URL('./broken-tcp/run-contract.fixture.ts', import.meta.url)),
          variantEnv: TCP_VARIANT_ENV,
        }),
      );
    });

    after(async () => {
      // Let every child finish before its report directory goes away.
      await Promise.all(runs.values());
      rmSync(reports, { recursive: true, force: true });
    });

    it('passes the unmodified TCP adapter, fault tier included, with nothing failed and only the [supports.structured] tests skipped', async () => {
      const run = await runs.get('reference')!;
      expect(run.stats, summary(run)).to.not.equal(undefined);
      expect(run.stats?.failures, summary(run)).to.equal(0);
      expect(run.exitCode, summary(run)).to.equal(0);
      const ran = run.passes.map((t) => t.title);
      expect(
        ran.filter((t) => FAULT_ID.test(t)),
        'fault tests passed',
      ).to.have.length(12);
      expect(
        run.pending.map((t) => t.title).filter((t) => !t.endsWith('[supports.structured]')),
        'skipped tests not gated on structured',
      ).to.deep.equal([]);
    });

    for (const [variant, { flaw, caughtBy, alsoCaughtBy = [] }] of Object.entries(EXPECTED)) {
      it(`fails "${variant}" (${flaw}) in ${caughtBy.join(', ')}, and only in the fault tier`, async () => {
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
        // The flaw is one only a broken network shows: every other test passes.
        expect(
          failed.filter(
            (t) => !FAULT_ID.test(t) && !alsoCaughtBy.some((id) => t.includes(`${id} (`)),
          ),
          `failures outside the fault tier\n${summary(run)}`,
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
});
