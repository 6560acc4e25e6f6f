// Breaks: `doTerminate` releases everything `doConnect` took, at any time (writing-an-adapter §9.2;
// checklist "no listener left after any way a connection ends").
// Flaw: a listener added on connect is removed only on the graceful `doClose` path, so every
// `terminate()` (and every server-side close) leaves one behind.
import type { ConnectOptions } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client removes its per-connection listener only when it closes gracefully. */
export class LeakOnTerminateSocket extends MemorySocket {
  readonly #countFrame = (): void => undefined;

  protected override doConnect(options: ConnectOptions): void {
    this.on('message', this.#countFrame);
    super.doConnect(options);
  }

  protected override doClose(code: number, reason: string): void {
    this.off('message', this.#countFrame);
    super.doClose(code, reason);
  }
}
