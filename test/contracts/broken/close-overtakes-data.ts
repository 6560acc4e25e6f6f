// Breaks: frames sent before a close arrive, in order, before the peer's close event (WebSocket
// semantics: the close frame is written after the data; writing-an-adapter §9.5).
import type { Frame } from '../../../src/index.js';
import { MemorySocket, MemorySocketServer } from '../../../adapters/memory/index.js';

/** Runs `fn` two microtasks later: an encoder step that the close frame does not go through. */
function afterEncoding(fn: () => void): void {
  queueMicrotask(() => queueMicrotask(fn));
}

/**
 * Flaw: the client's data frames go through an asynchronous encoder, its close frame does not, so
 * the close overtakes the last frames sent before `disconnect()` and they are lost.
 */
export class AsyncEncodingSocket extends MemorySocket {
  protected override doSend(frame: Frame): void {
    afterEncoding(() => super.doSend(frame));
  }
}

/**
 * Flaw: the receiving end handles control frames first, so the server's close overtakes data it
 * sent just before, and the client reports the close before (or without) those frames.
 */
export class ClosePriorityServer extends MemorySocketServer {
  protected override doSend(peer: MemorySocket, frame: Frame): void {
    afterEncoding(() => super.doSend(peer, frame));
  }
}
