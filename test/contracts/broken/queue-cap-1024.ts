// Breaks: frames arrive complete and in order (src/ports/abstract-socket-server.ts `send`); a full
// buffer is reported through `maxBufferedAmount`, never by dropping frames silently.
// Flaw: the write queue is a fixed ring of 1,024 slots per flush; a burst larger than that loses
// its excess (the suite's older bursts were 1,000 frames).
import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

const SLOTS = 1024;

/** Flaw: the server's per-connection write queue drops frames beyond 1,024 per flush. */
export class QueueCapServer extends MemorySocketServer {
  readonly #queues = new Map<MemorySocket, Frame[]>();

  protected override doSend(peer: MemorySocket, frame: Frame): void {
    let queue = this.#queues.get(peer);
    if (queue === undefined) {
      const fresh: Frame[] = [];
      queue = fresh;
      this.#queues.set(peer, fresh);
      queueMicrotask(() => {
        this.#queues.delete(peer);
        for (const queued of fresh) super.doSend(peer, queued);
      });
    }
    if (queue.length < SLOTS) queue.push(frame);
  }
}
