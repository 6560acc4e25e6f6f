// The client's backpressure: send() and emit() say whether a producer may go on (the transport
// holds at most highWaterMark unsent, nothing waits behind maxRate, the client is open), writable
// mirrors it, and drained() resolves once the backlog fell to half the mark, polled by one timer
// while anyone waits, across reconnects, and rejects once the client closed for good.
import { expect } from 'chai';
import sinon from 'sinon';
import { MemorySocket, MemorySocketServer } from '../../adapters/memory/index.js';
import { SocketClient, SocketServer, type SocketClientOptions } from '../../src/index.js';
import {
  cleanUp,
  connectClient,
  dropConnection,
  expectCode,
  flush,
  newClient,
  rejectionOf,
  startServer,
  uniqueName,
  useFakeClock,
} from './support.js';

/** Makes the client's transport report `amount()` as its bufferedAmount. */
function backlog(client: SocketClient, amount: () => number): void {
  sinon.stub(client.adapter, 'bufferedAmount').get(amount);
}

/** Tracks a promise's outcome without awaiting it. */
function track(promise: Promise<unknown>): { settled: () => string } {
  let state = 'pending';
  promise.then(
    () => (state = 'resolved'),
    () => (state = 'rejected'),
  );
  return { settled: () => state };
}

describe('client backpressure', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    sinon.restore();
    await cleanUp();
  });

  describe('send() and writable', () => {
    it('returns true under the mark, and the frame goes out', async () => {
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const got: unknown[] = [];
      server.onMessage((_id, m) => void got.push(m.payload));
      const client = await connectClient(url);
      expect(client.writable).to.equal(true);
      expect(client.send({ type: 'a', payload: 1 })).to.equal(true);
      expect(client.emit('a', 2)).to.equal(true);
      await flush();
      expect(got).to.deep.equal([1, 2]);
    });

    it('returns false once the transport holds more than highWaterMark, and still sends the frame', async () => {
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const got: unknown[] = [];
      server.onMessage((_id, m) => void got.push(m.payload));
      const client = await connectClient(url, { highWaterMark: 1000 });
      let held = 1000;
      backlog(client, () => held);
      // At the mark: still fine.
      expect(client.writable).to.equal(true);
      expect(client.emit('a', 1)).to.equal(true);
      held = 1001;
      expect(client.writable).to.equal(false);
      expect(client.emit('a', 2)).to.equal(false);
      expect(client.send({ type: 'a', payload: 3 })).to.equal(false);
      held = 0;
      expect(client.writable).to.equal(true);
      expect(client.emit('a', 4)).to.equal(true);
      await flush();
      // Nothing is dropped: false only tells the producer to wait.
      expect(got).to.deep.equal([1, 2, 3, 4]);
    });

    it('defaults highWaterMark to 1 MiB', async () => {
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      let held = 1024 * 1024;
      backlog(client, () => held);
      expect(client.writable).to.equal(true);
      expect(client.emit('a', 1)).to.equal(true);
      held = 1024 * 1024 + 1;
      expect(client.writable).to.equal(false);
      expect(client.emit('a', 2)).to.equal(false);
    });

    it('sees the memory transport’s real backlog: a frame over a tiny mark saturates until delivered', async () => {
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url, { highWaterMark: 10 });
      expect(client.writable).to.equal(true);
      expect(client.emit('big', 'x'.repeat(100))).to.equal(false);
      expect(client.adapter.bufferedAmount).to.be.greaterThan(10);
      expect(client.writable).to.equal(false);
      await flush();
      expect(client.adapter.bufferedAmount).to.equal(0);
      expect(client.writable).to.equal(true);
    });

    it('returns false for a message queued offline (idle, reconnecting), and writable is false', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const got: unknown[] = [];
      server.onMessage((_id, m) => void got.push(m.payload));
      const client = newClient(url);
      expect(client.writable).to.equal(false);
      expect(client.emit('a', 1)).to.equal(false);
      expect(client.send({ type: 'a', payload: 2 })).to.equal(false);
      expect(client.getMetrics().queued).to.equal(2);
      await client.connect();
      expect(client.writable).to.equal(true);
      dropConnection(server, client.id ?? '');
      await flush();
      expect(client.state).to.equal('reconnecting');
      expect(client.writable).to.equal(false);
      expect(client.emit('a', 3)).to.equal(false);
      await clock.tickAsync(1000);
      await flush();
      expect(client.state).to.equal('open');
      expect(got).to.deep.equal([1, 2, 3]);
    });

    it('is not writable once closed', async () => {
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      await client.disconnect();
      expect(client.writable).to.equal(false);
    });

    it('with maxRate, a burst past the rate returns false while frames wait behind it', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const got: unknown[] = [];
      server.onMessage((_id, m) => void got.push(m.payload));
      const client = await connectClient(url, { maxRate: 2 });
      expect(client.emit('a', 1)).to.equal(true);
      expect(client.emit('a', 2)).to.equal(true);
      expect(client.emit('a', 3)).to.equal(false);
      expect(client.writable).to.equal(false);
      expect(client.emit('a', 4)).to.equal(false);
      await clock.tickAsync(500);
      await flush();
      expect(got).to.deep.equal([1, 2, 3]);
      expect(client.writable).to.equal(false);
      await clock.tickAsync(500);
      await flush();
      expect(got).to.deep.equal([1, 2, 3, 4]);
      expect(client.writable).to.equal(true);
    });

    it('refuses an invalid highWaterMark at construction', () => {
      for (const bad of [0, -1, 'x', Number.NaN] as unknown[]) {
        expect(
          () =>
            new SocketClient(new MemorySocket(), {
              url: 'memory://nowhere',
              highWaterMark: bad,
            } as SocketClientOptions),
          String(bad),
        ).to.throw(RangeError, /highWaterMark/);
      }
      expect(
        () => new SocketClient(new MemorySocket(), { url: 'memory://nowhere', highWaterMark: 1 }),
      ).to.not.throw();
    });
  });

  describe('drained()', () => {
    it('resolves at once when already drained, with no timer', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      const timers = clock.countTimers();
      const outcome = track(client.drained());
      expect(clock.countTimers()).to.equal(timers);
      await flush();
      expect(outcome.settled()).to.equal('resolved');
    });

    it('waits while saturated and resolves once the backlog fell to half the mark, not before', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url, { highWaterMark: 1000 });
      let held = 2000;
      backlog(client, () => held);
      const outcome = track(client.drained());
      await clock.tickAsync(10);
      await flush();
      expect(outcome.settled()).to.equal('pending');
      // Under the mark: writable again, but not yet drained (hysteresis down to half).
      held = 800;
      await clock.tickAsync(10);
      await flush();
      expect(client.writable).to.equal(true);
      expect(outcome.settled()).to.equal('pending');
      held = 501;
      await clock.tickAsync(100);
      await flush();
      expect(outcome.settled()).to.equal('pending');
      held = 500;
      // Checked every 10 ms: not before the next check.
      await clock.tickAsync(5);
      await flush();
      expect(outcome.settled()).to.equal('pending');
      await clock.tickAsync(5);
      await flush();
      expect(outcome.settled()).to.equal('resolved');
    });

    it('resolves every waiter with one timer, and leaves no timer behind', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url, { highWaterMark: 1000 });
      const timers = clock.countTimers();
      let held = 5000;
      backlog(client, () => held);
      const waiters = [track(client.drained()), track(client.drained()), track(client.drained())];
      expect(clock.countTimers()).to.equal(timers + 1);
      await clock.tickAsync(50);
      expect(clock.countTimers()).to.equal(timers + 1);
      held = 0;
      await clock.tickAsync(10);
      await flush();
      expect(waiters.map((w) => w.settled())).to.deep.equal(['resolved', 'resolved', 'resolved']);
      expect(clock.countTimers()).to.equal(timers);
      // And a later wait starts (and ends) its own.
      held = 5000;
      const again = track(client.drained());
      expect(clock.countTimers()).to.equal(timers + 1);
      held = 0;
      await clock.tickAsync(10);
      await flush();
      expect(again.settled()).to.equal('resolved');
      expect(clock.countTimers()).to.equal(timers);
    });

    it('resolves on the memory transport’s real backlog once it was delivered', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url, { highWaterMark: 10 });
      expect(client.emit('big', 'x'.repeat(100))).to.equal(false);
      const outcome = track(client.drained());
      expect(outcome.settled()).to.equal('pending');
      await flush();
      await clock.tickAsync(10);
      await flush();
      expect(outcome.settled()).to.equal('resolved');
    });

    it('rejects NOT_CONNECTED when disconnect() comes first, and removes its timer', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url, { highWaterMark: 1000 });
      const timers = clock.countTimers();
      backlog(client, () => 5000);
      const waiting = client.drained();
      const outcome = track(waiting);
      await clock.tickAsync(30);
      expect(outcome.settled()).to.equal('pending');
      await client.disconnect();
      expectCode(await rejectionOf(waiting), 'NOT_CONNECTED');
      expect(clock.countTimers()).to.equal(timers);
      // And a wait asked for after the close fails at once.
      expectCode(await rejectionOf(client.drained()), 'NOT_CONNECTED');
      expect(clock.countTimers()).to.equal(timers);
    });

    it('waits across a reconnect and resolves once open again', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      sinon.stub(Math, 'random').returns(0.8); // the first reconnect in 800 ms
      dropConnection(server, client.id ?? '');
      await flush();
      expect(client.state).to.equal('reconnecting');
      const outcome = track(client.drained());
      await clock.tickAsync(790);
      await flush();
      expect(client.state).to.equal('reconnecting');
      expect(outcome.settled()).to.equal('pending');
      await clock.tickAsync(10);
      await flush();
      expect(client.state).to.equal('open');
      await clock.tickAsync(10);
      await flush();
      expect(outcome.settled()).to.equal('resolved');
    });

    it('rejects NOT_CONNECTED on disconnect() while it waits for a reconnect', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url);
      const timers = clock.countTimers();
      dropConnection(server, client.id ?? '');
      await flush();
      expect(client.state).to.equal('reconnecting');
      const waiting = client.drained();
      await client.disconnect();
      expectCode(await rejectionOf(waiting), 'NOT_CONNECTED');
      // One timer more: the server's, for the session that waits to be resumed.
      expect(clock.countTimers()).to.equal(timers + 1);
    });

    it('waits for the first connect too', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = newClient(url);
      const outcome = track(client.drained());
      await clock.tickAsync(50);
      await flush();
      expect(outcome.settled()).to.equal('pending');
      await client.connect();
      await clock.tickAsync(10);
      await flush();
      expect(outcome.settled()).to.equal('resolved');
    });

    it('rejects NOT_CONNECTED when reconnecting gave up', async () => {
      clock = useFakeClock();
      const name = uniqueName('drain-gone');
      const server = new SocketServer(new MemorySocketServer({ name }), {
        heartbeatInterval: Infinity,
      });
      const url = (await server.listen()).url ?? '';
      const client = newClient(url, {
        reconnect: { retries: 2, minDelay: 100, maxDelay: 100, factor: 1 },
      });
      await client.connect();
      const timers = clock.countTimers();
      await server.shutdown();
      await flush();
      expect(client.state).to.equal('reconnecting');
      const waiting = client.drained();
      const outcome = track(waiting);
      await clock.tickAsync(1000);
      await flush();
      expect(client.state).to.equal('closed');
      expect(outcome.settled()).to.equal('rejected');
      expectCode(await rejectionOf(waiting), 'NOT_CONNECTED');
      expect(clock.countTimers()).to.equal(timers);
    });

    it('with maxRate, resolves once the frames held back went out', async () => {
      clock = useFakeClock();
      const { url } = await startServer({ heartbeatInterval: Infinity });
      const client = await connectClient(url, { maxRate: 2 });
      const timers = clock.countTimers();
      client.emit('a', 1);
      client.emit('a', 2);
      expect(client.emit('a', 3)).to.equal(false);
      const outcome = track(client.drained());
      await clock.tickAsync(490);
      await flush();
      expect(client.getMetrics().queued).to.equal(1);
      expect(outcome.settled()).to.equal('pending');
      await clock.tickAsync(20);
      await flush();
      expect(client.getMetrics().queued).to.equal(0);
      expect(outcome.settled()).to.equal('resolved');
      expect(clock.countTimers()).to.equal(timers);
    });
  });
});
