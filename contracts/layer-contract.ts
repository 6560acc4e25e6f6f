import { ContractAudit } from './audit.js';
import { describeClientRequestTests } from './layer/client-request-tests.js';
import { describeCoreLifecycleTests } from './layer/core-lifecycle-tests.js';
import { describeCoreMessageTests } from './layer/core-message-tests.js';
import { describeEventTests } from './layer/event-tests.js';
import { describePresenceTests } from './layer/presence-tests.js';
import { LayerHarness } from './layer/layer-harness.js';
import { describeLivenessTests } from './layer/liveness-tests.js';
import { describeMiddlewareTests } from './layer/middleware-tests.js';
import { describeRequestTests } from './layer/request-tests.js';
import { describeResumeTests } from './layer/resume-tests.js';
import {
  resolveTransportContractOptions,
  type TransportContractOptions,
} from './transport-options.js';

/** What {@link describeLayerContract} needs: the same factories as the transport contract. */
export type LayerContractOptions = TransportContractOptions;

/**
 * Registers the layer contract: `SocketServer` and `SocketClient` end to end over the transport
 * under test — messages both ways, broadcasts with `except`, topics, `sendToClient`, auth,
 * disconnect callbacks, bad input and shutdown; requests in every direction (client-to-client too),
 * typed errors, timeouts, disconnects mid-request, middleware, relay and namespaces; heartbeats,
 * reconnection, the offline queue, backpressure signals and metrics; session resume. Call it at the
 * top level of a test file of any supported runner (mocha, node:test, vitest, jest; see
 * `options.runner`):
 *
 * @example
 * ```ts
 * import { describeLayerContract } from 'plugsocket/contracts';
 * describeLayerContract({
 *   name: 'tcp',
 *   createServer: () => new TcpSocketServer({ port: 0, host: '127.0.0.1' }),
 *   createClient: () => new TcpSocket(),
 *   supports: TCP_CAPABILITIES,
 * });
 * ```
 * @throws {TypeError} when an option is missing or malformed (at registration time).
 */
export function describeLayerContract(options: LayerContractOptions): void {
  const resolved = resolveTransportContractOptions(options);
  const audit = new ContractAudit(
    'layer',
    resolved.name,
    resolved.timeout,
    resolved.audit,
    resolved.supports as unknown as Record<string, boolean>,
  );
  audit.root(() => {
    const h = new LayerHarness(resolved, audit);
    audit.afterEach(() => h.teardown());

    describeCoreMessageTests(h);
    describeCoreLifecycleTests(h);
    describeRequestTests(h);
    describeClientRequestTests(h);
    describeMiddlewareTests(h);
    describeEventTests(h);
    describePresenceTests(h);
    describeLivenessTests(h);
    describeResumeTests(h);
  });
}
