// Breaks: `Handshake.query`: "the first value wins when a key repeats" (src/ports/types.ts).
// Flaw: the client reads the url's query with `Object.fromEntries(url.searchParams)`, where the
// last value of a repeated key wins.
import type { ConnectOptions } from '../../../src/index.js';
import { MemorySocket } from '../../../adapters/memory/index.js';

/** Flaw: the last value of a repeated url query key wins. */
export class LastWinsSocket extends MemorySocket {
  protected override doConnect(options: ConnectOptions): void {
    const q = options.url.indexOf('?');
    const fromUrl =
      q === -1 ? {} : Object.fromEntries(new URLSearchParams(options.url.slice(q + 1)));
    super.doConnect({ ...options, query: { ...fromUrl, ...options.query } });
  }
}
