// The pair the browser adapter's contract runs use: BrowserSocket against our ws server, which
// declares the pair's manifest so the suites hold both ends to one set of capabilities.
import { BROWSER_CAPABILITIES } from 'plugsocket/browser';
import { WsSocketServer, type WsSocketServerOptions } from 'plugsocket/ws';

/** What a browser client and the ws server can do together: the browser's manifest. */
export const BROWSER_PAIR = BROWSER_CAPABILITIES;

/**
 * A ws server declaring {@link BROWSER_PAIR}: without transport pings (a page cannot send one,
 * so the pair has none) and without structured frames, headers or handshake auth.
 */
export class BrowserFacingWsServer extends WsSocketServer {
  override readonly supports = BROWSER_PAIR;
}

/** A browser-facing ws server on loopback, at `port` (0: any). */
export function browserFacingServer(port = 0): BrowserFacingWsServer {
  const options: WsSocketServerOptions = { port, host: '127.0.0.1' };
  return new BrowserFacingWsServer(options);
}
