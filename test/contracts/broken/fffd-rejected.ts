// Breaks: a text frame arrives as the same string (src/ports/types.ts `Frame`).
// Flaw: the server takes U+FFFD in decoded text as proof that the bytes were invalid UTF-8 and
// drops the frame with an `INVALID_MESSAGE` error, although U+FFFD is a character like any other.
import { PlugSocketError, type Frame, type ServerConnection } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server rejects client text that holds U+FFFD. */
export class FffdRejectingServer extends MemorySocketServer {
  override _message(connection: ServerConnection<MemorySocket>, frame: Frame): void {
    if (typeof frame === 'string' && frame.includes('\uFFFD')) {
      this.emitError(
        connection,
        new PlugSocketError('INVALID_MESSAGE', 'invalid UTF-8 in a text frame'),
      );
      return;
    }
    super._message(connection, frame);
  }
}
