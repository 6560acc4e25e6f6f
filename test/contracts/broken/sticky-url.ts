// Breaks: "the same instance may connect again after it has closed" (src/ports/abstract-socket.ts),
// to wherever `connect(options)` now points.
// Flaw: the native client (a cached manager) is made on the first connect and keeps that url, so a
// later connect to another server reaches the first one again.
import type { ConnectOptions } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the client keeps the url of its first connect. */
export class StickyUrlSocket extends MemorySocket {
  #url: string | undefined;

  protected override doConnect(options: ConnectOptions): void {
    this.#url ??= options.url;
    super.doConnect({ ...options, url: this.#url });
  }
}
