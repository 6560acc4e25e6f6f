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
  'silent-client-ping': {
    flaw: "the client socket's ping() reports a ping but none goes, so no pong comes",
    caughtBy: ['T-PING-06', 'T-PING-08'],
  },
  'stuck-buffered-amount': {
    flaw: 'the client socket reports every byte ever sent as still buffered',
    caughtBy: ['T-BUF-01'],
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
      // Non-finite numbers arrive as JSON carries them, but in a string.
      'T-STRUCT-11',
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

  // Text content.
  'nul-truncate': {
    flaw: 'text is cut at its first NUL (a C-string layer)',
    // The NUL-heavy headroom frame of T-SIZE-02 arrives empty too.
    caughtBy: ['T-TEXT-01', 'T-SIZE-02'],
  },
  'lone-surrogate-throws': {
    flaw: 'text is percent-encoded, so send() refuses text with a lone surrogate',
    caughtBy: ['T-TEXT-02'],
    exactly: true,
  },
  'chunk-split-utf8': {
    flaw: 'large text is decoded per 16 KiB chunk, so characters split at a chunk edge become U+FFFD',
    caughtBy: ['T-TEXT-03'],
    exactly: true,
  },
  'crlf-normalize': {
    flaw: 'CRLF in text becomes LF',
    caughtBy: ['T-TEXT-01'],
    exactly: true,
  },
  'newline-split': {
    flaw: 'newline-delimited framing: a text frame holding newlines arrives as several',
    caughtBy: ['T-TEXT-01'],
    exactly: true,
  },
  'u2028-line-split': {
    flaw: 'NDJSON framing splits frames at U+2028/U+2029 and drops the pieces',
    caughtBy: ['T-TEXT-01'],
    exactly: true,
  },
  'bom-strip': {
    flaw: 'a default TextDecoder strips a leading BOM from text',
    caughtBy: ['T-TEXT-01'],
    exactly: true,
  },
  'fffd-rejected': {
    flaw: 'text holding U+FFFD is dropped as invalid UTF-8',
    caughtBy: ['T-TEXT-01'],
    exactly: true,
  },
  'large-text-latin1-fastpath': {
    flaw: 'text over 64 Ki characters is sent as latin1 (a fast path)',
    caughtBy: ['T-TEXT-03'],
    exactly: true,
  },

  // Sizes, long streams and back-pressure.
  'seq16-wrap': {
    flaw: 'a 16-bit sequence number wraps and every later frame is dropped as a duplicate',
    caughtBy: ['T-STREAM-01'],
    exactly: true,
  },
  'queue-cap-1024': {
    flaw: 'a 1,024-slot write queue drops the excess of a burst',
    // The queue defers every write, so frames also overtake and miss closes.
    caughtBy: ['T-STREAM-01', 'T-BINARY-02', 'T-CLOSE-18', 'T-CLOSE-19'],
  },
  'binary-64k-cap': {
    flaw: 'binary frames over 64 KiB lose everything after the first 64 KiB',
    caughtBy: ['T-SIZE-01', 'T-BINARY-05'],
  },
  'limit-equals-maxpayload': {
    flaw: 'the transport limit equals the domain maxPayload, so 1 MiB + 1 byte closes with 1009',
    caughtBy: ['T-SIZE-02', 'T-SIZE-01'],
  },
  'escaped-size-limit': {
    flaw: 'the size limit is counted on JSON-escaped text, so 1 MiB of NULs closes the connection',
    caughtBy: ['T-SIZE-02'],
    exactly: true,
  },
  'bytes-written-as-backlog': {
    flaw: 'bytes ever written are reported as the backlog, so a busy healthy client is dropped and a drained one never drains',
    caughtBy: ['T-FRAME-14', 'T-BACKPRESSURE-04'],
    exactly: true,
  },

  // Binary views, copies and kinds.
  'whole-backing-buffer': {
    flaw: "a view's whole backing ArrayBuffer is sent",
    caughtBy: ['T-BINARY-01'],
    exactly: true,
  },
  'view-tail': {
    flaw: 'a view is sent from its byteOffset to the end of its buffer (byteLength ignored)',
    caughtBy: ['T-BINARY-01'],
    exactly: true,
  },
  'lazy-send-copy': {
    flaw: "the client's write queue copies the caller's bytes only when it flushes",
    caughtBy: ['T-BINARY-02', 'T-CLOSE-23'],
  },
  'lazy-broadcast-copy': {
    flaw: "the broadcast path reads the caller's bytes a microtask late",
    caughtBy: ['T-BINARY-02', 'T-FRAME-13'],
  },
  'json-sniffed-kind': {
    flaw: 'binary that decodes as UTF-8 JSON arrives as text',
    caughtBy: ['T-BINARY-03'],
    exactly: true,
  },
  'kind-queues': {
    flaw: 'text and binary wait in separate queues, text flushed first',
    caughtBy: ['T-BINARY-04', 'T-BINARY-02', 'T-CLOSE-18', 'T-CLOSE-19'],
  },
  'scratch-receive-grow': {
    flaw: 'received binary is a view into one scratch buffer that the next frame overwrites',
    caughtBy: ['T-BINARY-05', 'T-BINARY-01', 'T-BINARY-03', 'T-BINARY-04'],
  },

  // Broadcast paths.
  'sendmany-minority-path': {
    flaw: 'sendMany() to a minority of connections reaches every connection',
    caughtBy: ['T-FRAME-12'],
    exactly: true,
  },
  'broadcast-lane': {
    flaw: 'broadcasts are flushed on a timer, after direct sends made later',
    caughtBy: ['T-FRAME-13', 'T-BACKPRESSURE-02'],
    exactly: true,
  },

  // Close information.
  'reason-latin1': {
    flaw: 'close reasons are decoded as latin1',
    caughtBy: ['T-CLOSE-13', 'T-CLOSE-14'],
  },
  'reason-cap-32': {
    flaw: 'close reasons are cut to 32 characters',
    caughtBy: ['T-CLOSE-14'],
    exactly: true,
  },
  'default-reason': {
    flaw: "a close without a reason is sent with 'Normal Closure'",
    caughtBy: ['T-CLOSE-15'],
    exactly: true,
  },
  'initiator-code-client': {
    flaw: 'the client reports 1005 for a close it started',
    caughtBy: ['T-CLOSE-16', 'T-CLOSE-15'],
  },
  'initiator-code-server': {
    flaw: 'the server reports 1005 for a close it started',
    caughtBy: ['T-CLOSE-16', 'T-CLOSE-15', 'T-CLOSE-17', 'T-CLOSE-20'],
  },
  'shutdown-code-fixed': {
    flaw: 'server close(code, reason) sends 1001 without a reason whatever it was given',
    caughtBy: ['T-CLOSE-17'],
    exactly: true,
  },
  'shutdown-terminates': {
    flaw: 'server close() destroys connections (clients see 1006)',
    caughtBy: ['T-CLOSE-17'],
    exactly: true,
  },
  'close-overtakes-data-client': {
    flaw: "the client's close overtakes the frames it sent just before",
    caughtBy: ['T-CLOSE-18', 'T-BINARY-02', 'T-CLOSE-23'],
  },
  'close-overtakes-data-server': {
    flaw: "the server's close overtakes the frames it sent just before",
    // Its delayed frames also reach the connection that follows a terminate().
    caughtBy: ['T-CLOSE-18', 'T-BINARY-02', 'T-CLOSE-19', 'T-RECONNECT-08'],
  },
  'deaf-while-closing-client': {
    flaw: 'the client stops reading once its own close has started',
    caughtBy: ['T-CLOSE-19'],
    exactly: true,
  },
  'deaf-while-closing-server': {
    flaw: 'the server stops reading a connection once its own close of it has started',
    caughtBy: ['T-CLOSE-23'],
    exactly: true,
  },
  'early-close-lost': {
    flaw: "a close inside the server's connection handler never reaches the client",
    caughtBy: ['T-CLOSE-20'],
    exactly: true,
  },
  'address-held-after-close': {
    flaw: 'server close() resolves without releasing its address',
    // T-CLOSE-24 learns a free address by listening and closing first, which this flaw also fails.
    caughtBy: ['T-CLOSE-21', 'T-CLOSE-24'],
    exactly: true,
  },
  'error-on-remote-close': {
    flaw: "the client emits error('socket hang up') when the server closes it",
    caughtBy: ['T-CLOSE-22'],
    exactly: true,
  },
  'error-on-vanish': {
    flaw: 'the server emits error(ECONNRESET) besides the disconnect of a vanished client',
    caughtBy: ['T-CLOSE-22'],
    exactly: true,
  },

  // Liveness.
  'pong-last-pinged': {
    flaw: 'every pong is credited to the connection pinged last',
    caughtBy: ['T-PING-03'],
    exactly: true,
  },
  'pong-once': {
    flaw: 'only the first ping of a connection gets a pong',
    caughtBy: ['T-PING-04'],
    exactly: true,
  },
  'activity-as-pong': {
    flaw: 'any client frame is reported as a pong',
    caughtBy: ['T-PING-05'],
    exactly: true,
  },

  // Handshake.
  'query-double-decode': {
    flaw: 'query values are percent-decoded twice',
    caughtBy: ['T-HANDSHAKE-05'],
    exactly: true,
  },
  'query-last-wins': {
    flaw: 'the last value of a repeated url query key wins',
    caughtBy: ['T-HANDSHAKE-06'],
    exactly: true,
  },
  'handshake-url-path-only': {
    flaw: 'Handshake.url is the path without the query',
    caughtBy: ['T-HANDSHAKE-07'],
    exactly: true,
  },
  'proto-query-lost': {
    flaw: 'a __proto__ query key is lost (copied by assignment into {})',
    caughtBy: ['T-HANDSHAKE-08'],
    exactly: true,
  },
  'auth-in-query': {
    flaw: 'auth travels as a query parameter that stays in Handshake.query',
    caughtBy: ['T-HANDSHAKE-09'],
    exactly: true,
  },
  'x-headers-only': {
    flaw: 'only x-* headers reach the handshake',
    caughtBy: ['T-HANDSHAKE-10'],
    exactly: true,
  },
  'handshake-per-address': {
    flaw: 'handshakes are cached per remote address, so later clients get the first one',
    caughtBy: ['T-HANDSHAKE-11', 'T-RECONNECT-04'],
  },

  // Connecting again.
  'sticky-url': {
    flaw: 'the client keeps the url of its first connect',
    caughtBy: ['T-RECONNECT-03', 'T-RECONNECT-05'],
  },
  'sticky-handshake': {
    flaw: 'the client keeps the headers, query and auth of its first connect',
    caughtBy: ['T-RECONNECT-04'],
    exactly: true,
  },
  'poisoned-after-failure': {
    flaw: 'after one failed connect the client never reaches a server again',
    caughtBy: ['T-RECONNECT-05'],
    exactly: true,
  },
  'abort-leaks-connection': {
    flaw: 'an aborted connect still completes at the server and leaves a connection open there',
    caughtBy: ['T-RECONNECT-06'],
    exactly: true,
  },
  'leak-on-terminate': {
    flaw: 'a listener added on connect is removed only on the graceful close path',
    caughtBy: ['T-RECONNECT-07'],
    exactly: true,
  },
  'stale-close-after-terminate': {
    flaw: 'the close of a terminated connection fails the connect() that follows it',
    caughtBy: ['T-RECONNECT-08'],
    exactly: true,
  },

  // Structured frames.
  'structured-nonfinite-kept': {
    flaw: 'flat structured arrays skip JSON, so NaN, Infinity and -0 survive',
    caughtBy: ['T-STRUCT-11'],
    exactly: true,
  },
};

/** The end of a gated test's title: `[supports.<flag>]`, the flag it is skipped without. */
const GATE = /\[supports\.(\w+)\]$/;

/**
 * Gates that the fixture's setup, not the memory manifest, leaves off: the fault tier needs TCP
 * underneath, which memory has not. Every memory run skips these tests, the controls included.
 */
const SETUP_GATES: ReadonlySet<string> = new Set(['faults']);

function gateOf(title: string): string | undefined {
  return GATE.exec(title)?.[1];
}

/**
 * Variants whose flaw makes many tests wait out their bound, started first so that they do not
 * become the tail of the run (the others take seconds each).
 */
const SLOW_FIRST: readonly AdapterVariantName[] = [
  'silent-remote-close',
  'hanging-close',
  'unacknowledged-disconnect',
  'early-open',
  'unnoticed-vanish',
];

/** Children running at once: they mostly wait on quiet periods, so more than the cores fit. */
const CONCURRENCY = 6;

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
      [
        'a maxFrameSize below 2 MiB',
        { ...valid, maxFrameSize: 1.5 * 1024 * 1024 },
        'options.maxFrameSize',
      ],
      ['a maxFrameSize of one byte', { ...valid, maxFrameSize: 1 }, 'options.maxFrameSize'],
      ['a misspelled faults gate', { ...valid, fault: true }, 'options.fault is not an option'],
      [
        'a misspelled createServerAt',
        { ...valid, createServerAT: () => new MemorySocketServer() },
        'options.createServerAT',
      ],
      ['an unknown option', { ...valid, retries: 3 }, 'known: name, createServer'],
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
    // Children run a few at a time; each test waits for its own child, so the budget is per test.
    this.timeout(240_000);
    let reports: string;
    let runs: Map<string, Promise<ContractRun>>;

    before(() => {
      reports = mkdtempSync(path.join(tmpdir(), 'plugsocket-contract-'));
      const names = Object.keys(ADAPTER_VARIANTS) as AdapterVariantName[];
      // The controls first (every variant's test compares with them), then the slow variants.
      const first: AdapterVariantName[] = ['reference', 'reference-structured', ...SLOW_FIRST];
      const order = [...first, ...names.filter((name) => !first.includes(name))];
      runs = startPool(order, CONCURRENCY, (variant) =>
        runContractChild(variant, path.join(reports, `${variant}.json`)),
      );
    });

    after(async () => {
      // Let every child finish before its report directory goes away.
      await Promise.all(runs.values());
      rmSync(reports, { recursive: true, force: true });
    });

    it('passes the memory adapter declaring structured (arrays carried as arrays) with no test failed, skipping only tests its setup gates off', async () => {
      const run = await runs.get('reference-structured')!;
      expect(run.stats, summary(run)).to.not.equal(undefined);
      expect(run.stats?.failures, summary(run)).to.equal(0);
      expect(run.stats?.passes, summary(run)).to.be.above(30);
      expect(
        run.pending.map((t) => t.title).filter((t) => !SETUP_GATES.has(gateOf(t) ?? '')),
        `skipped tests not gated on ${[...SETUP_GATES].join(', ')}\n${summary(run)}`,
      ).to.deep.equal([]);
      expect(run.stats?.passes, summary(run)).to.equal(
        (run.stats?.tests ?? 0) - (run.stats?.pending ?? 0),
      );
    });

    it('passes the unmodified memory adapter with no test failed, skipping exactly the [supports.structured] tests its manifest turns off and those its setup gates off', async () => {
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
      // Skipped: the structured-gated tests, which the structured control runs and passes, the
      // tests both controls skip for their setup, and nothing else.
      const gated = structured.passes.map((t) => t.title).filter((t) => gateOf(t) === 'structured');
      expect(gated, 'structured-gated tests passed by the structured control').to.not.be.empty;
      const setup = structured.pending.map((t) => t.title);
      expect(
        run.pending.map((t) => t.title),
        summary(run),
      ).to.have.members([...gated, ...setup]);
      expect(run.stats?.passes, summary(run)).to.equal(
        (run.stats?.tests ?? 0) - gated.length - setup.length,
      );
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
