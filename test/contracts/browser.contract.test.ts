// The transport contract on the browser adapter in Node: BrowserSocket over the `ws` package's
// standard-API WebSocket class (Node 20 has no global one), against our ws server, through the
// fault proxy. The same adapter runs the contract in headless Chromium in
// test/browser/chromium-contract.test.ts, and the layer contract in layer.contract.test.ts.
import { describeTransportContract } from 'plugsocket/contracts';
import { BrowserSocket } from 'plugsocket/browser';
import { WebSocket } from 'ws';
import { BROWSER_PAIR, browserFacingServer } from './browser-pair.js';

describeTransportContract({
  name: 'browser',
  createServer: () => browserFacingServer(),
  createClient: () => new BrowserSocket({ WebSocket }),
  supports: BROWSER_PAIR,
  createServerAt: (address) => browserFacingServer(address.port),
  faults: true,
});
