import { EventEmitter } from 'node:events';
import type { ConnectOptions, Frame } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/**
 * Flaw: the client routes frames through an internal emitter and adds its relay on every
 * connect without removing the old one, so after a reconnect every frame arrives twice.
 */
export class DoubleDeliveringSocket extends MemorySocket {
  readonly #inbox = new EventEmitter();

  protected override doConnect(options: ConnectOptions): void {
    this.#inbox.on('frame', (frame: Frame) => this.emitMessage(frame));
    super.doConnect(options);
  }

  override _receive(frame: Frame): void {
    const data = typeof frame === 'string' ? frame : frame.slice();
    void Promise.resolve().then(() => this.#inbox.emit('frame', data));
  }
}
