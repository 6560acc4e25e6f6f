// Breaks: src/server/options.ts `maxPayload`: a frame over the domain limit is answered with a
// `PAYLOAD_TOO_LARGE` error frame and the connection stays open, so the transport limit must sit
// above the domain's (docs/adapters.md "keep the transport limit above the domain limit").
// Flaw: the transport limit is set to the domain's default 1 MiB (as `ws` with
// `maxPayload: 1 << 20`), so a frame of 1 MiB + 1 byte closes the connection with 1009.
import { PlugSocketError, type Frame, type ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

const LIMIT = 1024 * 1024;

/** Flaw: the server's transport closes with 1009 on frames above 1 MiB. */
export class LimitEqualsMaxPayloadServer extends MemorySocketServer {
  override _message(connection: ServerConnection<MemorySocket>, frame: Frame): void {
    const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.byteLength;
    if (size > LIMIT) {
      this.emitError(connection, new PlugSocketError('PAYLOAD_TOO_LARGE', 'frame over 1 MiB'));
      void this.closeConnection(connection, 1009, 'message too big');
      return;
    }
    super._message(connection, frame);
  }
}
