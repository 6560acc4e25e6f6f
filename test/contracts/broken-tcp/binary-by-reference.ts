import type { Socket } from 'node:net';
import type { Frame } from '../../../src/index.js';
import {
  FrameKind,
  HEADER_SIZE,
  TcpSocketServer,
  encodeMessage,
} from '../../../examples/tcp-adapter/index.js';

/**
 * Flaw: to save a copy, the server writes a binary frame as a header and then the caller's own
 * bytes. `socket.write` keeps a reference to a buffer it cannot write at once, so once a backlog
 * has built up, bytes the caller changes after `send()` returned go out changed. With nothing
 * queued the write happens at once and the bug stays hidden, which is why the send-time copy test
 * without a backlog (T-BINARY-02) lets it through.
 */
export class BinaryByReferenceServer extends TcpSocketServer {
  protected override doSend(socket: Socket, frame: Frame): void {
    if (typeof frame === 'string') {
      socket.write(encodeMessage(frame));
      return;
    }
    const head = Buffer.allocUnsafe(HEADER_SIZE);
    head.writeUInt32BE(frame.byteLength, 0);
    head[4] = FrameKind.BINARY;
    socket.write(head);
    socket.write(frame);
  }
}
