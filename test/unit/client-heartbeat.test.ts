// The client's heartbeat on fake timers: it pings the server every heartbeatInterval (the
// transport's ping where the adapter has one, the protocol's `ping` frame otherwise, never both),
// takes any frame from the server as a sign of life, and drops and reconnects when the server
// shows none within heartbeatTimeout of a ping. It also answers the server's protocol pings.
import { expect } from 'chai';
import sinon from 'sinon';
import {
  MEMORY_CAPABILITIES,
  MemorySocket,
  MemorySocketServer,
} from '../../adapters/memory/index.js';
import {
  type AnyFrame,
  type ClientState,
  type PlugSocketError,
  SocketClient,
  SocketServer,
  type TransportCapabilities,
} from '../../src/index.js';
import {
  cleanUp,
  connectClient,
  expectCode,
  flush,
  newClient,
  startServer,
  uniqueName,
  useFakeClock,
} from './support.js';
// White box, until the round trip is read through the client's API: the heartbeat's own record.
import { ClientHeartbeat } from '../../src/client/heartbeat.js';

/** The kind of a protocol frame: `k` of a JSON envelope, or the number of a compact one. */
function kindOf(frame: AnyFrame): string {
  const text =
    typeof frame === 'string'
      ? frame
      : frame instanceof Uint8Array
        ? new TextDecoder().decode(frame)
        : JSON.stringify(frame);
  const value = JSON.parse(text) as unknown;
  if (Array.isArray(value)) return value[0] === 10 ? 'ping' : value[0] === 11 ? 'pong' : 'other';
  return String((value as { k?: unknown }).k);
}

/** The kinds of the frames a spied `send` was called with. */
function sentKinds(send: sinon.SinonSpy): string[] {
  return send.getCalls().map((call) => kindOf(call.args[0] as AnyFrame));
}

/** A memory server whose transport declares no ping: the server pings with protocol frames. */
class NoPingMemoryServer extends MemorySocketServer {
  override readonly supports: TransportCapabilities = Object.freeze({
    ...MEMORY_CAPABILITIES,
    ping: false,
  });
}

/** A memory client whose transport declares no ping: the client pings with protocol frames. */
class NoPingMemorySocket extends MemorySocket {
  override readonly supports: TransportCapabilities = Object.freeze({
    ...MEMORY_CAPABILITIES,
    ping: false,
  });
}

/** Heartbeats of these specs: a ping a second, half a second to answer. */
const FAST = { heartbeatInterval: 1000, heartbeatTimeout: 500 } as const;

describe('client heartbeats', () => {
  let clock: sinon.SinonFakeTimers;
  const extra: (SocketServer | SocketClient)[] = [];
  beforeEach(() => {
    clock = useFakeClock();
  });
  afterEach(async () => {
    clock.restore();
    sinon.restore();
    await Promise.all(
      extra.map((x) =>
        (x instanceof SocketServer ? x.shutdown() : x.disconnect()).catch(() => undefined),
      ),
    );
    extra.length = 0;
    await cleanUp();
  });

  it('pings with the transport ping every heartbeatInterval, never with a protocol frame, and its pongs keep it open', async () => {
    // The server's own heartbeat is off: it sends nothing, so only the pongs keep the client.
    const { url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, FAST);
    const ping = sinon.spy(client.adapter, 'ping');
    const send = sinon.spy(client.adapter, 'send');
    const pongs = sinon.spy();
    client.adapter.on('pong', pongs);
    const taken = sinon.spy(ClientHeartbeat.prototype, 'pong');
    const errors: PlugSocketError[] = [];
    client.onError((e) => errors.push(e));
    await clock.tickAsync(999);
    expect(ping.callCount, 'no ping before an interval').to.equal(0);
    await clock.tickAsync(1);
    expect(ping.callCount).to.equal(1);
    expect(ping.firstCall.returnValue, 'a transport ping went').to.equal(true);
    await clock.tickAsync(9000);
    expect(ping.callCount, 'one a second').to.equal(10);
    await clock.tickAsync(50_000);
    expect(ping.callCount).to.be.within(58, 60);
    expect(pongs.callCount, 'each ping answered by the transport').to.equal(ping.callCount);
    expect(taken.callCount, 'each pong taken by the heartbeat').to.equal(ping.callCount);
    const beat = taken.thisValues[0] as ClientHeartbeat;
    expect(beat.rttCount, 'a round trip per pong').to.equal(ping.callCount);
    expect(beat.rtt).to.be.at.least(0);
    expect(sentKinds(send), 'no protocol ping besides the transport ping').to.not.include('ping');
    expect(errors).to.deep.equal([]);
    expect(client.state).to.equal('open');
  });

  it('falls back to the protocol ping frame when adapter.ping() returns false, and the server’s pong frames keep it open', async () => {
    const { url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, FAST);
    const ping = sinon.stub(client.adapter, 'ping').returns(false);
    const send = sinon.spy(client.adapter, 'send');
    const received: string[] = [];
    client.adapter.on('message', (frame) => received.push(kindOf(frame)));
    const taken = sinon.spy(ClientHeartbeat.prototype, 'pong');
    const errors: PlugSocketError[] = [];
    client.onError((e) => errors.push(e));
    await clock.tickAsync(10_000);
    expect(ping.callCount, 'the transport ping is tried first').to.equal(10);
    expect(sentKinds(send)).to.deep.equal(Array<string>(10).fill('ping'));
    expect(send.firstCall.args[0], 'the protocol ping frame').to.equal('{"k":"ping"}');
    await flush();
    expect(received, 'the server answered each').to.deep.equal(Array<string>(10).fill('pong'));
    expect(taken.callCount, 'each pong frame taken as the answer').to.equal(10);
    expect((taken.thisValues[0] as ClientHeartbeat).rttCount).to.equal(10);
    // The server sends nothing else: only its pong frames keep the client open.
    await clock.tickAsync(50_000);
    expect(errors).to.deep.equal([]);
    expect(client.state).to.equal('open');
    expect(send.callCount).to.be.within(58, 60);
  });

  it('uses the protocol ping frame on a transport that declares no ping, and stays open on its pongs', async () => {
    const { url } = await startServer({ heartbeatInterval: Infinity });
    const client = new SocketClient(new NoPingMemorySocket(), { url, ...FAST });
    extra.push(client);
    await client.connect();
    const send = sinon.spy(client.adapter, 'send');
    const errors: PlugSocketError[] = [];
    client.onError((e) => errors.push(e));
    await clock.tickAsync(30_000);
    expect(sentKinds(send)).to.deep.equal(Array<string>(30).fill('ping'));
    expect(errors).to.deep.equal([]);
    expect(client.state).to.equal('open');
  });

  it('drops a silent server (no pong, no frame): TIMEOUT, close 1006, reconnecting — and reconnects once the server answers again', async () => {
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, {
      ...FAST,
      reconnect: { retries: 3, minDelay: 100, maxDelay: 100 },
    });
    const firstId = client.id;
    // Pings go out, no pong ever comes back, and the server sends nothing else.
    const silent = sinon.stub(client.adapter, 'ping').returns(true);
    const errors: PlugSocketError[] = [];
    client.onError((e) => errors.push(e));
    const closes: number[] = [];
    client.onClose((info) => closes.push(info.code));
    const states: ClientState[] = [];
    client.state$.subscribe((s) => states.push(s.state));
    const reconnected = sinon.spy();
    client.onReconnected(reconnected);
    const gone: number[] = [];
    server.onDisconnection((_id, info) => gone.push(info.code));

    // Pinged at 1,000 ms; it has until 1,500 ms to show a sign of life.
    await clock.tickAsync(1499);
    expect(silent.callCount).to.equal(1);
    expect(errors, 'still within the timeout').to.deep.equal([]);
    expect(client.state).to.equal('open');
    await clock.tickAsync(1);
    expect(errors).to.have.length(1);
    expectCode(errors[0], 'TIMEOUT');
    expect(closes).to.deep.equal([1006]);
    expect(client.state).to.equal('reconnecting');
    await flush();
    expect(gone, 'the server saw the dropped connection').to.deep.equal([1006]);

    // The server answers again.
    silent.restore();
    await clock.tickAsync(100);
    await flush();
    expect(client.state).to.equal('open');
    expect(reconnected.callCount).to.equal(1);
    // The session resumed: same id, the old one parked no longer.
    expect(reconnected.firstCall.args).to.deep.equal([{ resumed: true }]);
    expect(client.id).to.equal(firstId);
    expect(server.clientCount).to.equal(1);
    // The heartbeat runs again on the new connection, and its pongs keep it.
    const ping = sinon.spy(client.adapter, 'ping');
    await clock.tickAsync(10_000);
    expect(ping.callCount).to.be.within(9, 10);
    expect(errors, 'no further timeout').to.have.length(1);
    expect(states).to.deep.equal(['open', 'reconnecting', 'open']);
  });

  it('times out again on each new connection while the server stays silent', async () => {
    const { url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, {
      ...FAST,
      reconnect: { retries: 2, minDelay: 100, maxDelay: 100 },
    });
    // Every connection of this client: pings that are never answered.
    sinon.stub(client.adapter, 'ping').returns(true);
    sinon.stub(Math, 'random').returns(0.99); // each reconnect 99 ms after the loss
    const errors: PlugSocketError[] = [];
    client.onError((e) => errors.push(e));
    const closes: number[] = [];
    client.onClose((info) => closes.push(info.code));
    await clock.tickAsync(1500);
    expect(closes).to.deep.equal([1006]);
    expect(client.state).to.equal('reconnecting');
    await clock.tickAsync(99);
    await flush();
    expect(client.state, 'reconnected').to.equal('open');
    // A fresh heartbeat: pinged an interval after the reconnect, dropped a timeout later.
    await clock.tickAsync(1499);
    expect(closes).to.deep.equal([1006]);
    await clock.tickAsync(1);
    expect(closes).to.deep.equal([1006, 1006]);
    expect(errors.map((e) => e.code)).to.deep.equal(['TIMEOUT', 'TIMEOUT']);
    expect(client.state).to.equal('reconnecting');
  });

  it('takes frames from the server as signs of life: pongs lost, messages arriving, connection kept', async () => {
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, { ...FAST, reconnect: false });
    const id = client.id ?? '';
    const ping = sinon.stub(client.adapter, 'ping').returns(true);
    const errors: PlugSocketError[] = [];
    client.onError((e) => errors.push(e));
    const closes: number[] = [];
    client.onClose((info) => closes.push(info.code));
    for (let i = 0; i < 40; i++) {
      expect(server.sendToClient(id, { type: 'tick', payload: i })).to.equal(true);
      await clock.tickAsync(250);
    }
    expect(ping.callCount, 'it kept pinging').to.be.at.least(5);
    expect(errors).to.deep.equal([]);
    expect(closes).to.deep.equal([]);
    expect(client.state).to.equal('open');
    // The same client once the server falls silent: the pongs really were lost.
    await clock.tickAsync(2500);
    expect(closes).to.deep.equal([1006]);
    expectCode(errors[0], 'TIMEOUT');
  });

  it('never pings with heartbeatInterval: Infinity, and keeps no timer', async () => {
    const { url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, { heartbeatInterval: Infinity, heartbeatTimeout: 500 });
    const ping = sinon.spy(client.adapter, 'ping');
    const send = sinon.spy(client.adapter, 'send');
    expect(clock.countTimers()).to.equal(0);
    await clock.tickAsync(600_000);
    expect(ping.called).to.equal(false);
    expect(send.called).to.equal(false);
    expect(client.state).to.equal('open');
  });

  it('is on by default: a ping 25 s to 45 s in, a silent server dropped 20 s to 40 s after it', async () => {
    const { url } = await startServer({ heartbeatInterval: Infinity });
    // newClient turns the client's heartbeat off unless told: undefined asks for the default.
    const client = newClient(url, { heartbeatInterval: undefined, reconnect: false });
    await client.connect();
    const connectedAt = Date.now();
    expect(clock.countTimers(), 'the client heartbeat timer').to.equal(1);
    const pings: number[] = [];
    sinon.stub(client.adapter, 'ping').callsFake(() => {
      pings.push(Date.now() - connectedAt);
      return true;
    });
    const closes: { code: number; at: number }[] = [];
    client.onClose((info) => closes.push({ code: info.code, at: Date.now() - connectedAt }));
    await clock.tickAsync(24_999);
    expect(pings, 'not before 25 s').to.deep.equal([]);
    await clock.tickAsync(20_001);
    expect(pings, 'pinged by 45 s').to.have.length(1);
    await clock.tickAsync(45_000);
    expect(closes.map((c) => c.code)).to.deep.equal([1006]);
    const waited = closes[0].at - pings[0];
    expect(waited, 'the 20 s timeout, checked at most one sweep late').to.be.within(20_000, 40_000);
    expect(pings, 'no second ping before the timeout').to.have.length(1);
    expect(client.state).to.equal('closed');
  });

  it('rejects a heartbeatInterval or heartbeatTimeout that is not a positive number, at construction', () => {
    for (const bad of [0, -1, NaN, 'x', -Infinity]) {
      for (const key of ['heartbeatInterval', 'heartbeatTimeout'] as const) {
        expect(
          () =>
            new SocketClient(new MemorySocket(), {
              url: 'memory://nowhere',
              [key]: bad as number,
            }),
          `${key}: ${String(bad)}`,
        ).to.throw(RangeError, key);
      }
    }
    // Infinity turns the heartbeat off; a finite positive value is fine.
    expect(
      () => new SocketClient(new MemorySocket(), { url: 'memory://nowhere', ...FAST }),
    ).to.not.throw();
  });

  it('stops its heartbeat on disconnect(): no timer left, no ping after', async () => {
    const { url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, FAST);
    expect(clock.countTimers(), 'the client heartbeat, and nothing else').to.equal(1);
    await clock.tickAsync(2000);
    const ping = sinon.spy(client.adapter, 'ping');
    const send = sinon.spy(client.adapter, 'send');
    await client.disconnect();
    expect(clock.countTimers()).to.equal(0);
    await clock.tickAsync(60_000);
    expect(ping.called).to.equal(false);
    expect(sentKinds(send)).to.not.include('ping');
  });

  it('stops its heartbeat when the connection is lost and it does not reconnect', async () => {
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, { ...FAST, reconnect: false });
    expect(clock.countTimers()).to.equal(1);
    await server.disconnect(client.id ?? '');
    await flush();
    expect(client.state).to.equal('closed');
    expect(clock.countTimers()).to.equal(0);
  });

  it('answers the server’s protocol ping frames with pong frames', async () => {
    const adapter = new NoPingMemoryServer({ name: uniqueName('no-ping') });
    const server = new SocketServer(adapter, FAST);
    extra.push(server);
    const url = (await server.listen()).url ?? '';
    const serverPing = sinon.spy(adapter, 'ping');
    // The client's own heartbeat is off: every pong it sends answers the server.
    const client = await connectClient(url);
    const received: string[] = [];
    client.adapter.on('message', (frame) => received.push(kindOf(frame)));
    const send = sinon.spy(client.adapter, 'send');
    const timedOut = sinon.spy();
    server.onClientTimeout(timedOut);
    await clock.tickAsync(20_000);
    await flush();
    expect(received.length, 'pinged by the server').to.be.at.least(10);
    expect(received).to.deep.equal(Array<string>(received.length).fill('ping'));
    expect(sentKinds(send)).to.deep.equal(Array<string>(received.length).fill('pong'));
    expect(send.firstCall.args[0]).to.equal('{"k":"pong"}');
    expect(serverPing.called, 'the transport has no ping').to.equal(false);
    expect(timedOut.called).to.equal(false);
    expect(server.getClient(client.id ?? '')?.latency).to.be.a('number');
    expect(client.state).to.equal('open');
  });

  it('pings and answers at once when neither side has a transport ping', async () => {
    const adapter = new NoPingMemoryServer({ name: uniqueName('no-ping') });
    const server = new SocketServer(adapter, FAST);
    extra.push(server);
    const url = (await server.listen()).url ?? '';
    const client = new SocketClient(new NoPingMemorySocket(), {
      url,
      heartbeatInterval: 700,
      heartbeatTimeout: 400,
    });
    extra.push(client);
    await client.connect();
    const send = sinon.spy(client.adapter, 'send');
    const errors: PlugSocketError[] = [];
    client.onError((e) => errors.push(e));
    const timedOut = sinon.spy();
    server.onClientTimeout(timedOut);
    await clock.tickAsync(30_000);
    const kinds = sentKinds(send);
    expect(kinds).to.include('ping');
    expect(kinds).to.include('pong');
    expect(errors).to.deep.equal([]);
    expect(timedOut.called).to.equal(false);
    expect(client.state).to.equal('open');
  });
});
