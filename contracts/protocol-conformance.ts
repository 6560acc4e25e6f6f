import { ContractAudit } from './audit.js';
import { describeConnectionTests } from './protocol/connection-tests.js';
import { describeResumeTests } from './protocol/resume-tests.js';
import { describeErrorTests } from './protocol/error-tests.js';
import { ProtocolHarness } from './protocol/harness.js';
import { resolveProtocolOptions, type ProtocolConformanceOptions } from './protocol/options.js';
import { describePeerTests } from './protocol/peer-tests.js';
import { describeRequestTests } from './protocol/request-tests.js';
import { describeTopicTests } from './protocol/topic-tests.js';

export type { HandshakeCredentials, ProtocolConformanceOptions } from './protocol/options.js';

/**
 * Registers the protocol contract: a group `<name> protocol contract` that checks a running
 * server, in any language, against docs/protocol.md by talking raw WebSocket frames to it — the
 * welcome, authentication and its close codes, messages, topic answers, requests and their ids,
 * client-to-client requests, every documented error frame, the size limit, binary messages and
 * closing. It uses the `ws` package's client (an optional peer dependency, imported only when the
 * tests run) and writes and reads frames with `JSON.stringify` / `JSON.parse`, never with
 * plugsocket's own client or codecs, so it is an independent reading of the spec.
 *
 * Tests that need a server feature the options do not name (credentials, a refused topic, an
 * echo handler, a relayed type, the size limit) are skipped, with the feature in their title.
 * Each test opens its own connections and closes them afterwards, within a bound.
 *
 * @throws {TypeError} at once, naming the field, when `options` are invalid.
 *
 * @example
 * ```ts
 * import { describeProtocolConformance } from 'plugsocket/contracts';
 *
 * let url = '';
 * before(async () => {
 *   url = await startMyServer(); // e.g. 'ws://127.0.0.1:8080/rt'
 * });
 *
 * describeProtocolConformance({
 *   name: 'my-server',
 *   url: () => url,
 *   credentials: { valid: { auth: { token: 's3cret' } }, invalid: { auth: { token: 'nope' } } },
 *   refusedTopic: 'admin',
 *   echoRequest: 'echo',
 *   relayType: 'chat',
 *   maxPayload: 65536,
 * });
 * ```
 */
export function describeProtocolConformance(options: ProtocolConformanceOptions): void {
  const resolved = resolveProtocolOptions(options);
  const audit = new ContractAudit(
    'protocol',
    resolved.name,
    resolved.timeout,
    resolved.audit,
    resolved.features as unknown as Record<string, boolean>,
  );
  audit.root(() => {
    const harness = new ProtocolHarness(resolved, audit);
    audit.afterEach(() => harness.cleanup());

    describeConnectionTests(harness);
    describeResumeTests(harness);
    describeTopicTests(harness);
    describeRequestTests(harness);
    describePeerTests(harness);
    describeErrorTests(harness);
  });
}
