import type { TransportHarness } from '../transport-harness.js';
import { describeFaultFrameTests } from './fault-frame-tests.js';
import { describeFaultLifecycleTests } from './fault-lifecycle-tests.js';

// The fault tier: every test puts a FaultProxy (a loopback TCP proxy) between a client and the
// server and breaks the connection on purpose. The promises are the ports' own (close exactly
// once, frames whole, in order and once, bounded connect and close), checked where a real network
// breaks them. Runs only with `options.faults`; gated on the `faults` flag otherwise.

/**
 * Registers the fault tier (`T-FAULT-*`): connections through a `FaultProxy` that cuts them
 * mid-frame (FIN) and abruptly (RST), stalls them, delays them, never answers a handshake, or cuts
 * them at random points; and a server closed while a raw TCP peer is half-way through a handshake.
 * Gated on `faults`: skipped unless the suite was given `options.faults`.
 */
export function describeFaultTests(h: TransportHarness): void {
  h.group('faults on the network (through a fault proxy)', () => {
    describeFaultFrameTests(h);
    describeFaultLifecycleTests(h);
  });
}
