// Breaks: a structured frame is "carried as JSON would carry it" (src/ports/capabilities.ts
// `structured`): NaN and ±Infinity arrive as null, -0 as 0.
// Flaw: a fast path copies flat arrays of primitives with `slice()` instead of going through JSON,
// so NaN, Infinity and -0 survive on that path only.
import type { AnyFrame } from '../../../src/index.js';
import { StructuredMemorySocketServer, carry } from './structured-memory.js';

function isFlat(frame: readonly unknown[]): boolean {
  return frame.every((value) => typeof value !== 'object' || value === null);
}

/** Flaw: the structured server sends flat arrays without JSON's number rules. */
export class FastCarryServer extends StructuredMemorySocketServer {
  protected override carry(frame: AnyFrame): AnyFrame {
    return Array.isArray(frame) && isFlat(frame) ? frame.slice() : carry(frame);
  }
}
