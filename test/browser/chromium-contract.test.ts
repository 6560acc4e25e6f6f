// The transport contract on the browser adapter in headless Chromium: every client call runs on
// a BrowserSocket inside a real page, over Chromium's own WebSocket, against our ws server in
// Node (test/browser/page-socket.ts relays calls and events between the suite and the page).
import type { Browser } from 'playwright-core';
import { describeTransportContract } from 'plugsocket/contracts';
import { BROWSER_CAPABILITIES } from 'plugsocket/browser';
import { WsSocketServer, type WsSocketServerOptions } from 'plugsocket/ws';
import { bundlePage, launchChromium } from './chromium.js';
import { PageBridge } from './page-socket.js';

const PAIR = BROWSER_CAPABILITIES;

/** A ws server that declares what this pair can do, so the suite holds both ends to one manifest. */
class BrowserFacingWsServer extends WsSocketServer {
  override readonly supports = PAIR;
}

const server = (options: WsSocketServerOptions) => new BrowserFacingWsServer(options);

let browser: Browser | undefined;
let bridge: PageBridge | undefined;

describe('browser adapter in headless Chromium', function () {
  this.timeout(60_000);

  before(async function () {
    this.timeout(60_000);
    browser = await launchChromium();
    bridge = await PageBridge.open(browser, await bundlePage('test/browser/page/contract-page.ts'));
  });

  after(async () => {
    await browser?.close();
  });

  describeTransportContract({
    name: 'browser (Chromium)',
    createServer: () => server({ port: 0, host: '127.0.0.1' }),
    createClient: () => {
      if (bridge === undefined) throw new Error('the Chromium page did not open');
      return bridge.createSocket();
    },
    supports: PAIR,
    createServerAt: (address) => server({ port: address.port, host: '127.0.0.1' }),
    faults: true,
    // A page cannot drop a connection without a close handshake (T-CLOSE-03 is skipped).
    clientAbort: false,
    // Every frame crosses the DevTools protocol as well as the socket: the 64 MiB and 70,000-frame
    // streams need more than the default 10 s.
    timeout: 40_000,
    // T-CLOSE-23 (SHOULD) races the relay: frames the suite sends in the tick the server starts a
    // close reach the page after the close does. It is reported, not failed (see docs/browser.md).
    shouldFailures: 'report',
  });
});
