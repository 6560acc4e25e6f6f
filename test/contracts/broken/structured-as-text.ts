import type { AnyFrame } from '../../../src/index.js';
import type { MemorySocket } from '../../../adapters/memory/index.js';
import { StructuredMemorySocket, StructuredMemorySocketServer } from './structured-memory.js';

/**
 * Flaw: both sides declare `structured` but put arrays on the wire as JSON text and never turn
 * them back, so the peer receives `'["chat",{…}]'` (a string) where it was sent `['chat', {…}]`.
 */
export class JsonTextServer extends StructuredMemorySocketServer {
  protected override doSend(peer: MemorySocket, frame: AnyFrame): void {
    super.doSend(peer, Array.isArray(frame) ? JSON.stringify(frame) : frame);
  }
}

/** The client half of {@link JsonTextServer}. */
export class JsonTextSocket extends StructuredMemorySocket {
  protected override doSend(frame: AnyFrame): void {
    super.doSend(Array.isArray(frame) ? JSON.stringify(frame) : frame);
  }
}
