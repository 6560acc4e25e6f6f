// Client reconnection on fake timers: backoff with full jitter, the states and events, what it
// re-applies (credentials, topics), and when it does not reconnect.
import { expect } from 'chai';
import sinon from 'sinon';
import { MemorySocketServer } from '../../adapters/memory/index.js';
import {
  type PlugSocketError,
  SocketServer,
  type AnySchema,
  type AuthorizationStrategy,
  type ClientState,
} from '../../src/index.js';
import { backoffDelay, reconnectSettings } from '../../src/client/reconnect.js';
import {
  cleanUp,
  dropConnection,
  connectClient,
  expectCode,
  flush,
  newClient,
  rejectionOf,
  startServer,
  uniqueName,
  useFakeClock,
} from './support.js';

describe('client reconnection', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => {
    clock = useFakeClock();
  });
  afterEach(async () => {
    clock.restore();
    sinon.restore();
    await cleanUp();
  });

  it('reconnects after a lost connection without resume: states, events, a new id, topics joined again', async () => {
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, { resume: false });
    await client.join('room');
    const firstId = client.id;
    const states: ClientState[] = [];
    client.state$.subscribe((s) => states.push(s.state));
    const events: string[] = [];
    client.onReconnecting((attempt, delay) => {
      events.push(`reconnecting ${attempt}`);
      expect(delay).to.be.within(0, 999);
    });
    client.onReconnected(() => events.push('reconnected'));
    dropConnection(server, firstId ?? '');
    await flush();
    expect(client.state).to.equal('reconnecting');
    await clock.tickAsync(1000);
    await flush();
    expect(client.state).to.equal('open');
    expect(client.id).to.not.equal(firstId);
    expect(events).to.deep.equal(['reconnecting 1', 'reconnected']);
    expect(states).to.deep.equal(['open', 'reconnecting', 'open']);
    expect([...(server.getClient(client.id ?? '')?.topics ?? [])]).to.deep.equal(['room']);
  });

  it('backs off with full jitter under a growing ceiling, and gives up after retries', async () => {
    const name = uniqueName('restart');
    const adapter = new MemorySocketServer({ name });
    const server = new SocketServer(adapter, { heartbeatInterval: Infinity });
    const url = (await server.listen()).url ?? '';
    const client = newClient(url, {
      reconnect: { retries: 4, minDelay: 100, maxDelay: 500, factor: 2 },
    });
    await client.connect();
    sinon.stub(Math, 'random').returns(0.999);
    const delays: number[] = [];
    client.onReconnecting((_attempt, delay) => delays.push(delay));
    const failed: PlugSocketError[] = [];
    client.onReconnectFailed((e) => failed.push(e));
    await server.shutdown(); // 1001, and nobody listens any more
    await clock.tickAsync(5000);
    await flush();
    // Ceilings 100, 200, 400, 500 (capped); random just under 1.
    expect(delays).to.deep.equal([99, 199, 399, 499]);
    expect(failed).to.have.length(1);
    expectCode(failed[0], 'CONNECTION_FAILED');
    expect(client.state).to.equal('closed');
  });

  it('comes back to a server restarted at the same address (1001 is "come back later")', async () => {
    const name = uniqueName('restart');
    const first = new SocketServer(new MemorySocketServer({ name }), {
      heartbeatInterval: Infinity,
    });
    const url = (await first.listen()).url ?? '';
    const client = newClient(url);
    await client.connect();
    await client.join('news');
    await first.shutdown();
    await clock.tickAsync(50);
    const second = new SocketServer(new MemorySocketServer({ name }), {
      heartbeatInterval: Infinity,
    });
    await second.listen();
    await clock.tickAsync(60_000);
    await flush();
    expect(client.state).to.equal('open');
    expect(second.clientCount).to.equal(1);
    expect(second.getTopics()).to.deep.equal(['news']);
    await client.disconnect();
    await second.shutdown();
  });

  it('does not reconnect after disconnect(), after a kick (1000), or after revoked credentials (4401)', async () => {
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    const byUser = await connectClient(url);
    await byUser.disconnect();
    const kicked = await connectClient(url);
    await server.disconnect(kicked.id ?? '');
    const revoked = await connectClient(url);
    await server.disconnect(revoked.id ?? '', 4401, 'credentials revoked');
    await flush();
    await clock.tickAsync(120_000);
    for (const c of [byUser, kicked, revoked]) expect(c.state).to.equal('closed');
    expect(server.clientCount).to.equal(0);
    expect(clock.countTimers()).to.equal(0);
  });

  it('applies the strategy afresh on every attempt, and gives up on a credential failure', async () => {
    let valid = 'token-1';
    const strategy: AuthorizationStrategy<string> = {
      applyAuthorization: (o) => o,
      authorize: (h) =>
        h.auth.token === valid ? { ok: true, principal: 'ann' } : { ok: false, reason: 'bad' },
    };
    const { server, url } = await startServer({
      authorization: strategy,
      heartbeatInterval: Infinity,
      authThrottle: false,
    });
    let issued = 0;
    const client = newClient(url, {
      authorization: {
        applyAuthorization: (o) => ({ ...o, auth: { token: `token-${++issued}` } }),
        authorize: () => ({ ok: false, reason: '' }),
      },
    });
    await client.connect();
    expect(issued).to.equal(1);
    valid = 'token-2';
    dropConnection(server as SocketServer<AnySchema, unknown>, client.id ?? '');
    await clock.tickAsync(1000);
    await flush();
    expect(client.state, 'fresh credentials admitted').to.equal('open');
    expect(issued).to.equal(2);
    valid = 'nobody';
    const failed: PlugSocketError[] = [];
    client.onReconnectFailed((e) => failed.push(e));
    dropConnection(server as SocketServer<AnySchema, unknown>, client.id ?? '');
    await clock.tickAsync(60_000);
    await flush();
    expect(failed.map((e) => e.code)).to.deep.equal(['AUTHENTICATION_FAILED']);
    expect(issued, 'one refused attempt, not a retry loop').to.equal(3);
    expect(client.state).to.equal('closed');
  });

  it('fails requests in flight with NOT_CONNECTED when the connection is lost (resume off)', async () => {
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    server.handle('slow', () => new Promise(() => undefined));
    const client = await connectClient(url, { resume: false });
    const pending = client.request('slow', null);
    await flush();
    dropConnection(server, client.id ?? '');
    expectCode(await rejectionOf(pending), 'NOT_CONNECTED');
  });

  it('connect() while reconnecting tries at once; reconnect: false stays closed', async () => {
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    const client = await connectClient(url, { reconnect: { minDelay: 60_000 } });
    dropConnection(server, client.id ?? '');
    await flush();
    expect(client.state).to.equal('reconnecting');
    await client.connect();
    expect(client.state).to.equal('open');
    const plain = await connectClient(url, { reconnect: false });
    dropConnection(server, plain.id ?? '');
    await flush();
    expect(plain.state).to.equal('closed');
    expect(client.state, 'the other client is untouched').to.equal('open');
  });

  it('validates its options and accepts the older shapes', () => {
    expect(reconnectSettings(undefined, undefined)).to.deep.equal({
      retries: Infinity,
      minDelay: 1000,
      maxDelay: 30_000,
      factor: 2,
    });
    expect(reconnectSettings({ retries: 3, delay: 200 }, undefined)).to.include({
      retries: 3,
      minDelay: 200,
    });
    expect(reconnectSettings(true, 7)?.retries).to.equal(7);
    expect(reconnectSettings(false, 7)).to.equal(undefined);
    for (const bad of [{ nope: 1 }, 'yes']) {
      expect(() => reconnectSettings(bad as never, undefined)).to.throw(TypeError);
    }
    for (const bad of [
      { retries: -1 },
      { minDelay: -5 },
      { factor: 0.5 },
      { minDelay: 10, maxDelay: 5 },
    ]) {
      expect(() => reconnectSettings(bad, undefined), JSON.stringify(bad)).to.throw(RangeError);
    }
    expect(() => newClient('memory://x', { reconnect: { factor: 0 } })).to.throw(RangeError);
  });

  it('spreads delays uniformly under the ceiling (full jitter)', () => {
    const settings = { retries: Infinity, minDelay: 1000, maxDelay: 30_000, factor: 2 };
    expect(backoffDelay(settings, 0, () => 0)).to.equal(0);
    expect(backoffDelay(settings, 0, () => 0.5)).to.equal(500);
    expect(backoffDelay(settings, 3, () => 0.5)).to.equal(4000);
    expect(backoffDelay(settings, 20, () => 0.5)).to.equal(15_000);
  });
});
