// The Node side of the Chromium contract run: PageSocket is the client handle the transport
// contract drives, and each of its calls is carried out by a BrowserSocket inside the page
// (test/browser/page/contract-page.ts) over Chromium's own WebSocket. Calls go to the page in
// order, in batches; the page's events come back in order and are replayed on the handle.
import type { Browser, Page } from 'playwright-core';
import { BROWSER_CAPABILITIES } from 'plugsocket/browser';
import {
  AbstractSocket,
  PlugSocketError,
  type ConnectOptions,
  type ErrorCode,
  type Frame,
  type TransportCapabilities,
} from 'plugsocket';
import type { Op, Reported } from './page/relay-protocol.js';

/** One Chromium page hosting any number of page sockets. */
export class PageBridge {
  readonly page: Page;
  #queue: Op[] = [];
  #pumping = false;
  #nextId = 1;
  readonly #sockets = new Map<number, PageSocket>();
  readonly #faults: string[] = [];

  private constructor(page: Page) {
    this.page = page;
  }

  /** Opens a blank page, loads the bundled page script and wires the event channel. */
  static async open(browser: Browser, script: string): Promise<PageBridge> {
    const page = await browser.newPage();
    const bridge = new PageBridge(page);
    await page.exposeFunction('plugsocketReport', (events: string) =>
      bridge.#dispatch(JSON.parse(events) as Reported[]),
    );
    await page.setContent('<!doctype html><title>plugsocket transport contract</title>');
    await page.addScriptTag({ content: script });
    return bridge;
  }

  /** A new client handle backed by a BrowserSocket in this page. */
  createSocket(): PageSocket {
    return new PageSocket(this);
  }

  /** Operations the page could not carry out since the last call (each fails the test). */
  takeFaults(): string[] {
    return this.#faults.splice(0);
  }

  /** @internal Registers a handle and creates its BrowserSocket in the page. */
  attach(socket: PageSocket): number {
    const id = this.#nextId++;
    this.#sockets.set(id, socket);
    this.run({ op: 'create', id });
    return id;
  }

  /** @internal Queues an operation; the queue goes to the page in order. */
  run(op: Op): void {
    this.#queue.push(op);
    if (!this.#pumping) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue;
        this.#queue = [];
        await this.page
          // One JSON string: Playwright serialises an array of objects at ~90 µs an element.
          .evaluate(
            (ops) => (window as unknown as PageApi).plugsocketRun(ops),
            JSON.stringify(batch),
          )
          .catch((error: unknown) => {
            // The page is gone only once the browser closes after the suite; before that, a
            // batch that did not run is a fault of the relay, reported like any other.
            if (!this.page.isClosed()) this.#faults.push(`page.evaluate: ${String(error)}`);
          });
      }
    } finally {
      this.#pumping = false;
    }
  }

  #dispatch(events: Reported[]): void {
    for (const event of events) {
      if (event.event === 'fault') this.#faults.push(`socket ${event.id}: ${event.message}`);
      else this.#sockets.get(event.id)?.receive(event);
    }
  }
}

interface PageApi {
  plugsocketRun(ops: string): void;
}

/** The contract's client handle; the BrowserSocket doing the work lives in the page. */
export class PageSocket extends AbstractSocket {
  readonly supports: TransportCapabilities = BROWSER_CAPABILITIES;
  readonly #bridge: PageBridge;
  /** This handle's BrowserSocket in the page, made on the first connect and kept. */
  #id: number | undefined;
  /** The connect count: events of an earlier connection are this side's no longer. */
  #gen = 0;
  #live = false;
  #buffered = 0;

  constructor(bridge: PageBridge) {
    super();
    this.#bridge = bridge;
  }

  protected doConnect(options: ConnectOptions): void {
    const id = (this.#id ??= this.#bridge.attach(this));
    const gen = ++this.#gen;
    this.#live = true;
    this.#buffered = 0;
    // The query as entries: serialising an object for the page would drop a __proto__ key.
    const { query, ...rest } = options;
    this.#bridge.run({
      op: 'connect',
      id,
      gen,
      options: rest,
      query: query && Object.entries(query),
    });
  }

  protected doSend(frame: Frame): void {
    const id = this.#liveId();
    if (typeof frame === 'string') this.#bridge.run({ op: 'send', id, text: frame });
    else this.#bridge.run({ op: 'send', id, bytes: Buffer.from(frame).toString('base64') });
  }

  protected override doBufferedAmount(): number {
    return this.#buffered;
  }

  protected doClose(code: number, reason: string): void {
    this.#bridge.run({ op: 'close', id: this.#liveId(), code, reason });
  }

  protected doTerminate(): void {
    if (!this.#live) return;
    this.#release();
    this.#bridge.run({ op: 'terminate', id: this.#liveId() });
  }

  /** @internal An event of the page socket, replayed here. */
  receive(event: Reported): void {
    if (event.event === 'buffered') {
      this.#buffered = event.amount;
      return;
    }
    if (event.event === 'fault' || event.gen !== this.#gen || !this.#live) return;
    switch (event.event) {
      case 'open':
        this.emitOpen();
        break;
      case 'text':
        this.emitMessage(event.text);
        break;
      case 'bytes':
        this.emitMessage(new Uint8Array(Buffer.from(event.bytes, 'base64')));
        break;
      case 'close':
        this.#release();
        this.emitClose({ code: event.code, reason: event.reason });
        break;
      case 'error':
        this.emitError(new PlugSocketError(event.code as ErrorCode, event.message));
        break;
      case 'connect-failed':
        this.#release();
        this.emitError(
          new PlugSocketError(
            'CONNECTION_FAILED',
            event.message,
            event.cause === undefined ? undefined : { cause: event.cause },
          ),
        );
        break;
    }
  }

  #liveId(): number {
    if (this.#id === undefined) throw new PlugSocketError('NOT_CONNECTED', 'no page socket');
    return this.#id;
  }

  /** Stops hearing the current connection: the base class has closed it on this side. */
  #release(): void {
    this.#live = false;
  }
}
