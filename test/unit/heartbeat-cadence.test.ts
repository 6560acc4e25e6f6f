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
