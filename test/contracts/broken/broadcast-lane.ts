// Breaks: frames to one connection arrive in call order, whichever of `send()`, `sendMany()` and
// `sendPrepared()` sent them (the domain's router mixes direct replies and broadcasts).
// Flaw: broadcasts are batched and flushed on a timer while direct sends go at once, so a
// broadcast arrives after replies sent later.
import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server's broadcast lane is flushed a timer tick later than direct sends. */
export class BroadcastLaneServer extends MemorySocketServer {
  protected override doSendPrepared(peer: MemorySocket, _data: unknown, frame: Frame): void {
    const copy = typeof frame === 'string' ? frame : frame.slice();
    setTimeout(() => super.doSend(peer, copy), 0);
  }
}
