// Breaks: src/ports/server-connection.ts `maxBufferedAmount`: a peer is dropped as a slow consumer
// only when bytes are waiting to be written to it (`doBufferedAmount`: "bytes queued for writing").
// Flaw: `doBufferedAmount` returns the bytes ever written (`socket.bytesWritten`) instead of the
// bytes still waiting (`socket.writableLength`), so a healthy client that has received 16 MiB in
// total is dropped with `SLOW_CONSUMER`.
import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server reports cumulative bytes written as its backlog. */
export class BytesWrittenServer extends MemorySocketServer {
  readonly #bytesWritten = new WeakMap<MemorySocket, number>();

  protected override doSend(peer: MemorySocket, frame: Frame): void {
    const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
    this.#bytesWritten.set(peer, (this.#bytesWritten.get(peer) ?? 0) + size);
    super.doSend(peer, frame);
  }

  protected override doBufferedAmount(peer: MemorySocket): number {
    return this.#bytesWritten.get(peer) ?? 0;
  }
}
