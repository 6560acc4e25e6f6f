// Breaks: "the same instance may connect again after it has closed" (src/ports/abstract-socket.ts),
// also after a connect that failed.
// Flaw: the native client that errored during a connect is kept and reused; it stays in its failed
// state, so every later connect quietly goes nowhere and times out.
import type { ConnectOptions } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: after one failed connect the client never reaches a server again. */
export class PoisonedAfterFailureSocket extends MemorySocket {
  #failed = false;

  protected override emitError(error: unknown): void {
    if (this.state === 'connecting') this.#failed = true;
    super.emitError(error);
  }

  protected override doConnect(options: ConnectOptions): void {
    // The errored native client is reused: it never opens again.
    if (this.#failed) return;
    super.doConnect(options);
  }
}
