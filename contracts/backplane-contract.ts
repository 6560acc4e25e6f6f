import { ContractAudit } from './audit.js';
import { describeCloseTests } from './backplane/close-tests.js';
import { describeCrashTests } from './backplane/crash-tests.js';
import { describeCutTests } from './backplane/cut-tests.js';
import { describeDirectoryTests } from './backplane/directory-tests.js';
import { BackplaneHarness } from './backplane/harness.js';
import { describeOpenTests } from './backplane/open-tests.js';
import { resolveBackplaneOptions, type BackplaneContractOptions } from './backplane/options.js';
import { describePacketTests } from './backplane/packet-tests.js';
import { describePresenceTests } from './backplane/presence-tests.js';
import { describePublishTests } from './backplane/publish-tests.js';
import { describeSessionTests } from './backplane/session-tests.js';

export type {
  BackplaneContractCluster,
  BackplaneContractOptions,
  BackplaneContractTimeouts,
  BackplaneFaultHook,
} from './backplane/options.js';

/**
 * Registers the backplane contract suite: a group `<name> backplane contract`, in whichever test
 * runner `options.runner` names (default: the globals of mocha, jest or vitest), that checks every
 * promise of the `Backplane` port over a real cluster of the backplane under test. Each test asks
 * `options.cluster()` for one fresh, empty cluster, opens two or three of its nodes with recording
 * `BackplaneNode`s under ids of its own, and closes them all afterwards (then calls the cluster's
 * `teardown()`), within a bound, so a broken backplane fails tests rather than hanging the run.
 *
 * What it checks, by test id:
 * - `B-OPEN-*`: `open()` resolves only once the node is listed by `nodes()` and receives packets;
 * - `B-PUB-*`, `B-ORDER-01`, `B-RECV-01`: `publish()` reaches every other node and not the sender,
 *   `publishTo()` exactly one node, `from` is right, each receiver's packet is its own (changing
 *   it changes no other), per-sender order holds across both, a throwing `receive()` stops
 *   nothing;
 * - `B-PACKET-*`: packets arrive equal (strings, bytes, JSON data with `Uint8Array`s anywhere,
 *   `"__proto__"` keys, undefined keys, 256 KiB);
 * - `B-DIR-*`, `B-PRES-*`: the directory read on every node, and `PresenceChange.changed`, two
 *   nodes racing included;
 * - `B-CLOSE-*`: `close()` removes the node and its entries, the others are told `nodeGone` once,
 *   exactly one of them with `removed` (each entry with its topics, in any order, and
 *   `userOffline` true exactly where removing it took its user offline);
 * - `B-CRASH-*` (with `options.crash`): the same when a node dies, noticed within
 *   `timeouts.nodeTimeout`; `B-CRASH-04` (with `options.cut` too): `removed` goes to a survivor
 *   whose link is up, not to one that is cut off;
 * - `B-CUT-*` (with `options.cut` and `options.restore`): `state()` on an outage, packets lost
 *   both ways, entries back once `connected`;
 * - `B-SESS-*`: `sessions` shared by the nodes, `take()` atomic, refusals kept, ttl honoured.
 *
 * The crash and outage tests carry `[supports.crash]` / `[supports.cut]` in their titles and are
 * skipped, and reported as skipped, without their hooks (`B-CRASH-04` carries both, and is
 * skipped without either, reported with the first one missing as its `requires`). Lists of
 * topics (a removed entry's, a session record's) compare as sets: the port promises no order. Give the backplane under test short
 * timings (liveness, reconnect backoff) and `options.timeouts` to match, so the suite stays fast.
 * Call it at the top level of a test file of any supported runner. It uses only the public API,
 * so it runs the same outside this repository.
 *
 * @param options the backplane's `name` (shown in the suite title and the report), the cluster
 *   factory, the optional fault hooks, the timeouts, and the runner and report options every
 *   suite shares.
 * @throws {TypeError} at once, naming the field, when `name` or `options` are invalid (no cluster
 *   factory, `cut` without `restore`, a timeout that is not a positive number or that does not
 *   fit in the per-test `timeout`, an unknown option).
 *
 * @example
 * ```ts
 * import { MemoryCluster, type MemoryBackplane } from 'plugsocket';
 * import { describeBackplaneContract } from 'plugsocket/contracts';
 *
 * describeBackplaneContract({
 *   name: 'memory',
 *   // One fresh cluster per test. For a broker, give each cluster its own key prefix (or
 *   // database) and close its connections in `teardown`.
 *   cluster: () => {
 *     const cluster = new MemoryCluster();
 *     return { node: () => cluster.backplane() };
 *   },
 *   // Optional: without them the crash and outage tests are skipped.
 *   crash: (backplane, id) => (backplane as MemoryBackplane).cluster.crash(id),
 *   cut: (backplane, id) => (backplane as MemoryBackplane).cluster.cut(id),
 *   restore: (backplane, id) => (backplane as MemoryBackplane).cluster.restore(id),
 *   // A broker-backed backplane configured with a 1 s liveness might use { nodeTimeout: 3000 }.
 *   timeouts: { nodeTimeout: 500 },
 * });
 * ```
 */
export function describeBackplaneContract(options: BackplaneContractOptions): void {
  const resolved = resolveBackplaneOptions(options);
  const audit = new ContractAudit(
    'backplane',
    resolved.name,
    resolved.timeout,
    resolved.audit,
    resolved.supports,
  );
  audit.root(() => {
    const harness = new BackplaneHarness(resolved, audit);
    audit.afterEach(() => harness.cleanup());

    describeOpenTests(harness);
    describePublishTests(harness);
    describePacketTests(harness);
    describeDirectoryTests(harness);
    describePresenceTests(harness);
    describeCloseTests(harness);
    describeCrashTests(harness);
    describeCutTests(harness);
    describeSessionTests(harness);
  });
}
