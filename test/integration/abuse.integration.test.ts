// Hostile clients against a live SocketServer, on every shipped transport: floods past the rate
// limit, topic bombs, memory held by connections that never finish authorization, and the
// connection caps. Each test asserts on counts and outcomes (frames delivered, close codes,
// answers received), never on how long something took; every loop is bounded and every wait has
// a generous limit. Hostile peers that must bypass SocketClient's own checks speak the wire
// protocol (JSON text frames, docs/protocol.md) through the transport's AbstractSocket adapter.
import { expect } from 'chai';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  CompactCodec,
  JsonCodec,
  PlugSocketError,
  SocketClient,
  SocketServer,
  type AbstractSocket,
  type AnyFrame,
  type AuthorizationStrategy,
  type CloseInfo,
  type SocketServerOptions,
} from 'plugsocket';
import { TRANSPORTS, waitFor, type TransportUnderTest } from './transports.js';

/** `global.gc`, or V8's gc exposed at run time, or nothing. */
function gc(): (() => void) | undefined {
  const g = globalThis as { gc?: () => void };
  if (typeof g.gc === 'function') return g.gc;
  try {
    setFlagsFromString('--expose_gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

/**
 * Heap in use after full collections. Without a gc to call, garbage would make it noise: then
 * `Infinity` before and `-Infinity` after, so that a growth bound holds trivially.
 */
async function settledHeap(when: 'before' | 'after'): Promise<number> {
  const collect = gc();
  if (collect === undefined) return when === 'before' ? Infinity : -Infinity;
  for (let i = 0; i < 3; i++) {
    collect();
    await sleep(10);
  }
  return process.memoryUsage().heapUsed;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const MiB = 1024 * 1024;

/**
 * Distinct topics the topic bomb joins: 100,000 in memory; 20,000 (20 times the cap) over a
 * network transport, where each join and its answer cost a frame each way and 100,000 of them
 * take 10–15 s on a busy 2-vCPU machine. PLUGSOCKET_ABUSE_TOPICS sets it for every transport.
 */
const BOMB_TOPICS = (transport: TransportUnderTest): number =>
  Number(process.env.PLUGSOCKET_ABUSE_TOPICS ?? (transport.name === 'memory' ? 100_000 : 20_000));

const encoder = new JsonCodec();
const decoder = new CompactCodec();

interface Envelope {
  k: string;
  id?: number | string;
  error?: { code: string; message: string };
}

/**
 * A peer that speaks the protocol by hand through a transport adapter: it sends JSON text frames
 * (every server reads them) and counts what comes back by kind and error code, without keeping
 * the frames.
 */
class RawPeer {
  readonly socket: AbstractSocket;
  closed: CloseInfo | undefined;
  welcomeId: string | undefined;
  acks = 0;
  readonly nacks = new Map<string, number>();
  readonly errors = new Map<string, number>();
  connectError: unknown;

  constructor(transport: TransportUnderTest) {
    this.socket = transport.createClient();
    this.socket.on('message', (frame: AnyFrame) => {
      const e = decoder.decode(frame) as Envelope;
      if (e.k === 'welcome') this.welcomeId = String(e.id);
      else if (e.k === 'ack') this.acks++;
      else if (e.k === 'nack') bump(this.nacks, e.error?.code ?? '?');
      else if (e.k === 'error') bump(this.errors, e.error?.code ?? '?');
    });
    this.socket.on('close', (info: CloseInfo) => {
      this.closed = info;
    });
    // Errors of a peer the server throws out are expected; keep them from being unhandled.
    this.socket.on('error', () => undefined);
  }

  /** Opens the transport connection (not waiting for `welcome`); resolves false if it failed. */
  async open(url: string, auth?: Record<string, unknown>): Promise<boolean> {
    try {
      await this.socket.connect({ url, timeout: 10_000, ...(auth && { auth }) });
      return true;
    } catch (error) {
      this.connectError = error;
      return false;
    }
  }

  send(envelope: object): boolean {
    if (this.closed !== undefined || !this.socket.isOpen) return false;
    return this.socket.send(encoder.encode(envelope));
  }

  get answers(): number {
    let n = this.acks;
    for (const v of this.nacks.values()) n += v;
    return n;
  }

  close(): void {
    if (this.closed === undefined) this.socket.terminate();
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

for (const transport of TRANSPORTS) {
  describe(`abuse integration over ${transport.name}`, function () {
    this.timeout(30_000);
    let server: SocketServer | undefined;
    let url: string;
    const clients: SocketClient[] = [];
    const peers: RawPeer[] = [];

    const start = async (options: SocketServerOptions = {}): Promise<SocketServer> => {
      server = new SocketServer(transport.createServer(), options);
      url = (await server.listen()).url!;
      return server;
    };
    // Clients here do not reconnect: a flooder cut off with 4429 must stay gone for the counts.
    const client = (): SocketClient => {
      const c = new SocketClient(transport.createClient(), {
        url,
        connectTimeout: 10_000,
        requestTimeout: 10_000,
        reconnect: false,
      });
      c.onError(() => undefined);
      clients.push(c);
      return c;
    };
    const connected = async (): Promise<SocketClient> => {
      const c = client();
      await c.connect();
      return c;
    };
    const peer = (): RawPeer => {
      const p = new RawPeer(transport);
      peers.push(p);
      return p;
    };
    /** A raw peer that has been admitted (its `welcome` arrived). */
    const admittedPeer = async (): Promise<RawPeer> => {
      const p = peer();
      expect(await p.open(url)).to.equal(true);
      await waitFor(() => p.welcomeId !== undefined, 10_000, 'welcome');
      return p;
    };
    /** Makes `count` echo round trips, at most one per `gapMs`; returns how many came back right. */
    const roundTrips = async (c: SocketClient, count: number, gapMs: number): Promise<number> => {
      let right = 0;
      for (let i = 0; i < count; i++) {
        const answer = await c.request('echo', { i });
        if ((answer as { i?: number }).i === i) right++;
        await sleep(gapMs);
      }
      return right;
    };

    afterEach(async () => {
      for (const p of peers.splice(0)) p.close();
      await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
      await server?.shutdown();
      server = undefined;
    });

    // ------------------------------------------------------------------ flood

    describe('flood', () => {
      /**
       * Sends `chat` messages in bursts of 500 per event-loop turn until the client is closed or
       * `max` were sent. Resolves with the number sent and the milliseconds it flooded.
       */
      const flood = async (c: SocketClient, max: number): Promise<{ sent: number; ms: number }> => {
        const t0 = Date.now();
        let sent = 0;
        try {
          while (sent < max && c.isConnected) {
            for (let i = 0; i < 500 && sent < max; i++, sent++) c.emit('chat', sent);
            await nextTurn();
          }
        } catch (error) {
          if (!PlugSocketError.is(error, 'NOT_CONNECTED')) throw error;
        }
        return { sent, ms: Date.now() - t0 };
      };

      it('a flooder is told RATE_LIMITED, closed with 4429 after about its allowance, while another client keeps every round trip', async () => {
        const limit = { messages: 100, interval: 1000 };
        const s = await start({ rateLimit: limit });
        s.handle('echo', (x: unknown) => x);
        const good = await connected();
        const flooder = await connected();
        const flooderId = flooder.id!;
        let delivered = 0;
        s.onMessage((id) => {
          if (id === flooderId) delivered++;
        });
        const refusals: string[] = [];
        flooder.onError((e) => void refusals.push(e.code));
        const closes: CloseInfo[] = [];
        flooder.onClose((info) => void closes.push(info));

        // The good client stays within its own allowance whatever the speed of the machine: its
        // bucket starts full (100) and refills by at least 0.6 between requests 6 ms apart, so
        // 200 requests never drain it.
        const goodRun = roundTrips(good, 200, 6);
        await sleep(50);
        const t0 = Date.now();
        const { sent } = await flood(flooder, 50_000);
        await waitFor(() => closes.length === 1, 20_000, 'the flooder closed');
        const elapsed = Date.now() - t0;
        const right = await goodRun;

        expect(closes[0].code).to.equal(4429);
        expect(refusals).to.include('RATE_LIMITED');
        expect(sent).to.be.greaterThan(limit.messages);
        const intervals = Math.ceil(elapsed / limit.interval) + 1;
        expect(delivered).to.be.at.least(limit.messages);
        expect(delivered).to.be.at.most(limit.messages + limit.messages * intervals + 10);
        expect(right).to.equal(200);
        expect(good.isConnected).to.equal(true);
        await waitFor(() => s.clientCount === 1, 10_000, 'the server let the flooder go');
      });

      it('the default limits cut a flooder off', async () => {
        const s = await start();
        const flooder = await connected();
        const bystander = await connected();
        const flooderId = flooder.id!;
        let delivered = 0;
        s.onMessage((id) => {
          if (id === flooderId) delivered++;
        });
        const closes: CloseInfo[] = [];
        flooder.onClose((info) => void closes.push(info));
        const t0 = Date.now();
        const { sent } = await flood(flooder, 50_000);
        await waitFor(() => closes.length === 1, 20_000, 'the flooder closed');
        const elapsed = Date.now() - t0;
        expect(closes[0].code).to.equal(4429);
        expect(sent).to.be.greaterThan(2_000);
        // Defaults: 1000 frames a second, burst 1000.
        expect(delivered).to.be.at.most(1000 + 1000 * (Math.ceil(elapsed / 1000) + 1) + 10);
        s.handle('echo', (x: unknown) => x);
        expect(await bystander.request('echo', 'still here')).to.equal('still here');
      });
    });

    // ------------------------------------------------------------------ rate limit semantics

    describe('rate limit semantics', () => {
      // An interval of ten minutes: nothing refills while a test runs.
      const frozen = { messages: 10, interval: 600_000, maxViolations: 100_000 };

      it('requests past the limit are refused with RATE_LIMITED and never reach the handler', async () => {
        const s = await start({ rateLimit: frozen });
        let calls = 0;
        s.handle('echo', (x: unknown) => {
          calls++;
          return x;
        });
        const c = await connected();
        const results = await Promise.allSettled(
          Array.from({ length: 30 }, (_, i) => c.request('echo', i)),
        );
        const ok = results.filter((r) => r.status === 'fulfilled');
        const limited = results.filter(
          (r) => r.status === 'rejected' && PlugSocketError.is(r.reason, 'RATE_LIMITED'),
        );
        expect(ok).to.have.length(10);
        expect(limited).to.have.length(20);
        expect(calls).to.equal(10);
        expect(c.isConnected).to.equal(true);
      });

      it('joins past the limit are refused with RATE_LIMITED and not made', async () => {
        const s = await start({ rateLimit: frozen });
        const c = await connected();
        const results = await Promise.allSettled(
          Array.from({ length: 25 }, (_, i) => c.join(`room-${i}`)),
        );
        const limited = results.filter(
          (r) => r.status === 'rejected' && PlugSocketError.is(r.reason, 'RATE_LIMITED'),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).to.have.length(10);
        expect(limited).to.have.length(15);
        expect(s.getClient(c.id!)!.topics.size).to.equal(10);
        expect(s.getTopics()).to.have.length(10);
      });

      it('plain messages past the limit are dropped and the client is told once per interval', async () => {
        const limit = { messages: 5, interval: 1000, maxViolations: 100_000 };
        const s = await start({ rateLimit: limit });
        s.handle('echo', (x: unknown) => x);
        const c = await connected();
        let delivered = 0;
        s.onMessage(() => void delivered++);
        let told = 0;
        c.onError((e) => {
          if (e.code === 'RATE_LIMITED') told++;
        });
        const burst = async (count: number): Promise<void> => {
          for (let i = 0; i < count; i++) c.emit('chat', i);
          // A request after the burst: it is refused too, and its nack comes after everything the
          // server answered to the burst.
          const error = await rejection(c.request('echo', 'sentinel'));
          expect(PlugSocketError.is(error, 'RATE_LIMITED')).to.equal(true);
        };

        const t0 = Date.now();
        await burst(55);
        const first = Date.now() - t0;
        const refill = (ms: number): number => Math.ceil((ms * limit.messages) / limit.interval);
        expect(delivered).to.be.within(limit.messages, limit.messages + refill(first));
        expect(told).to.be.within(1, 1 + Math.floor(first / limit.interval));
        const toldFirst = told;
        const deliveredFirst = delivered;

        await sleep(limit.interval + 100);
        const t1 = Date.now();
        await burst(30);
        const second = Date.now() - t1;
        expect(delivered - deliveredFirst).to.be.at.least(1);
        expect(delivered - deliveredFirst).to.be.at.most(limit.messages + refill(second));
        expect(told - toldFirst).to.be.within(1, 1 + Math.floor(second / limit.interval));
        expect(c.isConnected).to.equal(true);
      });

      it("answers to the server's requests still arrive from a client over its limit", async () => {
        const s = await start({ rateLimit: { ...frozen, messages: 5 } });
        s.handle('echo', (x: unknown) => x);
        const c = await connected();
        c.handle('ping', (n: unknown) => `pong:${String(n)}`);
        for (let i = 0; i < 20; i++) c.emit('chat', i);
        const refused = await rejection(c.request('echo', 'over'));
        expect(PlugSocketError.is(refused, 'RATE_LIMITED')).to.equal(true);
        for (let i = 0; i < 5; i++) {
          expect(await s.request(c.id!, 'ping', i)).to.equal(`pong:${i}`);
        }
        expect(c.isConnected).to.equal(true);
      });

      it('rateLimit: false lets a burst of 5,000 messages through', async () => {
        const s = await start({ rateLimit: false });
        const c = await connected();
        let delivered = 0;
        s.onMessage(() => void delivered++);
        const told: string[] = [];
        c.onError((e) => void told.push(e.code));
        for (let i = 0; i < 5_000; i++) c.emit('chat', i);
        await waitFor(() => delivered === 5_000, 20_000, '5,000 messages');
        expect(told).to.deep.equal([]);
        expect(c.isConnected).to.equal(true);
      });
    });

    // ------------------------------------------------------------------ topic bomb

    describe('topic bomb', () => {
      /**
       * Sends `count` joins of distinct topics with at most `window` unanswered at a time, until
       * all are answered or the peer is closed.
       */
      const bomb = async (p: RawPeer, count: number, window = 2_000): Promise<void> => {
        let sent = 0;
        const deadline = Date.now() + 60_000;
        while (sent < count && p.closed === undefined && Date.now() < deadline) {
          while (sent < count && sent - p.answers < window) {
            p.send({ k: 'join', id: sent + 1, topic: `bomb-${sent}` });
            sent++;
          }
          await sleep(1);
        }
        await waitFor(() => p.answers === sent || p.closed !== undefined, 30_000, 'answers');
      };

      it(`a client joining ${BOMB_TOPICS(transport).toLocaleString('en-US')} topics gets LIMIT_EXCEEDED past the default 1,000, and others are unaffected`, async function () {
        this.timeout(60_000);
        const topics = BOMB_TOPICS(transport);
        const s = await start({ rateLimit: false });
        s.handle('echo', (x: unknown) => x);
        const bystander = await connected();
        await bystander.join('news');
        const heard: unknown[] = [];
        bystander.subscribe('headline', (p) => void heard.push(p));
        const heapBefore = await settledHeap('before');

        const p = await admittedPeer();
        await bomb(p, topics);

        expect(p.closed).to.equal(undefined);
        expect(p.acks).to.equal(1_000);
        expect(p.nacks.get('LIMIT_EXCEEDED')).to.equal(topics - 1_000);
        expect(s.getClient(p.welcomeId!)!.topics.size).to.equal(1_000);
        expect(s.getTopics()).to.have.length(1_001);
        // About 1 MiB measured; holding 100,000 topics would take well over 8.
        const grown = (await settledHeap('after')) - heapBefore;
        expect(grown, `heap grew by ${(grown / MiB).toFixed(1)} MiB`).to.be.below(8 * MiB);

        // The others: a join, a request and a topic broadcast all work.
        await bystander.join('more');
        expect(await bystander.request('echo', 42)).to.equal(42);
        s.to('news').emit('headline', 'ok');
        await waitFor(() => heard.length === 1, 10_000, 'the headline');
        expect(heard).to.deep.equal(['ok']);
      });

      it('maxTopicsPerClient sets the cap; rejoining a topic held and joining after a leave still work', async () => {
        const s = await start({ rateLimit: false, maxTopicsPerClient: 50 });
        const p = await admittedPeer();
        await bomb(p, 2_000, 500);
        expect(p.acks).to.equal(50);
        expect(p.nacks.get('LIMIT_EXCEEDED')).to.equal(1_950);
        expect(s.getClient(p.welcomeId!)!.topics.size).to.equal(50);

        const c = await connected();
        await Promise.all(Array.from({ length: 50 }, (_, i) => c.join(`t-${i}`)));
        const error = await rejection(c.join('one-too-many'));
        expect(PlugSocketError.is(error, 'LIMIT_EXCEEDED')).to.equal(true);
        await c.join('t-0'); // already in it: not a new topic
        await c.leave('t-1');
        await c.join('one-too-many');
        expect(s.getClient(c.id!)!.topics.size).to.equal(50);
        expect(s.getTopics()).to.have.length(100);
      });
    });

    // ------------------------------------------------------------------ pre-auth memory bomb

    describe('pre-auth memory bomb', () => {
      /** Never answers for a handshake with `auth.hostile`; admits everyone else. */
      const stalling: AuthorizationStrategy = {
        applyAuthorization: (options) => options,
        authorize: (handshake) =>
          handshake.auth.hostile === true
            ? new Promise(() => undefined)
            : { ok: true, principal: undefined },
      };
      const FRAME = JSON.stringify({ k: 'msg', type: 'fill', payload: 'x'.repeat(4_000) });

      /** Opens `count` hostile peers, at most 25 handshakes at a time. */
      const openHostile = async (count: number): Promise<RawPeer[]> => {
        const out: RawPeer[] = [];
        for (let i = 0; i < count; i += 25) {
          const batch = Array.from({ length: Math.min(25, count - i) }, () => peer());
          await Promise.all(batch.map((p) => p.open(url, { hostile: true })));
          out.push(...batch);
        }
        return out;
      };

      it('200 connections stuck in authorization hold at most maxPendingBytesTotal; the rest are closed with 1008', async function () {
        this.timeout(60_000);
        const total = 1 * MiB;
        const perPeer = 16;
        const s = await start({
          authorization: stalling,
          handshakeTimeout: 60_000,
          maxPendingFrames: 10_000,
          maxPendingBytesTotal: total,
          rateLimit: false,
        });
        s.handle('echo', (x: unknown) => x);
        const heapBefore = await settledHeap('before');

        const hostile = await openHostile(200);
        expect(hostile.filter((p) => p.socket.isOpen || p.closed !== undefined)).to.have.length(
          200,
        );
        for (let round = 0; round < perPeer; round++) {
          for (const p of hostile) p.send({ k: 'msg', type: 'fill', payload: 'x'.repeat(4_000) });
          await nextTurn();
        }
        // Whoever holds all its frames holds perPeer × FRAME bytes: at most total / that of them.
        const holdersMax = Math.floor(total / (perPeer * FRAME.length));
        await waitFor(
          () => hostile.filter((p) => p.closed?.code === 1008).length >= 200 - holdersMax,
          30_000,
          'the connections over the total closed',
        );
        await sleep(200);
        const closed = hostile.filter((p) => p.closed !== undefined);
        expect(closed.every((p) => p.closed!.code === 1008)).to.equal(true);
        expect(200 - closed.length).to.be.at.most(holdersMax);
        expect(hostile.every((p) => p.welcomeId === undefined)).to.equal(true);
        expect(s.clientCount).to.equal(0);

        // About 2 MiB measured (200 live connections, both ends in this process); holding every
        // frame sent would take 200 × 16 × 4 KB ≈ 12.5 MiB more.
        const grown = (await settledHeap('after')) - heapBefore;
        expect(grown, `heap grew by ${(grown / MiB).toFixed(1)} MiB`).to.be.below(8 * total);

        // A client the strategy admits still connects and is served.
        const c = await connected();
        expect(await c.request('echo', 'hello')).to.equal('hello');
      });

      it('handshakeTimeout closes connections stuck in authorization with 4408', async () => {
        const s = await start({ authorization: stalling, handshakeTimeout: 300 });
        s.handle('echo', (x: unknown) => x);
        const hostile = await openHostile(30);
        for (const p of hostile) p.send({ k: 'msg', type: 'fill', payload: 1 });
        // A peer whose transport handshake outlived the 300 ms (a very busy machine) may fail to
        // open instead; every one that opened is closed with 4408.
        await waitFor(
          () => hostile.every((p) => p.closed !== undefined || p.connectError !== undefined),
          20_000,
          'all closed',
        );
        const opened = hostile.filter((p) => p.connectError === undefined);
        expect(opened.length).to.be.greaterThan(0);
        expect(opened.map((p) => p.closed!.code)).to.deep.equal(opened.map(() => 4408));
        expect(s.clientCount).to.equal(0);
        const c = await connected();
        expect(await c.request('echo', 'after')).to.equal('after');
      });
    });

    // ------------------------------------------------------------------ connection caps

    describe('connection caps', () => {
      const refusedWith1013 = async (): Promise<void> => {
        const extra = client();
        const error = await rejection(extra.connect());
        expect(PlugSocketError.is(error, 'CONNECTION_FAILED'), String(error)).to.equal(true);
        const p = peer();
        await p.open(url);
        await waitFor(
          () => p.closed !== undefined || p.connectError !== undefined,
          10_000,
          'refused',
        );
        expect(p.closed?.code, String(p.connectError)).to.equal(1013);
      };

      for (const option of ['maxConnections', 'maxConnectionsPerAddress'] as const) {
        it(`${option} refuses the extra connection with 1013, and a freed slot can be used again`, async () => {
          const s = await start({ [option]: 3 });
          s.handle('echo', (x: unknown) => x);
          const three = [await connected(), await connected(), await connected()];
          await refusedWith1013();
          expect(s.clientCount).to.equal(3);

          await three[0].disconnect();
          await waitFor(() => s.clientCount === 2, 10_000, 'the slot freed');
          const again = await connected();
          expect(await again.request('echo', 'in')).to.equal('in');
          await refusedWith1013();
          for (const c of three.slice(1)) expect(c.isConnected).to.equal(true);
        });
      }
    });
  });
}
