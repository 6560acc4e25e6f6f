// BrowserSocket's own behaviour over a scripted WebSocket: what it sends the platform, how it
// reads the platform's events, and the limits docs/browser.md promises it keeps. The transport
// contract runs it for real over ws's class (test/contracts) and in Chromium (test/browser).
import { expect } from 'chai';
import { PlugSocketError } from 'plugsocket';
import { BrowserSocket, type WebSocketEventLike } from 'plugsocket/browser';

type Listener = (event: WebSocketEventLike) => void;

/** A WebSocket whose events the test fires; it records what the adapter did to it. */
class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  readonly url: string;
  readonly protocols: string | string[] | undefined;
  readyState = 0;
  bufferedAmount = 0;
  binaryType = 'blob';
  readonly sent: (string | Uint8Array)[] = [];
  readonly closes: { code?: number; reason?: string }[] = [];
  readonly #listeners = new Map<string, Set<Listener>>();

  constructor(url: string, protocols?: string | string[]) {
    this.url = url;
    this.protocols = protocols;
    FakeWebSocket.instances.push(this);
  }

  send(data: string | Uint8Array): void {
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closes.push({ code, reason });
    this.readyState = 2;
  }

  addEventListener(type: string, listener: Listener): void {
    let set = this.#listeners.get(type);
    if (set === undefined) this.#listeners.set(type, (set = new Set()));
    set.add(listener);
  }

  removeEventListener(type: string, listener: Listener): void {
    this.#listeners.get(type)?.delete(listener);
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.#listeners.values()) n += set.size;
    return n;
  }

  fire(type: string, fields: Omit<WebSocketEventLike, 'type'> = {}): void {
    if (type === 'open') this.readyState = 1;
    if (type === 'close') this.readyState = 3;
    for (const listener of [...(this.#listeners.get(type) ?? [])]) listener({ type, ...fields });
  }
}

/** A FakeWebSocket with ws's non-standard terminate(). */
class TerminableWebSocket extends FakeWebSocket {
  terminated = 0;
  terminate(): void {
    this.terminated++;
    this.readyState = 3;
  }
}

const last = (): FakeWebSocket => FakeWebSocket.instances[FakeWebSocket.instances.length - 1];

/** A BrowserSocket over the fake, connected. */
async function open(
  options: { url?: string; query?: Record<string, string> } = {},
): Promise<{ socket: BrowserSocket; ws: FakeWebSocket }> {
  const socket = new BrowserSocket({ WebSocket: FakeWebSocket });
  const connected = socket.connect({
    url: options.url ?? 'ws://127.0.0.1:1/',
    query: options.query,
  });
  const ws = last();
  ws.fire('open');
  await connected;
  return { socket, ws };
}

async function rejection(promise: Promise<unknown>): Promise<PlugSocketError> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(PlugSocketError);
    return error as PlugSocketError;
  }
  throw new Error('expected a rejection');
}

describe('BrowserSocket over a scripted WebSocket', () => {
  const g = globalThis as { WebSocket?: unknown; location?: unknown };
  let savedWebSocket: unknown;
  let savedLocation: unknown;

  beforeEach(() => {
    FakeWebSocket.instances = [];
    savedWebSocket = g.WebSocket;
    savedLocation = g.location;
  });

  afterEach(() => {
    g.WebSocket = savedWebSocket;
    g.location = savedLocation;
  });

  describe('opening', () => {
    it('uses the global WebSocket by default, asks for array buffers and offers the protocols', async () => {
      g.WebSocket = FakeWebSocket;
      const socket = new BrowserSocket({ protocols: ['chat.v1'] });
      const connected = socket.connect({ url: 'ws://127.0.0.1:1/rt' });
      const ws = last();
      expect(ws.url).to.equal('ws://127.0.0.1:1/rt');
      expect(ws.protocols).to.deep.equal(['chat.v1']);
      expect(ws.binaryType).to.equal('arraybuffer');
      ws.fire('open');
      await connected;
      expect(socket.isOpen).to.equal(true);
    });

    it('fails connect() with a clear cause where the runtime has no WebSocket', async () => {
      delete g.WebSocket;
      const error = await rejection(new BrowserSocket().connect({ url: 'ws://127.0.0.1:1/' }));
      expect(error.code).to.equal('CONNECTION_FAILED');
      expect(error.cause).to.be.instanceOf(TypeError);
      expect(error.message).to.include("import { WebSocket } from 'ws'");
    });

    it('refuses a WebSocket option that is not a constructor', () => {
      expect(
        () => new BrowserSocket({ WebSocket: 'ws' as unknown as typeof FakeWebSocket }),
      ).to.throw(TypeError, /constructor/);
    });

    it('fails connect() for headers or handshake auth, which a page cannot send, naming the strategies to use', async () => {
      const socket = new BrowserSocket({ WebSocket: FakeWebSocket });
      const withHeaders = await rejection(
        socket.connect({ url: 'ws://127.0.0.1:1/', headers: { 'x-a': '1' } }),
      );
      expect(withHeaders.code).to.equal('CONNECTION_FAILED');
      expect(withHeaders.cause).to.be.instanceOf(TypeError);
      expect(withHeaders.message).to.include('FirstFrameAuthorization');
      const withAuth = await rejection(
        socket.connect({ url: 'ws://127.0.0.1:1/', auth: { token: 't' } }),
      );
      expect(withAuth.message).to.include('QueryTokenAuthorization');
      expect(FakeWebSocket.instances).to.have.length(0);
      // An empty headers object asks for nothing, so it is no reason to refuse.
      const connected = socket.connect({ url: 'ws://127.0.0.1:1/', headers: {} });
      last().fire('open');
      await connected;
    });

    it('resolves a relative url against the page, takes http(s) as ws(s) and drops a fragment', async () => {
      g.location = { href: 'https://example.test/app/index.html' };
      await open({ url: '/rt#top' });
      expect(last().url).to.equal('wss://example.test/rt');
      await open({ url: 'http://127.0.0.1:8080/x' });
      expect(last().url).to.equal('ws://127.0.0.1:8080/x');
    });

    it('fails connect() with a clear message for a relative url without a page', async () => {
      delete g.location;
      const error = await rejection(
        new BrowserSocket({ WebSocket: FakeWebSocket }).connect({ url: '/rt' }),
      );
      expect(error.code).to.equal('CONNECTION_FAILED');
      expect(error.message).to.include('no page location');
    });

    it("merges the query: the url's own parameters stay byte for byte, the options' replace and append", async () => {
      await open({
        url: 'ws://127.0.0.1:1/rt?sig=a~b%2Fc&token=old&x=1',
        query: { token: 'new one', 'plugsocket-resume': 'new' },
      });
      expect(last().url).to.equal(
        'ws://127.0.0.1:1/rt?sig=a~b%2Fc&x=1&token=new%20one&plugsocket-resume=new',
      );
      await open({ url: 'ws://127.0.0.1:1/rt?sig=a~b', query: {} });
      expect(last().url).to.equal('ws://127.0.0.1:1/rt?sig=a~b');
    });

    it('fails connect() once on an error while connecting, and hears nothing of that socket after', async () => {
      const socket = new BrowserSocket({ WebSocket: FakeWebSocket });
      const errors: unknown[] = [];
      socket.on('error', (e) => errors.push(e));
      const connected = socket.connect({ url: 'ws://127.0.0.1:1/' });
      const ws = last();
      ws.fire('error');
      ws.fire('close', { code: 1006, reason: '' });
      const error = await rejection(connected);
      expect(error.code).to.equal('CONNECTION_FAILED');
      expect(errors).to.deep.equal([]);
      expect(ws.listenerCount()).to.equal(1); // only the swallowing 'error' listener is left
    });
  });

  describe('frames', () => {
    it('sends text as it is and binary as a copy, a Node Buffer included', async () => {
      const { socket, ws } = await open();
      const bytes = new Uint8Array([1, 2, 3, 4]).subarray(1, 3);
      const buffer = Buffer.from([9, 8, 7]);
      expect(socket.send('hello')).to.equal(true);
      expect(socket.send(bytes)).to.equal(true);
      expect(socket.send(buffer)).to.equal(true);
      bytes.fill(0);
      buffer.fill(0);
      expect(ws.sent[0]).to.equal('hello');
      expect([...(ws.sent[1] as Uint8Array)]).to.deep.equal([2, 3]);
      expect([...(ws.sent[2] as Uint8Array)]).to.deep.equal([9, 8, 7]);
      expect((ws.sent[2] as Uint8Array).buffer).to.not.equal(buffer.buffer);
    });

    it('delivers text as a string and binary as a Uint8Array, from an ArrayBuffer or a view', async () => {
      const { socket, ws } = await open();
      const frames: unknown[] = [];
      socket.on('message', (f) => frames.push(f));
      ws.fire('message', { data: 'text' });
      ws.fire('message', { data: new Uint8Array([1, 2]).buffer });
      const backing = new Uint8Array([0, 5, 6, 0]);
      ws.fire('message', { data: Buffer.from(backing.buffer, 1, 2) });
      expect(frames[0]).to.equal('text');
      expect(frames[1]).to.be.instanceOf(Uint8Array);
      expect([...(frames[1] as Uint8Array)]).to.deep.equal([1, 2]);
      expect([...(frames[2] as Uint8Array)]).to.deep.equal([5, 6]);
    });

    it('reports data of an unknown type as INVALID_MESSAGE and stays open', async () => {
      const { socket, ws } = await open();
      const errors: PlugSocketError[] = [];
      socket.on('error', (e) => errors.push(e));
      ws.fire('message', { data: { size: 3 } }); // a Blob, where binaryType was not honoured
      expect(errors.map((e) => e.code)).to.deep.equal(['INVALID_MESSAGE']);
      expect(socket.isOpen).to.equal(true);
    });

    it("reports the platform's backlog as bufferedAmount while open, and 0 once closed", async () => {
      const { socket, ws } = await open();
      ws.bufferedAmount = 1234;
      expect(socket.bufferedAmount).to.equal(1234);
      ws.fire('close', { code: 1006, reason: '' });
      expect(socket.bufferedAmount).to.equal(0);
    });
  });

  describe('closing', () => {
    it('closes with the code and reason asked for where the platform allows them', async () => {
      const { socket, ws } = await open();
      const closes: unknown[] = [];
      socket.on('close', (c) => closes.push(c));
      const done = socket.disconnect(4001, 'bye');
      expect(ws.closes).to.deep.equal([{ code: 4001, reason: 'bye' }]);
      ws.fire('close', { code: 4001, reason: 'bye' });
      await done;
      expect(closes).to.deep.equal([{ code: 4001, reason: 'bye' }]);
    });

    it('sends 1000 for a code a page may not send, and still reports the code asked for', async () => {
      const { socket, ws } = await open();
      const closes: unknown[] = [];
      socket.on('close', (c) => closes.push(c));
      const done = socket.disconnect(1001, 'going');
      expect(ws.closes).to.deep.equal([{ code: 1000, reason: 'going' }]);
      ws.fire('close', { code: 1000, reason: 'going' });
      await done;
      expect(closes).to.deep.equal([{ code: 1001, reason: 'going' }]);
    });

    it('reports a connection lost while open through close (1006) alone, not as an error', async () => {
      const { socket, ws } = await open();
      const events: string[] = [];
      socket.on('error', (e) => events.push(`error ${e.code}`));
      socket.on('close', (c) => events.push(`close ${c.code}`));
      ws.fire('error');
      ws.fire('close', { code: 1006, reason: '' });
      expect(events).to.deep.equal(['close 1006']);
    });

    it('reports a close without a status as 1005', async () => {
      const { socket, ws } = await open();
      const codes: number[] = [];
      socket.on('close', (c) => codes.push(c.code));
      ws.fire('close', {});
      expect(codes).to.deep.equal([1005]);
    });

    it('terminate() reports 1006 at once and closes the native socket with 1000', async () => {
      const { socket, ws } = await open();
      const codes: number[] = [];
      socket.on('close', (c) => codes.push(c.code));
      socket.terminate();
      expect(codes).to.deep.equal([1006]);
      expect(ws.closes).to.deep.equal([{ code: 1000, reason: undefined }]);
      ws.fire('close', { code: 1000, reason: '' });
      ws.fire('message', { data: 'late' });
      expect(codes).to.deep.equal([1006]);
    });

    it("terminate() drops the connection with the implementation's own terminate() where it has one", async () => {
      const socket = new BrowserSocket({ WebSocket: TerminableWebSocket });
      const connected = socket.connect({ url: 'ws://127.0.0.1:1/' });
      const ws = last() as TerminableWebSocket;
      ws.fire('open');
      await connected;
      socket.terminate();
      expect(ws.terminated).to.equal(1);
      expect(ws.closes).to.deep.equal([]);
    });

    it('connects again on the same instance, deaf to the earlier socket', async () => {
      const { socket, ws: first } = await open();
      const frames: unknown[] = [];
      const closes: number[] = [];
      socket.on('message', (f) => frames.push(f));
      socket.on('close', (c) => closes.push(c.code));
      first.fire('close', { code: 1006, reason: '' });
      const connected = socket.connect({ url: 'ws://127.0.0.1:1/' });
      const second = last();
      second.fire('open');
      await connected;
      first.fire('message', { data: 'stale' });
      first.fire('close', { code: 1000, reason: '' });
      second.fire('message', { data: 'fresh' });
      expect(frames).to.deep.equal(['fresh']);
      expect(closes).to.deep.equal([1006]);
      expect(first.listenerCount()).to.equal(0);
    });
  });
});
