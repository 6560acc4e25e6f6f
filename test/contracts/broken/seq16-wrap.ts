// Breaks: frames arrive complete and in order, however many a connection carries
// (src/ports/abstract-socket.ts `send`).
// Flaw: duplicate suppression on a 16-bit sequence number. Each frame is numbered
// `(seq + 1) & 0xffff` and a frame whose number is not above the last one seen is taken for a
// retransmit and dropped, so after 65,535 frames every frame is "old".
import type { ConnectOptions, Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client's 16-bit sequence number wraps and the receiver drops everything after it. */
export class Seq16Socket extends MemorySocket {
  #seq = 0;
  #lastSeen = 0;

  protected override doConnect(options: ConnectOptions): void {
    this.#seq = 0;
    this.#lastSeen = 0;
    super.doConnect(options);
  }

  protected override doSend(frame: Frame): void {
    this.#seq = (this.#seq + 1) & 0xffff;
    // The receiving end's duplicate check, folded into the sender for the in-memory wire.
    if (this.#seq <= this.#lastSeen) return;
    this.#lastSeen = this.#seq;
    super.doSend(frame);
  }
}
