import type { ConnectOptions } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: every connect adds a bookkeeping `close` listener to the public emitter and never removes it. */
export class ListenerLeakingSocket extends MemorySocket {
  closes = 0;

  protected override doConnect(options: ConnectOptions): void {
    this.on('close', () => void this.closes++);
    super.doConnect(options);
  }
}
