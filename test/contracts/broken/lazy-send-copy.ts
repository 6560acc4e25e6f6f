// Breaks: the caller may change or reuse its buffer once `send()` returned (writing-an-adapter
// §9.3(a): encode into a new buffer; checklist: "binary is copied in and out").
// Flaw: a corked write queue keeps references to the caller's frames and encodes (copies) them
// only when it flushes, a microtask later.
import type { Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client queues the caller's bytes by reference until the next flush. */
export class LazyCopySocket extends MemorySocket {
  #corked: Frame[] = [];

  protected override doSend(frame: Frame): void {
    if (this.#corked.length === 0) queueMicrotask(() => this.#flush());
    this.#corked.push(frame);
  }

  protected override doClose(code: number, reason: string): void {
    this.#flush();
    super.doClose(code, reason);
  }

  #flush(): void {
    const corked = this.#corked;
    this.#corked = [];
    for (const frame of corked) super.doSend(frame);
  }
}
