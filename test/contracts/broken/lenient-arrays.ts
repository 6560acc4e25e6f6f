import type { AnyFrame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/**
 * Flaw: the client does not declare `structured` (its manifest is the memory adapter's), yet its
 * `send()` takes an array and sends it as JSON text instead of throwing the port's `TypeError`, so
 * an application that sends a structured frame to a transport without them is never told.
 */
export class LenientArraysSocket extends MemorySocket {
  override send(frame: AnyFrame): boolean {
    return super.send(Array.isArray(frame) ? JSON.stringify(frame) : frame);
  }
}
