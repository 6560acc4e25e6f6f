// Breaks: frames arrive in the order they were sent (src/ports/abstract-socket-server.ts `send`),
// across text and binary.
// Flaw: text and binary frames wait in separate write queues and each flush writes the text queue
// first, so interleaved kinds arrive regrouped.
import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server flushes queued text before queued binary. */
export class KindQueuesServer extends MemorySocketServer {
  readonly #queues = new Map<MemorySocket, { text: Frame[]; binary: Frame[] }>();

  protected override doSend(peer: MemorySocket, frame: Frame): void {
    let queues = this.#queues.get(peer);
    if (queues === undefined) {
      const fresh = { text: [] as Frame[], binary: [] as Frame[] };
      queues = fresh;
      this.#queues.set(peer, fresh);
      queueMicrotask(() => {
        this.#queues.delete(peer);
        for (const queued of fresh.text) super.doSend(peer, queued);
        for (const queued of fresh.binary) super.doSend(peer, queued);
      });
    }
    (typeof frame === 'string' ? queues.text : queues.binary).push(frame);
  }
}
