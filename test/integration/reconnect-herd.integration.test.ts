// 500 clients of a server that restarts: each reconnects by itself, the reconnects spread over
// the backoff window (full jitter, no herd), and every client is back with its topic. Prints the
// histogram of when they came back.
import { expect } from 'chai';
import { SocketClient, SocketServer } from 'plugsocket';
import { WsSocket, WsSocketServer } from 'plugsocket/ws';
import { waitFor } from './transports.js';

const CLIENTS = 500;

describe('500 clients of a restarting server (ws)', function () {
  this.timeout(120_000);
  const clients: SocketClient[] = [];
  const servers: SocketServer[] = [];

  after(async () => {
    await Promise.all(clients.map((c) => c.disconnect().catch(() => undefined)));
    await Promise.all(servers.map((s) => s.shutdown()));
  });

  it('all come back, with their topics, spread over the backoff window', async () => {
    const first = new SocketServer(new WsSocketServer({ port: 0, host: '127.0.0.1' }));
    servers.push(first);
    const { url, port } = await first.listen();
    for (let i = 0; i < CLIENTS; i++) {
      clients.push(
        new SocketClient(new WsSocket(), {
          url: url ?? '',
          reconnect: { minDelay: 1000, maxDelay: 8000 },
        }),
      );
    }
    for (let i = 0; i < CLIENTS; i += 50) {
      await Promise.all(clients.slice(i, i + 50).map((c) => c.connect()));
    }
    await Promise.all(clients.map((c, i) => c.join(`room-${i % 10}`)));

    const delays: number[] = [];
    const backAt: number[] = [];
    let t0 = 0;
    for (const c of clients) {
      c.onReconnecting((_attempt, delay) => delays.push(delay));
      c.onReconnected(() => backAt.push(Date.now() - t0));
    }
    t0 = Date.now();
    await first.shutdown(); // every client sees 1001 and starts reconnecting
    const second = new SocketServer(new WsSocketServer({ port, host: '127.0.0.1' }));
    servers.push(second);
    await second.listen();
    await waitFor(() => backAt.length === CLIENTS, 60_000, 'every client back');
    // A client is back when the server admits it; its topics' joins, sent at that moment, are
    // answered a little later, so membership is awaited (bounded) rather than read at once.
    const rooms = Array.from({ length: 10 }, (_, r) => `room-${r}`);
    await waitFor(
      () => rooms.every((room) => second.getSubscribers(room).length === CLIENTS / 10),
      10_000,
      'every client back in its topic',
    );

    // Histogram of the return times, in 250 ms buckets.
    const buckets = new Map<number, number>();
    for (const t of backAt) {
      const b = Math.floor(t / 250) * 250;
      buckets.set(b, (buckets.get(b) ?? 0) + 1);
    }
    const rows = [...buckets.entries()].sort((a, b) => a[0] - b[0]);
    console.log(`      reconnects of ${CLIENTS} clients after a restart (ms since shutdown):`);
    for (const [b, n] of rows) {
      console.log(
        `      ${String(b).padStart(5)}–${String(b + 249).padEnd(5)} ${'#'.repeat(Math.ceil(n / 5))} ${n}`,
      );
    }

    expect(second.clientCount).to.equal(CLIENTS);
    for (let r = 0; r < 10; r++) {
      expect(second.getSubscribers(`room-${r}`)).to.have.length(CLIENTS / 10);
    }
    for (const c of clients) expect(c.state).to.equal('open');
    // No herd: the first attempts' delays spread over the window, not bunched at its start.
    const firstDelays = delays.slice(0, CLIENTS);
    const early = firstDelays.filter((d) => d < 250).length;
    const late = firstDelays.filter((d) => d >= 750).length;
    expect(early, 'first attempts in the first quarter of the window').to.be.within(60, 190);
    expect(late, 'first attempts in the last quarter of the window').to.be.within(60, 190);
  });
});
