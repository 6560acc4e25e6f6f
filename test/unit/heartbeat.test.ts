// Server heartbeats on fake timers: one sweep timer, pings every heartbeatInterval, a client that
// shows no sign of life within heartbeatTimeout of a ping ended and reported, round trips
// measured.
import { expect } from 'chai';
import sinon from 'sinon';
import { CloseCodes, type PlugSocketError } from '../../src/index.js';
import {
  RawClient,
  cleanUp,
  connectClient,
  expectCode,
  flush,
  startServer,
  useFakeClock,
} from './support.js';

describe('server heartbeats', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = useFakeClock();
  });
  afterEach(async () => {
    clock.restore();
    await cleanUp();
  });

  it('pings every client every heartbeatInterval with one timer, and measures the round trip', async () => {
    const { server, adapter, url } = await startServer({
      heartbeatInterval: 1000,
      heartbeatTimeout: 500,
    });
    const ping = sinon.spy(adapter, 'ping');
    const clients = await Promise.all(Array.from({ length: 20 }, () => connectClient(url)));
    expect(clock.countTimers(), 'one sweep timer for every client').to.equal(1);
    await clock.tickAsync(60_000);
    // Each client is pinged about once a second, never more often.
    expect(ping.callCount).to.be.within(20 * 55, 20 * 60);
    for (const c of clients) {
      expect(c.isConnected).to.equal(true);
      const latency = server.getClient(c.id ?? '')?.latency;
      expect(latency, 'a measured round trip').to.be.a('number');
      expect(latency).to.be.at.least(0);
    }
    expect(clock.countTimers()).to.equal(1);
  });

  it('ends a client that answers neither pong nor frame within heartbeatTimeout: onClientTimeout, timeout$, then 1006', async () => {
    const { server, adapter, url } = await startServer({
      heartbeatInterval: 1000,
      heartbeatTimeout: 500,
    });
    const client = await connectClient(url);
    const id = client.id ?? '';
    // A frozen peer: pings go out, nothing comes back.
    sinon.stub(adapter, 'ping').returns(true);
    const order: string[] = [];
    server.onClientTimeout((clientId) => order.push(`timeout ${clientId}`));
    server.timeout$.subscribe((clientId) => order.push(`timeout$ ${clientId}`));
    server.onDisconnection((clientId, info) => order.push(`gone ${clientId} ${info.code}`));
    const errors: PlugSocketError[] = [];
    server.onError((_id, e) => errors.push(e));
    // Sweeps every 500 ms (the shorter of the two): the first starts the client's heartbeat
    // state, the ping is sent an interval later (1,500 ms), and the sweep 500 ms after it finds
    // no sign of life.
    await clock.tickAsync(1999);
    expect(order, 'pinged, still within the timeout').to.deep.equal([]);
    await clock.tickAsync(1);
    await flush();
    expect(order).to.deep.equal([`timeout ${id}`, `timeout$ ${id}`, `gone ${id} 1006`]);
    expect(server.clientCount).to.equal(0);
    expectCode(errors.at(-1), 'TIMEOUT');
  });

  it('keeps a client whose pong is late while its frames keep arriving (alive behind a backlog)', async () => {
    const { server, adapter, url } = await startServer({
      heartbeatInterval: 1000,
      heartbeatTimeout: 500,
    });
    await connectClient(url, { reconnect: false });
    const raw = await new RawClient().open(url);
    await flush();
    sinon.stub(adapter, 'ping').returns(true);
    let timeouts = 0;
    server.onClientTimeout(() => timeouts++);
    for (let i = 0; i < 40; i++) {
      raw.sendJson({ k: 'msg', type: 'still-here', payload: i });
      await clock.tickAsync(250);
    }
    expect(raw.closes).to.deep.equal([]);
    expect(timeouts, 'only the silent SocketClient').to.equal(1);
  });

  it('is off with heartbeatInterval: Infinity — no timer, no ping', async () => {
    const { adapter, url } = await startServer({ heartbeatInterval: Infinity });
    const ping = sinon.spy(adapter, 'ping');
    const client = await connectClient(url);
    expect(clock.countTimers()).to.equal(0);
    await clock.tickAsync(600_000);
    expect(ping.called).to.equal(false);
    expect(client.isConnected).to.equal(true);
  });

  it('defaults to a ping every 25 s and a 20 s timeout', async () => {
    const { adapter, url } = await startServer();
    const client = await connectClient(url);
    sinon.stub(adapter, 'ping').returns(true);
    const closes: number[] = [];
    client.onClose((info) => closes.push(info.code));
    // First sweep at 20 s (the shorter of the two) starts the state; a ping is due 25 s after it.
    await clock.tickAsync(44_000);
    expect(closes).to.deep.equal([]);
    await clock.tickAsync(40_000);
    await flush();
    expect(closes).to.have.length(1);
    expect(closes[0]).to.not.equal(CloseCodes.NORMAL);
  });

  it('stops its timer on shutdown', async () => {
    const { server } = await startServer({ heartbeatInterval: 1000 });
    expect(clock.countTimers()).to.equal(1);
    await server.shutdown();
    expect(clock.countTimers()).to.equal(0);
  });

  it('rejects a non-positive heartbeatInterval or heartbeatTimeout', async () => {
    for (const options of [{ heartbeatInterval: 0 }, { heartbeatTimeout: -1 }]) {
      let thrown: unknown;
      try {
        await startServer(options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(options)).to.be.instanceOf(RangeError);
    }
  });
});
