// Breaks: src/server/options.ts `maxPayload`: a frame under the domain limit is handled and the
// connection stays open (docs/adapters.md "keep the transport limit above the domain limit").
// Flaw: the transport's 4 MiB limit is counted on the JSON-escaped wire form (as Socket.IO's
// `maxHttpBufferSize` is), where a control character takes 6 bytes: 1 MiB of NULs is 6 MiB on
// the wire and closes the connection with 1009.
import type { Frame, ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

const WIRE_LIMIT = 4 * 1024 * 1024;

/** Flaw: the server measures text frames after JSON escaping. */
export class EscapedLimitServer extends MemorySocketServer {
  override _message(connection: ServerConnection<MemorySocket>, frame: Frame): void {
    if (typeof frame === 'string' && JSON.stringify(frame).length > WIRE_LIMIT) {
      void this.closeConnection(connection, 1009, 'message too big');
      return;
    }
    super._message(connection, frame);
  }
}
