// The transport contract on the browser adapter in headless Chromium: every client call runs on
// a BrowserSocket inside a real page, over Chromium's own WebSocket, against our ws server in
// Node (test/browser/page-socket.ts relays calls and events between the suite and the page).
import type { Browser } from 'playwright-core';
import { describeTransportContract } from 'plugsocket/contracts';
import { BROWSER_PAIR, browserFacingServer } from '../contracts/browser-pair.js';
import { bundlePage, launchChromium } from './chromium.js';
import { PageBridge } from './page-socket.js';

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
    name: 'browser in Chromium',
    createServer: () => browserFacingServer(),
    createClient: () => {
      if (bridge === undefined) throw new Error('the Chromium page did not open');
      return bridge.createSocket();
    },
    supports: BROWSER_PAIR,
    createServerAt: (address) => browserFacingServer(address.port),
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
