import { ContractAudit } from './audit.js';
import { describeBackpressureTests } from './transport/backpressure-tests.js';
import { describeBinaryTests } from './transport/binary-tests.js';
import { describeCloseInfoTests } from './transport/close-info-tests.js';
import { describeCloseOrderTests } from './transport/close-order-tests.js';
import { describeClosingTests } from './transport/closing-tests.js';
import { describeFaultTests } from './transport/fault-tests.js';
import { describeFrameTests } from './transport/frame-tests.js';
import { describeHandshakeTests } from './transport/handshake-tests.js';
import { describeLivenessTests } from './transport/liveness-tests.js';
import { describeOpeningTests } from './transport/opening-tests.js';
import { describeReconnectPathTests } from './transport/reconnect-paths-tests.js';
import { describeReconnectTests } from './transport/reconnect-tests.js';
import { describeSizeTests } from './transport/size-tests.js';
import { describeStructuredTests } from './transport/structured-tests.js';
import { describeTextTests } from './transport/text-tests.js';
import { TransportHarness } from './transport-harness.js';
import {
  resolveTransportContractOptions,
  type TransportContractOptions,
} from './transport-options.js';

export type {
  ContractConnectOptions,
  FaultEndpoint,
  FaultTierOptions,
  TransportContractOptions,
} from './transport-options.js';

/**
 * Registers the transport contract suite: a group `<name> transport contract`, in whichever test
 * runner `options.runner` names (default: the globals of mocha, jest or vitest), that
 * checks, over a real server/client pair made by the given factories, every promise of the
 * `AbstractSocket` / `AbstractSocketServer` ports: open only after the server accepted, frames
 * complete, in order and intact (text and binary), structured frames (JSON arrays) arriving as
 * equal arrays where the manifest declares them and refused with a `TypeError` where it does not,
 * close codes both ways, close events exactly once, idempotent and bounded closing,
 * `NOT_CONNECTED` after close, backpressure (the backlog reported, volatile frames, drains), ping, the handshake, isolation between clients, reconnects without
 * leaks, and prepared frames. With `options.faults`, its fault tier (`T-FAULT-*`) also runs each
 * connection through a `FaultProxy` and checks cuts, stalls, latency and a server that never
 * answers (docs/fault-injection.md).
 *
 * Tests of optional capabilities carry `[supports.<name>]` in their title and are skipped when
 * `options.supports` lacks the capability; the fault tier's carry `[supports.faults]` and are
 * skipped without `options.faults`. Every server and client the suite makes is closed
 * after each test, within a bound, so a broken adapter fails tests rather than hanging the run.
 *
 * `options.maxFrameSize` (default 2 MiB) is the frame size the size tests carry both ways, and
 * `options.createServerAt` lets T-CLOSE-21 and T-CLOSE-24 check that `close()` (also during a
 * pending `listen()`) releases the address and T-OPEN-08 that `listen()` at an address in use
 * fails (skipped, with `[supports.createServerAt]` in their titles, without it).
 *
 * Call it at the top level of a test file of any supported runner (see `options.runner`). It must
 * only use the public API, so it runs the same outside this repository.
 *
 * @throws {TypeError} at once, naming the field, when `options` are invalid (no name, a factory
 *   that is not a function, a `supports` manifest with a missing, unknown or non-boolean flag, a
 *   `maxFrameSize` below 2 MiB, an unknown top-level option).
 *
 * @example
 * ```ts
 * import { describeTransportContract } from 'plugsocket/contracts';
 * import { MyServer, MyClient, MY_CAPABILITIES } from '../src/index.js';
 *
 * describeTransportContract({
 *   name: 'my-transport',
 *   createServer: () => new MyServer({ port: 0, host: '127.0.0.1' }),
 *   createClient: () => new MyClient(),
 *   supports: MY_CAPABILITIES,
 * });
 * ```
 */
export function describeTransportContract(options: TransportContractOptions): void {
  const resolved = resolveTransportContractOptions(options);
  const audit = new ContractAudit('transport', resolved.name, resolved.timeout, resolved.audit, {
    ...(resolved.supports as unknown as Record<string, boolean>),
    // Not a capability of the transport but of the suite's setup: gates the fault tier.
    faults: resolved.faults !== undefined,
    // Likewise: T-CLOSE-21, T-CLOSE-24 and T-OPEN-08 need a server made for a given address.
    createServerAt: resolved.createServerAt !== undefined,
    // Likewise: T-CLOSE-03 needs a client that can drop a connection without a close handshake.
    clientAbort: resolved.clientAbort,
    // And T-CLOSE-19 a client that keeps reading once it started a close.
    clientKeepsReading: resolved.clientKeepsReading,
  });
  audit.root(() => {
    const harness = new TransportHarness(resolved, audit);
    audit.afterEach(() => harness.cleanup());

    describeOpeningTests(harness);
    describeFrameTests(harness);
    describeTextTests(harness);
    describeBinaryTests(harness);
    describeSizeTests(harness);
    describeStructuredTests(harness);
    describeClosingTests(harness);
    describeCloseInfoTests(harness);
    describeCloseOrderTests(harness);
    describeLivenessTests(harness);
    describeBackpressureTests(harness);
    describeHandshakeTests(harness);
    describeReconnectTests(harness);
    describeReconnectPathTests(harness);
    describeFaultTests(harness);
  });
}
