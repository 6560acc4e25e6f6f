import { PlugSocketError, type Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: `send()` on a closed client throws instead of returning false and emitting an error. */
export class ThrowingSendSocket extends MemorySocket {
  override send(frame: Frame): boolean {
    if (!this.isOpen) throw new PlugSocketError('NOT_CONNECTED', 'socket is not open');
    return super.send(frame);
  }
}
