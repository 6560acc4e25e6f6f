// The client's observability snapshots: getMetrics() counts what it says and only that (messages,
// requests, bytes as the transport carried them, errors, reconnects, uptime, queued frames, the
// heartbeat's mean round trip), and getConnectionInfo() follows the connection through its states.
import { expect } from 'chai';
import sinon from 'sinon';
import { MemorySocketServer } from '../../adapters/memory/index.js';
import {
  type AnyFrame,
  PlugSocketError,
  SocketServer,
  type SocketClient,
} from '../../src/index.js';
import {
  cleanUp,
  connectClient,
  dropConnection,
  flush,
  newClient,
  startServer,
  uniqueName,
  useFakeClock,
} from './support.js';

/** The size the byte counters give a frame: text length (UTF-16 units), binary bytes. */
function sizeOf(frame: AnyFrame): number {
  if (typeof frame === 'string') return frame.length;
  return (frame as Uint8Array).byteLength;
}

/** Records every frame the client hands its transport and every frame the transport delivers. */
function tap(client: SocketClient): { sent: AnyFrame[]; received: AnyFrame[] } {
  const sent: AnyFrame[] = [];
  const received: AnyFrame[] = [];
  const send = client.adapter.send.bind(client.adapter);
  sinon.stub(client.adapter, 'send').callsFake((frame) => {
    sent.push(frame);
    return send(frame);
  });
  client.adapter.on('message', (frame) => received.push(frame));
  return { sent, received };
}

function total(frames: AnyFrame[]): number {
  return frames.reduce((sum, frame) => sum + sizeOf(frame), 0);
}

/** Delivers a frame to the client as its transport would (the adapter's protected report). */
function inject(client: SocketClient, frame: AnyFrame): void {
  (client.adapter as unknown as { emitMessage(frame: AnyFrame): void }).emitMessage(frame);
}

describe('client metrics and connection info', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    sinon.restore();
    await cleanUp();
  });

  describe('getMetrics()', () => {
    it('starts at zero: nothing counted before anything happened', () => {
      const client = newClient('memory://nowhere');
      expect({ ...client.getMetrics() }).to.deep.equal({
        messagesSent: 0,
        messagesReceived: 0,
        requestsSent: 0,
        bytesSent: 0,
        bytesReceived: 0,
        averageLatency: undefined,
        uptime: 0,
        reconnectionCount: 0,
        errorCount: 0,
        queued: 0,
      });
    });

    it('counts each application message once, sent and received', async () => {
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const atServer: unknown[] = [];
      server.onMessage((_id, m) => void atServer.push(m.payload));
      const client = await connectClient(url);
      expect(client.getMetrics().messagesSent).to.equal(0);
      expect(client.getMetrics().messagesReceived).to.equal(0);
      client.emit('a', 1);
      client.send({ type: 'b', payload: 2 });
      await flush();
      expect(atServer).to.deep.equal([1, 2]);
      expect(client.getMetrics().messagesSent).to.equal(2);
      expect(client.getMetrics().messagesReceived).to.equal(0);
      const got: unknown[] = [];
      client.onMessage((m) => void got.push(m.payload));
      server.sendToClient(client.id ?? '', { type: 'x', payload: 'one' });
      server.broadcast({ type: 'y', payload: 'two' });
      await flush();
      expect(got).to.deep.equal(['one', 'two']);
      const m = client.getMetrics();
      expect(m.messagesReceived).to.equal(2);
      expect(m.messagesSent).to.equal(2);
      expect(m.requestsSent).to.equal(0);
    });

    it('counts a request in requestsSent, not in the message counters; answers and joins are not requests', async () => {
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      server.handle('echo', (p) => p);
      const client = await connectClient(url);
      expect(await client.request('echo', 1)).to.equal(1);
      expect(await client.request('echo', 2)).to.equal(2);
      let m = client.getMetrics();
      expect(m.requestsSent).to.equal(2);
      expect(m.messagesSent).to.equal(0);
      expect(m.messagesReceived).to.equal(0);
      // The server asks the client: the answer is a protocol frame, not a request nor a message.
      client.handle('twice', (p) => (p as number) * 2);
      expect(await server.request(client.id ?? '', 'twice', 4)).to.equal(8);
      await client.join('room');
      await client.leave('room');
      m = client.getMetrics();
      expect(m.requestsSent).to.equal(2);
      expect(m.messagesSent).to.equal(0);
      expect(m.messagesReceived).to.equal(0);
    });

    it('counts a request to another client, through the server, in the caller’s requestsSent only', async () => {
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const a = await connectClient(url);
      const b = await connectClient(url);
      b.handle('hello', (p) => `hi ${String(p)}`);
      expect(await a.requestClient(b.id ?? '', 'hello', 'a')).to.equal('hi a');
      expect(a.getMetrics().requestsSent).to.equal(1);
      expect(b.getMetrics().requestsSent).to.equal(0);
      expect(b.getMetrics().messagesReceived).to.equal(0);
    });

    it('counts what waited in the offline queue once, when it goes out', async () => {
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      server.handle('echo', (p) => p);
      const client = newClient(url);
      client.emit('a', 1);
      client.emit('a', 2);
      const answer = client.request('echo', 3);
      expect(client.getMetrics().messagesSent).to.equal(0);
      expect(client.getMetrics().requestsSent).to.equal(0);
      await client.connect();
      expect(await answer).to.equal(3);
      await flush();
      expect(client.getMetrics().messagesSent).to.equal(2);
      expect(client.getMetrics().requestsSent).to.equal(1);
    });

    it('counts bytes as the exact text lengths (UTF-16 units) of every frame carried, protocol frames included', async () => {
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      server.handle('echo', (p) => p);
      const client = newClient(url);
      const { sent, received } = tap(client);
      await client.connect();
      await flush();
      // The welcome is a protocol frame: it counts.
      expect(received).to.have.length.greaterThan(0);
      expect(client.getMetrics().bytesReceived).to.equal(total(received));
      expect(client.getMetrics().bytesSent).to.equal(total(sent));
      client.emit('say', 'é€😀 grüße');
      expect(await client.request('echo', { text: '日本語' })).to.deep.equal({ text: '日本語' });
      await client.join('room');
      client.handle('twice', (p) => (p as number) * 2);
      expect(await server.request(client.id ?? '', 'twice', 4)).to.equal(8);
      server.sendToClient(client.id ?? '', { type: 'x', payload: 'ça va 🙂' });
      await flush();
      const m = client.getMetrics();
      expect(sent.length).to.be.at.least(4); // message, request, join, answer
      expect(m.bytesSent).to.equal(total(sent));
      expect(m.bytesReceived).to.equal(total(received));
      // UTF-16 units, not UTF-8 bytes: the two differ for these frames.
      const utf8 = sent.reduce((s, f) => s + Buffer.byteLength(f as string), 0);
      expect(utf8).to.be.greaterThan(m.bytesSent);
    });

    it('counts one message’s bytes when it is sent, by that frame alone', async () => {
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      const { sent } = tap(client);
      const before = client.getMetrics().bytesSent;
      client.emit('say', 'hello');
      expect(sent).to.have.length(1);
      expect(typeof sent[0]).to.equal('string');
      expect(client.getMetrics().bytesSent - before).to.equal((sent[0] as string).length);
    });

    it('counts a binary frame received by its bytes', async () => {
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      const before = client.getMetrics();
      const bytes = new TextEncoder().encode(JSON.stringify({ k: 'msg', type: 'é', payload: '€' }));
      const text = JSON.stringify({ k: 'msg', type: 'é', payload: '€' });
      expect(bytes.byteLength).to.not.equal(text.length);
      const got: unknown[] = [];
      client.onMessage((m) => void got.push(m.payload));
      inject(client, bytes);
      expect(got).to.deep.equal(['€']);
      const after = client.getMetrics();
      expect(after.bytesReceived - before.bytesReceived).to.equal(bytes.byteLength);
      expect(after.messagesReceived - before.messagesReceived).to.equal(1);
    });

    it('counts errors reported on onError, and only those', async () => {
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      server.use((ctx, next) => {
        if (ctx.name === 'forbidden') throw new PlugSocketError('UNAUTHORIZED', 'not this one');
        return next();
      });
      server.handle('fail', () => {
        throw new PlugSocketError('UNAUTHORIZED', 'no');
      });
      const client = await connectClient(url);
      const reported: string[] = [];
      client.onError((e) => void reported.push(e.code));
      client.emit('fine', 1);
      await flush();
      expect(client.getMetrics().errorCount).to.equal(0);
      client.emit('forbidden', 1);
      await flush();
      expect(reported).to.deep.equal(['UNAUTHORIZED']);
      expect(client.getMetrics().errorCount).to.equal(1);
      client.emit('forbidden', 2);
      await flush();
      expect(client.getMetrics().errorCount).to.equal(2);
      // A refused request rejects its caller: it is not reported on onError.
      await client.request('fail', null).catch(() => undefined);
      await flush();
      expect(reported).to.have.length(2);
      expect(client.getMetrics().errorCount).to.equal(2);
    });

    it('counts successful reconnects only: not the first connect, nor a connect() after disconnect()', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      expect(client.getMetrics().reconnectionCount).to.equal(0);
      dropConnection(server, client.id ?? '');
      await flush();
      expect(client.state).to.equal('reconnecting');
      expect(client.getMetrics().reconnectionCount).to.equal(0);
      await clock.tickAsync(1000);
      await flush();
      expect(client.state).to.equal('open');
      expect(client.getMetrics().reconnectionCount).to.equal(1);
      dropConnection(server, client.id ?? '');
      await flush();
      await clock.tickAsync(1000);
      await flush();
      expect(client.state).to.equal('open');
      expect(client.getMetrics().reconnectionCount).to.equal(2);
      await client.disconnect();
      await client.connect();
      expect(client.getMetrics().reconnectionCount).to.equal(2);
    });

    it('does not count a reconnect attempt that failed', async () => {
      clock = useFakeClock();
      const name = uniqueName('metrics-restart');
      const server = new SocketServer(new MemorySocketServer({ name }), {
        heartbeatInterval: Infinity,
      });
      const url = (await server.listen()).url ?? '';
      const client = newClient(url, {
        reconnect: { retries: 3, minDelay: 100, maxDelay: 100, factor: 1 },
      });
      await client.connect();
      await server.shutdown();
      await clock.tickAsync(1000);
      await flush();
      expect(client.state).to.equal('closed');
      expect(client.getMetrics().reconnectionCount).to.equal(0);
    });

    it('gives uptime: the time the current connection has been open, 0 while not open', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const client = newClient(url);
      expect(client.getMetrics().uptime).to.equal(0);
      await client.connect();
      expect(client.getMetrics().uptime).to.equal(0);
      await clock.tickAsync(1500);
      expect(client.getMetrics().uptime).to.equal(1500);
      await clock.tickAsync(250);
      expect(client.getMetrics().uptime).to.equal(1750);
      sinon.stub(Math, 'random').returns(0.5);
      dropConnection(server, client.id ?? '');
      await flush();
      expect(client.state).to.equal('reconnecting');
      expect(client.getMetrics().uptime).to.equal(0);
      await clock.tickAsync(500);
      await flush();
      expect(client.state).to.equal('open');
      // The new connection's own time, not the first one's.
      expect(client.getMetrics().uptime).to.equal(0);
      await clock.tickAsync(100);
      expect(client.getMetrics().uptime).to.equal(100);
      await client.disconnect();
      expect(client.getMetrics().uptime).to.equal(0);
      await clock.tickAsync(1000);
      expect(client.getMetrics().uptime).to.equal(0);
    });

    it('counts queued frames: the offline queue, then what maxRate holds back', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = newClient(url, { maxRate: 2 });
      client.emit('a', 1);
      client.emit('a', 2);
      void client.request('r', null).catch(() => undefined);
      expect(client.getMetrics().queued).to.equal(3);
      await client.connect();
      // Two go out at once (a burst of one second's worth), the third waits for the rate.
      expect(client.getMetrics().queued).to.equal(1);
      client.emit('a', 3);
      client.emit('a', 4);
      expect(client.getMetrics().queued).to.equal(3);
      await clock.tickAsync(500);
      expect(client.getMetrics().queued).to.equal(2);
      await clock.tickAsync(1000);
      expect(client.getMetrics().queued).to.equal(0);
    });

    it('counts maxRate-held frames in queued and drops them from it when the connection closes', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url, { maxRate: 1 });
      client.emit('a', 1);
      client.emit('a', 2);
      client.emit('a', 3);
      expect(client.getMetrics().queued).to.equal(2);
      await client.disconnect();
      expect(client.getMetrics().queued).to.equal(0);
    });

    it('averages the heartbeat’s round trips: undefined before the first pong, then their mean', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = newClient(url, { heartbeatInterval: 1000, heartbeatTimeout: 5000 });
      const adapter = client.adapter;
      const delays = [30, 50, 100];
      let pings = 0;
      sinon.stub(adapter, 'ping').callsFake(() => {
        const delay = delays[pings++] ?? 0;
        setTimeout(() => (adapter as unknown as { emitPong(): void }).emitPong(), delay);
        return true;
      });
      await client.connect();
      const t0 = Date.now();
      expect(client.getMetrics().averageLatency).to.equal(undefined);
      await clock.tickAsync(1000);
      expect(pings).to.equal(1);
      // Pinged, not answered yet.
      expect(client.getMetrics().averageLatency).to.equal(undefined);
      let info = client.getConnectionInfo();
      expect(info.lastPing).to.equal(t0 + 1000);
      expect(info.lastPong).to.equal(undefined);
      expect(info.latency).to.equal(undefined);
      await clock.tickAsync(30);
      expect(client.getMetrics().averageLatency).to.equal(30);
      info = client.getConnectionInfo();
      expect(info.latency).to.equal(30);
      expect(info.lastPong).to.equal(t0 + 1030);
      await clock.tickAsync(970 + 50);
      expect(pings).to.equal(2);
      expect(client.getMetrics().averageLatency).to.equal(40);
      info = client.getConnectionInfo();
      expect(info.latency).to.equal(50);
      expect(info.lastPing).to.equal(t0 + 2000);
      expect(info.lastPong).to.equal(t0 + 2050);
      await clock.tickAsync(950 + 100);
      expect(pings).to.equal(3);
      expect(client.getMetrics().averageLatency).to.equal(60);
      expect(client.getConnectionInfo().latency).to.equal(100);
    });

    it('measures the memory transport’s own pings (answered within the same instant: 0 ms)', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url, { heartbeatInterval: 1000 });
      await clock.tickAsync(1000);
      await flush();
      const now = Date.now();
      const info = client.getConnectionInfo();
      expect(info.lastPing).to.equal(now);
      expect(info.lastPong).to.equal(now);
      expect(info.latency).to.equal(0);
      expect(client.getMetrics().averageLatency).to.equal(0);
    });

    it('says what the last connect did to the session, and how many frames wait for the server’s acknowledgement', async () => {
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const client = newClient(url);
      expect(client.getConnectionInfo().session).to.equal(undefined);
      await client.connect();
      expect(client.getConnectionInfo().session).to.deep.equal({
        resumed: false,
        reason: 'initial',
      });
      let taken = 0;
      server.onMessage(() => void taken++);
      for (let i = 0; i < 31; i++) client.emit('a', i);
      await flush();
      expect(taken).to.equal(31);
      // The server acknowledges every 32 frames: 31 are still kept to send again on resume.
      expect(client.getConnectionInfo().unacknowledged).to.equal(31);
      client.emit('a', 31);
      await flush();
      expect(client.getConnectionInfo().unacknowledged).to.equal(0);
    });

    it('is a frozen snapshot: later activity does not change one already taken', async () => {
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      const before = client.getMetrics();
      expect(Object.isFrozen(before)).to.equal(true);
      expect(() => {
        (before as { messagesSent: number }).messagesSent = 99;
      }).to.throw(TypeError);
      client.emit('a', 1);
      expect(before.messagesSent).to.equal(0);
      expect(client.getMetrics().messagesSent).to.equal(1);
      expect(client.getMetrics()).to.not.equal(client.getMetrics());
    });
  });

  // Frames maxRate holds back count once they go, and not at all when a close drops them.
  it('counts a message or request held back by maxRate only once it is handed to the transport', async () => {
    clock = useFakeClock();
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    let atServer = 0;
    server.onMessage(() => void atServer++);
    server.handle('r', (p) => p);
    const client = await connectClient(url, { maxRate: 1 });
    client.emit('a', 1);
    client.emit('a', 2);
    void client.request('r', 1).catch(() => undefined);
    expect(client.getMetrics().queued).to.equal(2);
    expect(client.getMetrics().messagesSent).to.equal(1);
    expect(client.getMetrics().requestsSent).to.equal(0);
    await client.disconnect();
    await flush();
    expect(atServer).to.equal(1);
    expect(client.getMetrics().messagesSent).to.equal(1);
    expect(client.getMetrics().requestsSent).to.equal(0);
  });

  describe('getConnectionInfo()', () => {
    it('follows the states: idle, connecting, open, reconnecting (attempts counted), open, closed', async () => {
      clock = useFakeClock();
      const name = uniqueName('info-restart');
      const first = new SocketServer(new MemorySocketServer({ name }), {
        heartbeatInterval: Infinity,
      });
      const url = (await first.listen()).url ?? '';
      const client = newClient(url, {
        reconnect: { retries: 10, minDelay: 100, maxDelay: 100, factor: 1 },
      });
      sinon.stub(Math, 'random').returns(0.5); // every delay 50 ms

      let info = client.getConnectionInfo();
      expect(info.state).to.equal('idle');
      expect(info.id).to.equal(undefined);
      expect(info.connectedAt).to.equal(undefined);
      expect(info.reconnectAttempts).to.equal(0);
      expect(info.bufferedAmount).to.equal(0);
      expect(info.lastPing).to.equal(undefined);
      expect(info.lastPong).to.equal(undefined);
      expect(info.latency).to.equal(undefined);

      await clock.tickAsync(100);
      const connecting = client.connect();
      info = client.getConnectionInfo();
      expect(info.state).to.equal('connecting');
      expect(info.connectedAt).to.equal(undefined);
      await connecting;
      info = client.getConnectionInfo();
      expect(info.state).to.equal('open');
      expect(info.id).to.be.a('string').and.equal(client.id);
      expect(info.connectedAt).to.equal(Date.now());
      expect(info.reconnectAttempts).to.equal(0);
      expect(info.principal === undefined || typeof info.principal === 'string').to.equal(true);
      const firstId = info.id;
      const firstOpen = info.connectedAt;

      await clock.tickAsync(200);
      await first.shutdown(); // 1001: come back later; nobody listens for now
      await flush();
      info = client.getConnectionInfo();
      expect(info.state).to.equal('reconnecting');
      expect(info.reconnectAttempts).to.equal(1);
      expect(info.connectedAt).to.equal(undefined);
      expect(info.id).to.equal(firstId); // the last id the server gave, until the next welcome
      await clock.tickAsync(50);
      await flush();
      expect(client.getConnectionInfo().reconnectAttempts).to.equal(2);
      await clock.tickAsync(50);
      await flush();
      expect(client.getConnectionInfo().reconnectAttempts).to.equal(3);
      expect(client.getConnectionInfo().state).to.equal('reconnecting');

      const second = new SocketServer(new MemorySocketServer({ name }), {
        heartbeatInterval: Infinity,
      });
      await second.listen();
      await clock.tickAsync(50);
      await flush();
      info = client.getConnectionInfo();
      expect(info.state).to.equal('open');
      expect(info.reconnectAttempts).to.equal(0);
      expect(info.id).to.be.a('string').and.not.equal(firstId);
      expect(info.connectedAt).to.equal(Date.now());
      expect(info.connectedAt).to.be.greaterThan(firstOpen ?? Infinity);

      await client.disconnect();
      info = client.getConnectionInfo();
      expect(info.state).to.equal('closed');
      expect(info.connectedAt).to.equal(undefined);
      expect(info.reconnectAttempts).to.equal(0);
      await second.shutdown();
    });

    it('reports the transport’s bufferedAmount: frames not yet handed to the server', async () => {
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      expect(client.getConnectionInfo().bufferedAmount).to.equal(0);
      client.emit('big', 'x'.repeat(1000));
      const held = client.getConnectionInfo().bufferedAmount;
      expect(held).to.be.a('number').and.greaterThan(1000);
      expect(held).to.equal(client.adapter.bufferedAmount);
      await flush();
      expect(client.getConnectionInfo().bufferedAmount).to.equal(0);
    });

    it('is a frozen snapshot', async () => {
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      const info = client.getConnectionInfo();
      expect(Object.isFrozen(info)).to.equal(true);
      expect(() => {
        (info as { state: string }).state = 'closed';
      }).to.throw(TypeError);
      await client.disconnect();
      expect(info.state).to.equal('open');
      expect(client.getConnectionInfo().state).to.equal('closed');
    });

    it('gives no uptime while closing', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      await clock.tickAsync(100);
      expect(client.getMetrics().uptime).to.equal(100);
      const closing = client.disconnect();
      expect(client.state).to.equal('closing');
      expect(client.getMetrics().uptime).to.equal(0);
      await closing;
    });

    // connectedAt is undefined as soon as the client is not open, closing included.
    it('has no connectedAt while closing', async () => {
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      const closing = client.disconnect();
      const info = client.getConnectionInfo();
      expect(info.state).to.equal('closing');
      expect(client.getMetrics().uptime).to.equal(0);
      expect(info.connectedAt).to.equal(undefined);
      await closing;
    });
  });
});
