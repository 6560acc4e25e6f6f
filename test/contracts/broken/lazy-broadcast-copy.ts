// Breaks: the caller may change or reuse its buffer once `sendMany()` / `sendPrepared()` returned
// (writing-an-adapter §9.3(a): encode into a new buffer).
// Flaw: the broadcast path (`doSendPrepared`) defers each write to a microtask and keeps the
// caller's bytes until then; the direct `send()` path copies at once.
import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server's broadcast writes read the caller's buffer a microtask late. */
export class LazyBroadcastServer extends MemorySocketServer {
  protected override doSendPrepared(peer: MemorySocket, _data: unknown, frame: Frame): void {
    queueMicrotask(() => super.doSend(peer, frame));
  }
}
