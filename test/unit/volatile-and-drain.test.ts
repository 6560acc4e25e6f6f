import { expect } from 'chai';
import sinon from 'sinon';
import type { PlugSocketError, ServerConnection } from 'plugsocket';
import {
  MemorySocket,
  MemorySocketServer,
  type MemorySocketServerOptions,
} from 'plugsocket/memory';
import { flush, uniqueName } from './support.js';

/**
 * A memory server whose per-connection backlog a test sets by hand, and which (when `announces`)
 * reports drains as a transport with a drain event would: `doWatchDrain` arms one report, which
 * the test fires with `announce`.
 */
class BackloggedServer extends MemorySocketServer {
  readonly backlog = new Map<MemorySocket, number>();
  readonly armed = new Set<MemorySocket>();
  watchCalls = 0;
  announces = false;

  constructor(options: MemorySocketServerOptions = {}) {
    super({ name: uniqueName('volatile'), ...options });
  }

  protected override doBufferedAmount(peer: MemorySocket): number {
    return this.backlog.get(peer) ?? 0;
  }

  protected override doWatchDrain(peer: MemorySocket): void {
    this.watchCalls++;
    if (this.announces) this.armed.add(peer);
  }

  /** The transport says `connection`'s backlog shrank: reports it if a report was armed. */
  announce(connection: ServerConnection<MemorySocket>): void {
    if (!this.armed.delete(connection.native)) return;
    this.emitDrain(connection);
  }
}

const MIB = 1024 * 1024;

describe('AbstractSocketServer › backpressure (highWaterMark, volatile, whenDrained)', () => {
  let server: BackloggedServer;
  let sockets: MemorySocket[];
  let connections: ServerConnection<MemorySocket>[];
  let errors: PlugSocketError[];
  let received: string[][];

  async function start(options: MemorySocketServerOptions = {}): Promise<void> {
    server = new BackloggedServer({ maxBufferedAmount: 1000, highWaterMark: 100, ...options });
    connections = [];
    errors = [];
    server.on('connection', (c) => void connections.push(c));
    server.on('error', (_c, e) => void errors.push(e));
    const { url } = await server.listen();
    sockets = [new MemorySocket(), new MemorySocket(), new MemorySocket()];
    received = sockets.map(() => []);
    for (const [i, s] of sockets.entries()) {
      s.on('message', (f) => void received[i].push(f as string));
      await s.connect({ url: url! });
    }
  }

  afterEach(async () => {
    sinon.restore();
    await Promise.all(sockets.map((s) => s.disconnect()));
    await server.close();
  });

  describe('options', () => {
    beforeEach(() => {
      sockets = [];
      server = new BackloggedServer();
    });

    it('defaults highWaterMark to 1 MiB, or to maxBufferedAmount when that is smaller', () => {
      expect(new BackloggedServer().highWaterMark).to.equal(MIB);
      expect(new BackloggedServer({ maxBufferedAmount: 4096 }).highWaterMark).to.equal(4096);
      expect(new BackloggedServer({ highWaterMark: 0 }).highWaterMark).to.equal(0);
    });

    it('refuses a highWaterMark that is not a number (TypeError) or not in 0…maxBufferedAmount (RangeError)', () => {
      expect(() => new BackloggedServer({ highWaterMark: '1' as unknown as number })).to.throw(
        TypeError,
        /highWaterMark/,
      );
      for (const bad of [-1, Number.NaN, 2000]) {
        expect(
          () => new BackloggedServer({ maxBufferedAmount: 1000, highWaterMark: bad }),
        ).to.throw(RangeError, /highWaterMark/);
      }
    });
  });

  describe('volatile sends', () => {
    beforeEach(() => start());

    it('go like ordinary ones while the backlog is at most highWaterMark', async () => {
      server.backlog.set(sockets[0], 100);
      expect(server.send(connections[0], 'a', { volatile: true })).to.equal(true);
      expect(connections[0].send('b', { volatile: true })).to.equal(true);
      await flush();
      expect(received[0]).to.deep.equal(['a', 'b']);
      expect(server.volatileDropped).to.equal(0);
    });

    it('are skipped above highWaterMark (false, counted, no error, connection kept) while ordinary frames still go', async () => {
      server.backlog.set(sockets[0], 101);
      expect(server.send(connections[0], 'v', { volatile: true })).to.equal(false);
      expect(server.sendPrepared(connections[0], server.prepare('p'), { volatile: true })).to.equal(
        false,
      );
      expect(server.send(connections[0], 'ordinary')).to.equal(true);
      await flush();
      expect(received[0]).to.deep.equal(['ordinary']);
      expect(errors).to.deep.equal([]);
      expect(server.volatileDropped).to.equal(2);
      expect(connections[0].volatileDropped).to.equal(2);
      expect(connections[1].volatileDropped).to.equal(0);
      expect(server.isClientConnected(connections[0])).to.equal(true);
    });

    it('drop the connection with SLOW_CONSUMER above maxBufferedAmount, as any send does', () => {
      const gone: string[] = [];
      server.on('disconnect', (_c, info) => void gone.push(`${info.code} ${info.reason}`));
      server.backlog.set(sockets[0], 1001);
      expect(server.send(connections[0], 'v', { volatile: true })).to.equal(false);
      expect(errors.map((e) => e.code)).to.deep.equal(['SLOW_CONSUMER']);
      expect(server.isClientConnected(connections[0])).to.equal(false);
      expect(server.volatileDropped, 'a drop is no skip').to.equal(0);
      expect(gone, 'the reason the server reports').to.deep.equal(['1006 slow consumer']);
    });

    it('sendMany() skips only the saturated recipients, each listed connection once', async () => {
      server.backlog.set(sockets[1], 500);
      const [a, b, c] = connections;
      expect(server.sendMany([a, b, c, a, b], 'tick', { volatile: true })).to.equal(2);
      expect(server.sendMany([a, b, c], 'news')).to.equal(3);
      await flush();
      expect(received).to.deep.equal([['tick', 'news'], ['news'], ['tick', 'news']]);
      expect(connections[1].volatileDropped).to.equal(1);
      expect(server.volatileDropped).to.equal(1);
    });

    it('sendMany() of volatile frames drops a connection over maxBufferedAmount and still serves the others', async () => {
      server.backlog.set(sockets[2], 5000);
      expect(server.sendMany(connections, 'tick', { volatile: true })).to.equal(2);
      await flush();
      expect(received.slice(0, 2)).to.deep.equal([['tick'], ['tick']]);
      expect(errors.map((e) => e.code)).to.deep.equal(['SLOW_CONSUMER']);
    });

    it('with highWaterMark 0, are skipped as soon as anything is queued', async () => {
      await server.close();
      await Promise.all(sockets.map((s) => s.disconnect()));
      await start({ highWaterMark: 0 });
      server.backlog.set(sockets[0], 1);
      expect(server.send(connections[0], 'v', { volatile: true })).to.equal(false);
      expect(server.send(connections[1], 'v', { volatile: true })).to.equal(true);
    });
  });

  describe('bufferedAmount and isWritable', () => {
    beforeEach(() => start());

    it('report the backlog and whether it is at most highWaterMark', () => {
      server.backlog.set(sockets[0], 100);
      expect(server.bufferedAmount(connections[0])).to.equal(100);
      expect(server.isWritable(connections[0])).to.equal(true);
      expect(connections[0].writable).to.equal(true);
      server.backlog.set(sockets[0], 101);
      expect(connections[0].bufferedAmount).to.equal(101);
      expect(server.isWritable(connections[0])).to.equal(false);
    });

    it('are 0 and false once the connection is closed, whatever the transport still holds', async () => {
      server.backlog.set(sockets[0], 50);
      await connections[0].close();
      expect(server.bufferedAmount(connections[0])).to.equal(0);
      expect(server.isWritable(connections[0])).to.equal(false);
    });

    it('isWritable is false while a close is under way', () => {
      void connections[0].close();
      expect(server.isWritable(connections[0])).to.equal(false);
    });
  });

  describe('whenDrained', () => {
    beforeEach(() => start());

    it('resolves at once (promise jobs only) when the backlog is at half of highWaterMark or below', async () => {
      server.backlog.set(sockets[0], 50);
      let done = false;
      void server.whenDrained(connections[0]).then(() => (done = true));
      await Promise.resolve();
      await Promise.resolve();
      expect(done).to.equal(true);
      expect(server.watchCalls, 'nothing armed for a connection that need not wait').to.equal(0);
    });

    it('waits while the backlog is above the low-water mark, even when writable, and one shared timer finds the drain', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      server.backlog.set(sockets[0], 80);
      server.backlog.set(sockets[1], 900);
      let first = 0;
      let second = 0;
      void server.whenDrained(connections[0]).then(() => first++);
      void server.whenDrained(connections[0]).then(() => first++);
      void server.whenDrained(connections[1]).then(() => second++);
      expect(clock.countTimers(), 'one timer for every connection waited on').to.equal(1);
      clock.tick(100);
      await flush();
      expect([first, second]).to.deep.equal([0, 0]);
      server.backlog.set(sockets[0], 50);
      clock.tick(20);
      await flush();
      expect([first, second]).to.deep.equal([2, 0]);
      expect(clock.countTimers(), 'still polling for the other').to.equal(1);
      server.backlog.set(sockets[1], 0);
      clock.tick(20);
      await flush();
      expect([first, second]).to.deep.equal([2, 1]);
      expect(clock.countTimers(), 'no timer once nobody waits').to.equal(0);
    });

    it('resolves on the drain an adapter reports, without waiting for the timer, and re-arms when it was not enough', async () => {
      const clock = sinon.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
      server.announces = true;
      server.backlog.set(sockets[0], 400);
      let done = false;
      void server.whenDrained(connections[0]).then(() => (done = true));
      void server.whenDrained(connections[0]);
      expect(server.watchCalls, 'armed once for two waiters').to.equal(1);
      server.backlog.set(sockets[0], 70);
      server.announce(connections[0]);
      await flush();
      expect(done, 'a drain to above the low-water mark releases nobody').to.equal(false);
      expect(server.watchCalls, 'armed again').to.equal(2);
      server.backlog.set(sockets[0], 10);
      server.announce(connections[0]);
      await flush();
      expect(done).to.equal(true);
      expect(clock.countTimers()).to.equal(0);
    });

    it('an adapter may report a drain nobody waits for', () => {
      expect(() =>
        (server as unknown as { emitDrain(c: unknown): void }).emitDrain(connections[0]),
      ).not.to.throw();
    });

    it('resolves when the connection starts to close, is terminated, or the server closes', async () => {
      for (const s of sockets) server.backlog.set(s, 900);
      const settled: number[] = [];
      void server.whenDrained(connections[0]).then(() => settled.push(0));
      void server.whenDrained(connections[1]).then(() => settled.push(1));
      void server.whenDrained(connections[2]).then(() => settled.push(2));
      void connections[0].close(4000, 'bye');
      await Promise.resolve();
      await Promise.resolve();
      expect(settled, 'released as the close starts').to.deep.equal([0]);
      server.terminateConnection(connections[1]);
      await flush();
      expect(settled).to.deep.equal([0, 1]);
      await server.close();
      expect(settled).to.deep.equal([0, 1, 2]);
    });

    it('resolves at once for a connection that is closed', async () => {
      await connections[0].close();
      server.backlog.set(sockets[0], 900);
      let done = false;
      void connections[0].drained().then(() => (done = true));
      await Promise.resolve();
      await Promise.resolve();
      expect(done).to.equal(true);
    });
  });
});
