import type { Frame } from '../../../src/index.js';
import { MemorySocketServer, type MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the server decodes outgoing text as latin1, so anything beyond ASCII turns to mojibake. */
export class Latin1Server extends MemorySocketServer {
  protected override doSend(peer: MemorySocket, frame: Frame): void {
    super.doSend(
      peer,
      typeof frame === 'string' ? Buffer.from(frame, 'utf8').toString('latin1') : frame,
    );
  }
}
