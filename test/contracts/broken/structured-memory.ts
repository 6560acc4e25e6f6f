import type { AnyFrame, Frame, TransportCapabilities } from '../../../src/index.js';
import {
  MEMORY_CAPABILITIES,
  MemorySocket,
  MemorySocketServer,
} from '../../../adapters/memory/index.js';

/** The memory manifest with `structured` declared: what the structured variants are tested against. */
export const STRUCTURED_MEMORY_CAPABILITIES: TransportCapabilities = Object.freeze({
  ...MEMORY_CAPABILITIES,
  structured: true,
});

/**
 * Carries a structured frame as a network of JSON values would: through JSON, so the receiver
 * shares nothing with the sender and gets what JSON carries (a Date as its ISO string), as the
 * port requires of a structured transport. Hands it on as the memory adapter's own hooks type
 * their frames. Those hooks are typed for text
 * and binary (`MemorySocket` extends `AbstractSocket<Frame>`), but they only move frames along (a
 * `slice()` copy, shallow for an array), so an array reaches the peer's `message` event unchanged.
 */
export function carry(frame: AnyFrame): Frame {
  const copy: AnyFrame = Array.isArray(frame)
    ? (JSON.parse(JSON.stringify(frame)) as AnyFrame)
    : frame;
  return copy as Frame;
}

/**
 * The memory server declaring `structured` and carrying arrays as arrays: the control the
 * structured variants are measured against (the suite must pass it completely). The hook takes
 * `AnyFrame`, as an adapter declaring `structured` extends `AbstractSocketServer<N, AnyFrame>`.
 */
export class StructuredMemorySocketServer extends MemorySocketServer {
  override readonly supports: TransportCapabilities = STRUCTURED_MEMORY_CAPABILITIES;

  protected override doSend(peer: MemorySocket, frame: AnyFrame): void {
    super.doSend(peer, carry(frame));
  }
}

/** The client half of {@link StructuredMemorySocketServer}. */
export class StructuredMemorySocket extends MemorySocket {
  override readonly supports: TransportCapabilities = STRUCTURED_MEMORY_CAPABILITIES;

  protected override doSend(frame: AnyFrame): void {
    super.doSend(carry(frame));
  }
}
