import { MemorySocket, MemorySocketServer } from '../../../adapters/memory/index.js';

/** Flaw: the client closes with 1000 and no reason, whatever it was asked to send. */
export class CodeIgnoringSocket extends MemorySocket {
  protected override doClose(_code: number, _reason: string): void {
    super.doClose(1000, '');
  }
}

/** Flaw: the server closes connections with 1000 and no reason, whatever it was asked to send. */
export class CodeIgnoringServer extends MemorySocketServer {
  protected override doCloseConnection(peer: MemorySocket, _code: number, _reason: string): void {
    super.doCloseConnection(peer, 1000, '');
  }
}
