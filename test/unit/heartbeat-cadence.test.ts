// Heartbeats ping every heartbeatInterval, also when the interval is not a multiple of the
// timeout: the sweep runs often enough that a ping is never late by more than a tenth of the
// shorter setting.
import { expect } from 'chai';
import sinon from 'sinon';
import { heartbeatPeriod } from '../../src/shared/heartbeat-period.js';
import { cleanUp, connectClient, startServer, useFakeClock } from './support.js';

describe('heartbeat cadence', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = useFakeClock();
  });
  afterEach(async () => {
    clock.restore();
    sinon.restore();
    await cleanUp();
  });

  it('sweeps at the common divisor of interval and timeout, never finer than a tenth of the shorter', () => {
    expect(heartbeatPeriod(25_000, 20_000)).to.equal(5000);
    expect(heartbeatPeriod(1000, 600)).to.equal(200);
    expect(heartbeatPeriod(1000, 1000)).to.equal(1000);
    // Coprime settings: a tenth of the shorter, not 1 ms.
    expect(heartbeatPeriod(1001, 1000)).to.equal(100);
    expect(heartbeatPeriod(5, 3)).to.equal(1);
    expect(heartbeatPeriod(200, 300)).to.equal(100);
  });

  it('client: pings every heartbeatInterval (1,000 ms) with a 600 ms timeout', async () => {
    const { url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, { heartbeatInterval: 1000, heartbeatTimeout: 600 });
    const ping = sinon.spy(client.adapter, 'ping');
    await clock.tickAsync(12_000);
    expect(ping.callCount, 'a ping a second for 12 s').to.be.within(11, 12);
  });

  it('client defaults: a ping every 25 s (20 s timeout)', async () => {
    const { url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, { heartbeatInterval: undefined });
    const ping = sinon.spy(client.adapter, 'ping');
    await clock.tickAsync(200_000);
    expect(ping.callCount, 'a ping every 25 s for 200 s').to.be.within(7, 8);
  });

  it('server: pings every heartbeatInterval (1,000 ms) with a 600 ms timeout', async () => {
    const { adapter, url } = await startServer({ heartbeatInterval: 1000, heartbeatTimeout: 600 });
    const ping = sinon.spy(adapter, 'ping');
    await connectClient(url);
    await clock.tickAsync(12_000);
    expect(ping.callCount, 'a ping a second for 12 s').to.be.within(10, 12);
  });

  it('server defaults: a ping every 25 s (20 s timeout)', async () => {
    const { adapter, url } = await startServer({});
    const ping = sinon.spy(adapter, 'ping');
    await connectClient(url);
    await clock.tickAsync(200_000);
    expect(ping.callCount, 'a ping every 25 s for 200 s').to.be.within(7, 8);
  });
});

describe('heartbeat sweep slices', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = useFakeClock();
  });
  afterEach(async () => {
    clock.restore();
    sinon.restore();
    await cleanUp();
  });

  it('pings at most 1,000 clients per turn of the event loop, and reaches every client', async function () {
    this.timeout(20_000);
    const { adapter, url } = await startServer({
      heartbeatInterval: 1000,
      heartbeatTimeout: 1000,
      maxConnectionsPerAddress: Infinity,
    });
    const clients = [];
    for (let batch = 0; batch < 5; batch++) {
      clients.push(...(await Promise.all(Array.from({ length: 500 }, () => connectClient(url)))));
    }
    const ping = sinon.spy(adapter, 'ping');
    // The first sweep meets every client; the next one, an interval on, pings them.
    await clock.tickAsync(1000);
    expect(ping.callCount, 'pings at the first sweep').to.equal(0);
    clock.tick(1000);
    expect(ping.callCount, 'pings in the first slice of the second sweep').to.equal(1000);
    clock.tick(1);
    expect(ping.callCount, 'after the second slice').to.equal(2000);
    clock.tick(1);
    expect(ping.callCount, 'after the last slice').to.equal(2500);
    clock.tick(1);
    expect(ping.callCount, 'nothing more until the next sweep').to.equal(2500);
    expect(clients.every((c) => c.isConnected)).to.equal(true);
  });
});
