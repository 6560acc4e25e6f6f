import type { Socket } from 'node:net';
import type { HandshakeInit, ServerConnection } from '../../../src/index.js';
import { HEADER_SIZE, TcpSocketServer } from '../../../examples/tcp-adapter/index.js';

/**
 * Flaw: when a client's stream ends, the server hands out what its decoder still buffered as one
 * last text frame ("flush on end"), as a decoder written for files rather than for a network
 * would. A connection cut in the middle of a frame then delivers the frame's first bytes as if
 * they were a whole frame. Only a cut mid-frame shows it: a clean close ends on a frame boundary.
 */
export class PartialFrameOnEofServer extends TcpSocketServer {
  protected override acceptConnection(
    socket: Socket,
    handshake: HandshakeInit,
  ): ServerConnection<Socket> {
    const connection = super.acceptConnection(socket, handshake);
    // The bytes after the hello, mirrored frame by frame (the adapter's own decoder is private).
    // Registered while the hello's chunk is being handled, so it sees every later chunk.
    let held = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      held = Buffer.concat([held, chunk]);
      while (held.length >= HEADER_SIZE) {
        const end = HEADER_SIZE + held.readUInt32BE(0);
        if (held.length < end) break;
        held = held.subarray(end);
      }
    });
    socket.once('end', () => {
      if (held.length > HEADER_SIZE) {
        this.emitMessage(connection, held.subarray(HEADER_SIZE).toString('utf8'));
      }
    });
    return connection;
  }
}
