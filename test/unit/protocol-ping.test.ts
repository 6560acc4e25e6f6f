// The protocol's own ping and pong frames, on fake timers: a server whose transport has no ping
// pings each client with `{"k":"ping"}` every heartbeatInterval and takes `{"k":"pong"}` (or any
// frame) as a sign of life; it answers a client's ping with a pong; on a transport with a ping it
// never sends the frame; and a pong past the rate limit is still taken.
import { expect } from 'chai';
import sinon from 'sinon';
import { MEMORY_CAPABILITIES, MemorySocketServer } from '../../adapters/memory/index.js';
import {
  type AnyFrame,
  type CloseInfo,
  type PlugSocketError,
  SocketServer,
  type SocketServerOptions,
  type TransportCapabilities,
} from '../../src/index.js';
import {
  RawClient,
  cleanUp,
  connectClient,
  expectCode,
  flush,
  startServer,
  uniqueName,
  useFakeClock,
} from './support.js';

/** A memory server whose transport declares no ping: the server pings with protocol frames. */
class NoPingMemoryServer extends MemorySocketServer {
  override readonly supports: TransportCapabilities = Object.freeze({
    ...MEMORY_CAPABILITIES,
    ping: false,
  });
}

const PING = '{"k":"ping"}';
const PONG = '{"k":"pong"}';

/** Heartbeats of these specs: a ping a second, half a second to answer. */
const FAST = { heartbeatInterval: 1000, heartbeatTimeout: 500 } as const;

/** The text of a frame. */
function textOf(frame: AnyFrame): string {
  return typeof frame === 'string'
    ? frame
    : new TextDecoder().decode(frame as Uint8Array<ArrayBuffer>);
}

/** The id the server gave a raw client, from its welcome frame. */
function welcomeId(raw: RawClient): string {
  const welcome = raw.ofKind('welcome')[0];
  expect(welcome, 'welcomed').to.not.equal(undefined);
  return String(welcome?.id);
}

describe('protocol ping and pong frames', () => {
  let clock: sinon.SinonFakeTimers;
  const servers: SocketServer[] = [];
  beforeEach(() => {
    clock = useFakeClock();
  });
  afterEach(async () => {
    clock.restore();
    sinon.restore();
    await Promise.all(servers.map((s) => s.shutdown().catch(() => undefined)));
    servers.length = 0;
    await cleanUp();
  });

  /** A listening server over a memory transport without ping, with its transport's ping spied. */
  async function startNoPingServer(options: SocketServerOptions = {}) {
    const adapter = new NoPingMemoryServer({ name: uniqueName('no-ping') });
    const ping = sinon.spy(adapter, 'ping');
    const server = new SocketServer(adapter, options);
    servers.push(server);
    const url = (await server.listen()).url ?? '';
    return { server, adapter, ping, url };
  }

  /** A raw client that answers each of the server's protocol pings with a pong. */
  async function answeringRawClient(url: string): Promise<RawClient> {
    const raw = await new RawClient().open(url);
    raw.socket.on('message', (frame) => {
      if (textOf(frame) === PING) raw.sendRaw(PONG);
    });
    await flush();
    return raw;
  }

  it('sends {"k":"ping"} every heartbeatInterval over a transport without ping, never calling adapter.ping', async () => {
    const { server, ping, url } = await startNoPingServer(FAST);
    const raw = await answeringRawClient(url);
    const id = welcomeId(raw);
    const pings = (): number => raw.frames.filter((f) => textOf(f) === PING).length;
    // The first sweep (500 ms) starts the client's heartbeat; its first ping is an interval on.
    await clock.tickAsync(1499);
    expect(pings()).to.equal(0);
    await clock.tickAsync(1);
    await flush();
    expect(pings()).to.equal(1);
    await clock.tickAsync(10_000);
    await flush();
    expect(pings(), 'one a second').to.equal(11);
    expect(ping.called, 'no transport ping').to.equal(false);
    expect(raw.closes).to.deep.equal([]);
    expect(server.getClient(id)?.latency, 'the round trip of the answered pings').to.be.a('number');
    // Every frame after the welcome was a ping, exactly the protocol's.
    expect(raw.frames.slice(1).map(textOf)).to.deep.equal(Array<string>(11).fill(PING));
  });

  it('takes a SocketClient’s pong frames: latency measured, never timed out', async () => {
    const { server, ping, url } = await startNoPingServer(FAST);
    const timedOut = sinon.spy();
    server.onClientTimeout(timedOut);
    // The client's own heartbeat is off (the support default): its only frames are pongs.
    const client = await connectClient(url);
    const send = sinon.spy(client.adapter, 'send');
    expect(server.getClient(client.id ?? '')?.latency, 'no round trip yet').to.equal(undefined);
    await clock.tickAsync(2000);
    await flush();
    const latency = server.getClient(client.id ?? '')?.latency;
    expect(latency).to.be.a('number');
    expect(latency).to.be.at.least(0);
    await clock.tickAsync(60_000);
    await flush();
    expect(send.getCalls().map((c) => c.args[0])).to.include(PONG);
    expect(send.getCalls().every((c) => c.args[0] === PONG)).to.equal(true);
    expect(send.callCount).to.be.within(55, 62);
    expect(timedOut.called).to.equal(false);
    expect(ping.called).to.equal(false);
    expect(client.state).to.equal('open');
  });

  it('times out a raw client that neither answers nor sends: onClientTimeout, TIMEOUT, 1006', async () => {
    const { server, url } = await startNoPingServer(FAST);
    const raw = await new RawClient().open(url);
    await flush();
    const id = welcomeId(raw);
    const order: string[] = [];
    server.onClientTimeout((clientId) => order.push(`timeout ${clientId}`));
    server.onDisconnection((clientId, info) => order.push(`gone ${clientId} ${info.code}`));
    const errors: PlugSocketError[] = [];
    server.onError((_id, e) => errors.push(e));
    // Pinged at 1,500 ms, it has until 2,000 ms.
    await clock.tickAsync(1999);
    await flush();
    expect(order).to.deep.equal([]);
    expect(raw.ofKind('ping'), 'pinged').to.have.length(1);
    await clock.tickAsync(1);
    await flush();
    expect(order).to.deep.equal([`timeout ${id}`, `gone ${id} 1006`]);
    expectCode(errors.at(-1), 'TIMEOUT');
    expect(raw.closes.map((c: CloseInfo) => c.code)).to.deep.equal([1006]);
    expect(server.clientCount).to.equal(0);
  });

  it('keeps a raw client that does not answer pings but keeps sending frames', async () => {
    const { server, url } = await startNoPingServer(FAST);
    const raw = await new RawClient().open(url);
    await flush();
    const id = welcomeId(raw);
    const timedOut = sinon.spy();
    server.onClientTimeout(timedOut);
    for (let i = 0; i < 40; i++) {
      raw.sendJson({ k: 'msg', type: 'still-here', payload: i });
      await clock.tickAsync(250);
    }
    await flush();
    expect(raw.ofKind('ping').length, 'pinged all along').to.be.at.least(5);
    expect(raw.ofKind('pong'), 'never answered').to.deep.equal([]);
    expect(timedOut.called).to.equal(false);
    expect(raw.closes).to.deep.equal([]);
    expect(server.getClient(id)?.latency, 'no pong, no round trip').to.equal(undefined);
    // Once it falls silent, it is timed out.
    await clock.tickAsync(2000);
    await flush();
    expect(timedOut.calledOnceWith(id)).to.equal(true);
    expect(raw.closes.map((c) => c.code)).to.deep.equal([1006]);
  });

  for (const [label, start] of [
    ['a transport without ping', startNoPingServer],
    ['a transport with ping', (o: SocketServerOptions) => startServer(o)],
  ] as const) {
    it(`answers a client's {"k":"ping"} with exactly {"k":"pong"} (${label})`, async () => {
      const { url } = await start({ heartbeatInterval: Infinity });
      const raw = await new RawClient().open(url);
      await flush();
      const before = raw.frames.length;
      raw.sendRaw(PING);
      await flush();
      expect(raw.frames.slice(before).map(textOf)).to.deep.equal([PONG]);
      raw.sendJson({ k: 'ping' });
      raw.sendJson({ k: 'ping' });
      await flush();
      expect(raw.frames.slice(before).map(textOf)).to.deep.equal([PONG, PONG, PONG]);
      expect(raw.closes).to.deep.equal([]);
    });
  }

  it('answers a client’s ping while the server’s own heartbeat runs, without counting it as a pong', async () => {
    const { server, url } = await startNoPingServer(FAST);
    const raw = await new RawClient().open(url);
    await flush();
    const id = welcomeId(raw);
    // The client pings the server every 250 ms but never answers the server's pings.
    for (let i = 0; i < 20; i++) {
      raw.sendRaw(PING);
      await clock.tickAsync(250);
    }
    await flush();
    expect(raw.ofKind('pong').length).to.equal(20);
    expect(raw.ofKind('ping').length).to.be.at.least(3);
    expect(raw.closes, 'its pings are frames: alive').to.deep.equal([]);
    expect(server.getClient(id)?.latency, 'its own pings measure no round trip').to.equal(
      undefined,
    );
  });

  it('never sends protocol ping frames on a transport with ping', async () => {
    const { server, adapter, url } = await startServer(FAST);
    const ping = sinon.spy(adapter, 'ping');
    const raw = await new RawClient().open(url);
    await flush();
    const id = welcomeId(raw);
    await clock.tickAsync(20_000);
    await flush();
    expect(ping.callCount, 'the transport pings').to.be.within(15, 20);
    expect(raw.ofKind('ping')).to.deep.equal([]);
    expect(raw.frames, 'only the welcome').to.have.length(1);
    expect(raw.closes).to.deep.equal([]);
    expect(server.getClient(id)?.latency).to.be.a('number');
  });

  it('takes a pong sent past the rate limit: the round trip is measured and the client kept', async () => {
    // One frame per 1,000,000 s: after its first frame every frame of the client is refused.
    const { server, url } = await startNoPingServer({
      ...FAST,
      rateLimit: { messages: 1, interval: 1_000_000_000, maxViolations: 1000 },
    });
    const raw = await new RawClient().open(url);
    await flush();
    const id = welcomeId(raw);
    raw.sendJson({ k: 'msg', type: 'spend-the-token', payload: 0 });
    await flush();
    const refusedBefore = server.getMetrics().refusals.rateLimit;
    raw.socket.on('message', (frame) => {
      if (textOf(frame) === PING) raw.sendRaw(PONG);
    });
    const timedOut = sinon.spy();
    server.onClientTimeout(timedOut);
    expect(server.getClient(id)?.latency).to.equal(undefined);
    await clock.tickAsync(10_000);
    await flush();
    const pongs = raw.ofKind('ping').length;
    expect(pongs).to.be.at.least(5);
    expect(
      server.getMetrics().refusals.rateLimit - refusedBefore,
      'each pong was past the limit',
    ).to.equal(pongs);
    expect(server.getClient(id)?.latency, 'yet taken as the answer').to.be.a('number');
    expect(timedOut.called).to.equal(false);
    expect(raw.closes).to.deep.equal([]);
    // Past the limit, a message is refused all the same (the limit was in force).
    raw.sendJson({ k: 'req', id: 7, name: 'anything' });
    await flush();
    const nack = raw.ofKind('nack').at(-1) as
      { id?: number; error?: { code?: string } } | undefined;
    expect(nack?.id).to.equal(7);
    expect(nack?.error?.code).to.equal('RATE_LIMITED');
  });
});
