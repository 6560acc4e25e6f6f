import type { LayerHarness } from './layer-harness.js';
import { describeRequestAnswerTests } from './request-answer-tests.js';
import { describeRequestCancelTests } from './request-cancel-tests.js';
import { describeRequestErrorTests } from './request-error-tests.js';

/**
 * Registers the layer contract's request/response tests: client → server, server → client, a
 * request to many clients, typed errors in both directions, timeouts, aborts, requests cut short
 * by a disconnect, and the server's bound on requests in flight.
 */
export function describeRequestTests(h: LayerHarness): void {
  h.group('requests', () => {
    describeRequestAnswerTests(h);
    describeRequestErrorTests(h);
    describeRequestCancelTests(h);
  });
}
