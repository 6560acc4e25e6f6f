import type { AnyFrame } from '../../../src/index.js';
import { StructuredMemorySocket } from './structured-memory.js';

/**
 * Flaw: the client declares `structured` and "upgrades" every text frame that parses as a JSON
 * array into a structured frame, so the text `'["x"]'` arrives as the array `['x']`, as an adapter
 * that tells the kinds apart by sniffing the payload instead of carrying them apart would.
 */
export class ArraySniffingSocket extends StructuredMemorySocket {
  protected override doSend(frame: AnyFrame): void {
    super.doSend(typeof frame === 'string' ? sniff(frame) : frame);
  }
}

function sniff(text: string): AnyFrame {
  if (!text.startsWith('[')) return text;
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value : text;
  } catch {
    return text;
  }
}
