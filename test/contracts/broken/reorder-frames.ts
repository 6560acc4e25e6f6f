import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server swaps its 10th and 11th frame to each connection, as a racy write queue would. */
export class ReorderingSocketServer extends MemorySocketServer {
  readonly #sent = new WeakMap<MemorySocket, number>();
  readonly #held = new WeakMap<MemorySocket, Frame>();

  protected override doSend(peer: MemorySocket, frame: Frame): void {
    const count = (this.#sent.get(peer) ?? 0) + 1;
    this.#sent.set(peer, count);
    if (count === 10) {
      this.#held.set(peer, frame);
      return;
    }
    super.doSend(peer, frame);
    const held = this.#held.get(peer);
    if (count === 11 && held !== undefined) super.doSend(peer, held);
  }
}
