import type { AnyFrame } from '../../../src/index.js';
import { StructuredMemorySocket } from './structured-memory.js';

/**
 * Flaw: the client declares `structured` and sends arrays as arrays, but flattens arrays nested in
 * them (`['a', ['b', ['c']]]` arrives as `['a', 'b', 'c']`), as an adapter that spreads a frame over
 * an argument list too eagerly would. Objects and flat frames arrive intact.
 */
export class FlatteningSocket extends StructuredMemorySocket {
  protected override doSend(frame: AnyFrame): void {
    super.doSend(Array.isArray(frame) ? (frame as unknown[]).flat(Infinity) : frame);
  }
}
