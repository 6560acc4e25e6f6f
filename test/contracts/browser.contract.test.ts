// The transport contract on the browser adapter in Node: BrowserSocket over the `ws` package's
// standard-API WebSocket class (Node 20 has no global one), against our ws server, through the
// fault proxy. The same adapter runs the contract in headless Chromium in
// test/browser/browser-chromium.contract.test.ts.
import { describeTransportContract } from 'plugsocket/contracts';
import { BrowserSocket, BROWSER_CAPABILITIES } from 'plugsocket/browser';
import { WsSocketServer, type WsSocketServerOptions } from 'plugsocket/ws';
import { WebSocket } from 'ws';

/**
 * The pair's manifest: what the browser client can do, with the server's own report of the
 * peer's address (a server-side capability the client has no part in).
 */
const PAIR = Object.freeze({ ...BROWSER_CAPABILITIES, remoteAddress: true });

/** A ws server that declares what this pair can do, so the suite holds both ends to one manifest. */
class BrowserFacingWsServer extends WsSocketServer {
  override readonly supports = PAIR;
}

const server = (options: WsSocketServerOptions) => new BrowserFacingWsServer(options);

describeTransportContract({
  name: 'browser (ws WebSocket in Node)',
  createServer: () => server({ port: 0, host: '127.0.0.1' }),
  createClient: () => new BrowserSocket({ WebSocket }),
  supports: PAIR,
  createServerAt: (address) => server({ port: address.port, host: '127.0.0.1' }),
  faults: true,
});
