// Session resume under chaos, on each real transport (ws, Socket.IO over WebSocket, the example
// TCP adapter): server → FaultProxy → client, both sides streaming numbered messages and the
// client making numbered requests while the proxy cuts the connection at random points — by byte
// count (so most cuts land mid-frame, handshakes included), by reset, and half-open on either
// side. At the end every message arrived exactly once and in order each way, every request ran
// exactly once and was answered once, and every reconnect resumed. Then the same across a server
// shutdown and restart: with a shared MemorySessionStore the session resumes on the new server;
// with the default per-server store the client is told (resumed: false, expired), never silently.
//
// What the printed counts count:
// - cuts: the proxy's own count (a cut of a connection, live or in its handshake);
// - mid-frame: connections whose receiving side, either way, was left holding part of a frame
//   (or of the HTTP upgrade) when its stream ended, as two frame taps on either side of the proxy
//   read the bytes (client → tap → proxy → tap → server; see FrameTap);
// - replayed: down messages the server replayed from its log on a resume (sent before the resume
//   was admitted, not received by the client before its connection dropped), plus up messages
//   the client re-sent on a resume (handed to a transport before, not taken by the server).
//   A message replayed on several resumes in a row counts each time.
//
// The chaos is seeded: set CHAOS_SEED to replay a run's sequence of actions (timing still varies).
import { expect } from 'chai';
import {
  type AddressInfo,
  connect,
  createServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import {
  type AbstractSocket,
  type AbstractSocketServer,
  type ClientStateChange,
  MemorySessionStore,
  type PlugSocketError,
  type ResumeOutcome,
  SocketClient,
  SocketServer,
  type SocketServerOptions,
} from 'plugsocket';
import { FaultProxy } from 'plugsocket/contracts';
import { SocketIoServer } from 'plugsocket/socket.io';
import { SocketIoSocket } from 'plugsocket/socket.io/client';
import { WsSocket, WsSocketServer } from 'plugsocket/ws';
import { TcpSocket, TcpSocketServer } from '../../examples/tcp-adapter/index.js';
import { waitFor } from './transports.js';

const HOST = '127.0.0.1';
/** How long the workload runs under cuts, per transport. */
const CHAOS_MS = 3500;
const SEED = Number(process.env.CHAOS_SEED ?? Date.now() % 2 ** 32);

interface Rig {
  name: string;
  createServer: (port: number) => AbstractSocketServer;
  createClient: () => AbstractSocket;
  scheme: string;
  framing: Framing;
}

const RIGS: readonly Rig[] = [
  {
    name: 'ws',
    createServer: (port) => new WsSocketServer({ port, host: HOST }),
    createClient: () => new WsSocket(),
    scheme: 'ws',
    framing: 'ws',
  },
  {
    name: 'socket.io',
    createServer: (port) => new SocketIoServer({ port, host: HOST }),
    // WebSocket only (the adapter's default, made explicit): one TCP connection for the proxy.
    createClient: () => new SocketIoSocket({ transports: ['websocket'] }),
    scheme: 'http',
    framing: 'ws',
  },
  {
    name: 'tcp (example adapter)',
    createServer: (port) => new TcpSocketServer({ port, host: HOST }),
    createClient: () => new TcpSocket(),
    scheme: 'tcp',
    framing: 'tcp',
  },
];

/** A small seeded generator (mulberry32), for the chaos actions. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------- frame taps

/** How a transport frames its bytes: an HTTP upgrade then WebSocket frames, or the TCP example's. */
type Framing = 'ws' | 'tcp';

/**
 * Follows one direction of a connection's byte stream frame by frame, to tell whether it ended
 * inside a frame: WebSocket framing after the HTTP upgrade (ws, Socket.IO over WebSocket), or the
 * TCP example's 4-byte length + 1-byte kind header.
 */
class FrameFollower {
  #upgrade: boolean;
  #tail = 0;
  #head: number[] = [];
  #remaining = 0;
  bytes = 0;

  constructor(readonly framing: Framing) {
    this.#upgrade = framing === 'ws';
  }

  /** True when the bytes so far end inside a frame (or inside the HTTP upgrade). */
  get midFrame(): boolean {
    return this.#upgrade ? this.bytes > 0 : this.#head.length > 0 || this.#remaining > 0;
  }

  feed(chunk: Buffer): void {
    this.bytes += chunk.length;
    let i = 0;
    while (i < chunk.length) {
      if (this.#upgrade) {
        this.#tail = ((this.#tail << 8) | chunk[i++]) >>> 0;
        if (this.#tail === 0x0d0a0d0a) this.#upgrade = false;
      } else if (this.#remaining > 0) {
        const take = Math.min(this.#remaining, chunk.length - i);
        i += take;
        this.#remaining -= take;
      } else {
        this.#head.push(chunk[i++]);
        const need = this.#headerSize();
        if (need !== undefined && this.#head.length === need) {
          this.#remaining = this.#payloadSize();
          this.#head = [];
        }
      }
    }
  }

  #headerSize(): number | undefined {
    const h = this.#head;
    if (this.framing === 'tcp') return 5;
    if (h.length < 2) return undefined;
    const len7 = h[1] & 0x7f;
    return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + (h[1] & 0x80 ? 4 : 0);
  }

  #payloadSize(): number {
    const h = Buffer.from(this.#head);
    if (this.framing === 'tcp') return h.readUInt32BE(0);
    const len7 = h[1] & 0x7f;
    if (len7 === 126) return h.readUInt16BE(2);
    if (len7 === 127) return Number(h.readBigUInt64BE(2));
    return len7;
  }
}

/**
 * A transparent TCP relay that watches one direction of each connection with a
 * {@link FrameFollower}: placed between the client and the proxy it sees what the client
 * receives, between the proxy and the server what the server receives. FIN and RST pass through
 * as such (an end is forwarded as an end, a reset as a reset), so the transports see the cuts the
 * proxy makes. `ends[k]` says whether connection k's watched direction ended mid-frame.
 */
class FrameTap {
  readonly ends: { index: number; midFrame: boolean }[] = [];
  readonly #sockets = new Set<Socket>();
  #server: NetServer | undefined;
  #accepted = 0;

  constructor(
    readonly target: { host: string; port: number },
    readonly framing: Framing,
    /** The watched direction: what the tap forwards to its target, or from it. */
    readonly watch: 'toTarget' | 'fromTarget',
  ) {}

  async listen(): Promise<number> {
    const server = createServer({ allowHalfOpen: true }, (inbound) => this.#accept(inbound));
    this.#server = server;
    await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
    return (server.address() as AddressInfo).port;
  }

  #accept(inbound: Socket): void {
    const index = this.#accepted++;
    const follower = new FrameFollower(this.framing);
    const outbound = connect({ ...this.target, allowHalfOpen: true });
    const watched = this.watch === 'toTarget' ? inbound : outbound;
    let recorded = false;
    const record = (): void => {
      if (recorded) return;
      recorded = true;
      this.ends.push({ index, midFrame: follower.midFrame });
    };
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      this.#sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        if (from === watched) follower.feed(chunk);
        to.write(chunk);
      });
      from.on('end', () => {
        if (from === watched) record();
        to.end();
      });
      from.on('error', () => undefined);
      from.on('close', (hadError) => {
        this.#sockets.delete(from);
        if (from === watched) record();
        if (to.destroyed) return;
        if (hadError || !from.readableEnded) to.resetAndDestroy();
        else to.end();
      });
    }
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.resetAndDestroy();
    await new Promise<void>((resolve) =>
      this.#server ? this.#server.close(() => resolve()) : resolve(),
    );
  }
}

/** Connections of which either direction ended mid-frame, by the two taps' accounts. */
function midFrameCuts(
  clientSide: FrameTap,
  serverSide: FrameTap,
): { ended: number; midFrame: number } {
  const mid = new Map<number, boolean>();
  for (const tap of [clientSide, serverSide])
    for (const end of tap.ends) mid.set(end.index, (mid.get(end.index) ?? false) || end.midFrame);
  return { ended: mid.size, midFrame: [...mid.values()].filter(Boolean).length };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function serverOptions(store?: MemorySessionStore): SocketServerOptions {
  return {
    // The workload's own pace is above the default limit in bursts (re-sends after a resume);
    // rate limiting is not what is under test.
    rateLimit: false,
    heartbeatInterval: 200,
    heartbeatTimeout: 300,
    // A frozen (half-open) client is noticed within ~0.5 s, while the server goes on sending:
    // room for that in the log, so that every resume is within what the log allows.
    resumeLog: { maxMessages: 5000 },
    ...(store !== undefined && { sessionStore: store }),
  };
}

/** What one ordered stream 0..sent-1 looked like at the receiver. */
interface StreamCheck {
  sent: number;
  received: number;
  duplicates: number;
  lost: number[];
  /** The first position where the received sequence differs from 0, 1, 2, … (-1: none). */
  firstOutOfOrder: number;
}

function checkStream(received: readonly number[], sent: number): StreamCheck {
  const seen = new Map<number, number>();
  for (const n of received) seen.set(n, (seen.get(n) ?? 0) + 1);
  let duplicates = 0;
  for (const count of seen.values()) duplicates += count - 1;
  const lost: number[] = [];
  for (let n = 0; n < sent; n++) if (!seen.has(n)) lost.push(n);
  const firstOutOfOrder = received.findIndex((n, i) => n !== i);
  return { sent, received: received.length, duplicates, lost, firstOutOfOrder };
}

function describeBreak(name: string, received: readonly number[], check: StreamCheck): string {
  const at = check.firstOutOfOrder;
  const around =
    at < 0
      ? ''
      : ` around index ${at}: [${received.slice(Math.max(0, at - 3), at + 4).join(', ')}]`;
  return (
    `${name}: sent ${check.sent}, received ${check.received}, duplicates ${check.duplicates}, ` +
    `lost ${check.lost.length} [${check.lost.slice(0, 10).join(', ')}]${around}`
  );
}

/**
 * The workload: the server streams numbered `down` messages to the client (every fourth to the
 * topic `news` the client joined, the rest with sendToClient), the client streams numbered `up`
 * messages and makes numbered `work` requests, and both sides record what they got.
 */
class Workload {
  readonly down: number[] = [];
  readonly up: number[] = [];
  readonly executions = new Map<number, number>();
  readonly answers = new Map<number, unknown[]>();
  readonly requestErrors = new Map<number, PlugSocketError>();
  readonly outcomes: ResumeOutcome[] = [];
  readonly opens: ClientStateChange[] = [];
  readonly clientErrors: PlugSocketError[] = [];
  readonly serverErrors: PlugSocketError[] = [];
  /** Up messages handed to an open client (so kept to re-send), by number. */
  readonly upWhileOpen: boolean[] = [];
  downNext = 0;
  upNext = 0;
  requestNext = 0;
  settled = 0;
  /** Down messages the server replayed from its log on a resume (counted in wire()). */
  replayedDown = 0;
  /** Up messages the client re-sent on a resume: handed to a transport before, not taken. */
  resentUp = 0;
  /** Down sends the server refused (no such client): there should be none while it holds it. */
  refusedDown = 0;
  /** Topic sends that reached more than the one session that joined it. */
  readonly topicRecipients: string[] = [];
  clientId = '';
  server: SocketServer | undefined;
  #downTimer: ReturnType<typeof setInterval> | undefined;
  #upTimer: ReturnType<typeof setInterval> | undefined;
  #tick = 0;

  /**
   * What happened around the connection, in order, for the evidence of a failure: each connect
   * the client made (the end of the token it presented, the frames it said it had), each welcome
   * it received, its state changes and closes, and the server's admissions and disconnections.
   */
  readonly trace: string[] = [];
  readonly #t0 = Date.now();

  note(line: string): void {
    this.trace.push(`${String(Date.now() - this.#t0).padStart(5)} ms ${line}`);
  }

  constructor(readonly client: SocketClient) {
    const adapter = client.adapter;
    const connect = adapter.connect.bind(adapter);
    adapter.connect = (options) => {
      const token = options.query?.['plugsocket-resume'];
      this.note(
        `client connects, token …${token?.slice(-6) ?? '(none)'}, received ${options.query?.['plugsocket-received'] ?? '-'}`,
      );
      return connect(options);
    };
    adapter.on('message', (frame) => {
      const text = typeof frame === 'string' ? frame : JSON.stringify(frame);
      if (text.startsWith('[3,') || text.includes('"welcome"'))
        this.note(`client got welcome ${text}`);
    });
    client.onClose((info) => this.note(`client close ${info.code} ${info.reason}`));
    client.onMessage((m) => {
      if (m.type === 'down') this.down.push((m.payload as { n: number }).n);
    });
    client.onReconnected((outcome) => this.outcomes.push(outcome));
    client.onError((error) => this.clientErrors.push(error));
    client.state$.subscribe((change) => {
      this.note(`client state ${JSON.stringify(change)}`);
      if (change.state !== 'open') return;
      this.opens.push(change);
      if (change.resumed) {
        // What the client re-sends now: up messages it had handed to a transport that the server
        // has not taken (those queued while offline are first sends, not counted).
        for (let n = this.up.length; n < this.upNext; n++) if (this.upWhileOpen[n]) this.resentUp++;
      }
    });
  }

  /** Serves the workload on `server` (the first, or the one after a restart). */
  wire(server: SocketServer): void {
    this.server = server;
    server.handle('work', (payload) => {
      const { n } = payload as { n: number };
      this.executions.set(n, (this.executions.get(n) ?? 0) + 1);
      return n * 2;
    });
    server.onMessage((_id, m) => {
      if (m.type === 'up') this.up.push((m.payload as { n: number }).n);
    });
    server.onError((_id, error) => this.serverErrors.push(error));
    server.onDisconnection((id, info) =>
      this.note(`server: ${id} gone ${info.code} ${info.reason}`),
    );
    server.onConnection((c) => {
      this.note(`server admitted ${c.id}, resumed ${c.resumed}`);
      // Called right after the welcome and the replay were written, before anything newer: every
      // down message sent so far that the client had not received is in that replay.
      if (c.resumed && c.id === this.clientId)
        this.replayedDown += this.downNext - this.down.length;
    });
  }

  startServerStream(): void {
    this.#downTimer ??= setInterval(() => {
      const server = this.server;
      if (server === undefined) return;
      for (let i = 0; i < 4; i++) {
        const n = this.downNext;
        const message = { type: 'down', payload: { n } };
        let taken: boolean;
        if (n % 4 === 0) {
          const recipients = server.sendToSubscribers('news', message);
          // Only this client joined the topic: more recipients mean a second session of it.
          if (recipients > 1) this.topicRecipients.push(`#${n} went to ${recipients} sessions`);
          taken = recipients > 0;
        } else taken = server.sendToClient(this.clientId, message);
        if (!taken) {
          this.refusedDown++;
          return;
        }
        this.downNext++;
      }
    }, 4);
  }

  stopServerStream(): void {
    clearInterval(this.#downTimer);
    this.#downTimer = undefined;
  }

  /** Sends the next numbered up message; returns its number (-1 when the client refused it). */
  sendUp(): number {
    const n = this.upNext;
    const open = this.client.state === 'open';
    try {
      this.client.emit('up', { n });
    } catch (error) {
      this.clientErrors.push(error as PlugSocketError);
      return -1;
    }
    this.upWhileOpen[n] = open;
    this.upNext++;
    return n;
  }

  startClientStream(): void {
    this.#upTimer ??= setInterval(() => {
      const client = this.client;
      for (let i = 0; i < 2; i++) if (this.sendUp() < 0) return;
      if (this.#tick++ % 2 === 0 && this.requestNext - this.settled < 100) {
        const n = this.requestNext++;
        client.request('work', { n }, { timeout: 30_000 }).then(
          (value) => {
            this.settled++;
            const list = this.answers.get(n) ?? [];
            list.push(value);
            this.answers.set(n, list);
          },
          (error: PlugSocketError) => {
            this.settled++;
            this.requestErrors.set(n, error);
          },
        );
      }
    }, 4);
  }

  stopClientStream(): void {
    clearInterval(this.#upTimer);
    this.#upTimer = undefined;
  }

  stop(): void {
    this.stopServerStream();
    this.stopClientStream();
  }

  /** Everything sent so far has arrived (or been settled), and the client is open. */
  get delivered(): boolean {
    return (
      this.client.state === 'open' &&
      this.down.length >= this.downNext &&
      this.up.length >= this.upNext &&
      this.settled === this.requestNext
    );
  }

  /** Requests that did not resolve exactly once with 2n, or whose handler did not run once. */
  badRequests(from = 0, to = this.requestNext): string[] {
    const bad: string[] = [];
    for (let n = from; n < to; n++) {
      const answers = this.answers.get(n) ?? [];
      const runs = this.executions.get(n) ?? 0;
      const error = this.requestErrors.get(n);
      if (answers.length !== 1 || answers[0] !== n * 2 || runs !== 1 || error !== undefined) {
        bad.push(
          `#${n}: answers [${answers.join(', ')}], executed ${runs}×` +
            (error === undefined ? '' : `, rejected ${error.code} (${error.message})`),
        );
      }
    }
    return bad;
  }
}

/** Makes a client through the proxy, with fast reconnects and short heartbeats. */
function makeClient(rig: Rig, port: number): SocketClient {
  return new SocketClient(rig.createClient(), {
    url: `${rig.scheme}://${HOST}:${port}`,
    reconnect: { minDelay: 10, maxDelay: 50 },
    // A client frozen behind a half-open connection notices within 0.4 s.
    heartbeatInterval: 150,
    heartbeatTimeout: 250,
    connectTimeout: 2000,
    messageQueueSize: 5000,
    requestTimeout: 30_000,
  });
}

for (const rig of RIGS) {
  describe(`session resume under chaos over ${rig.name}`, function () {
    this.timeout(30_000);
    let proxy: FaultProxy | undefined;
    let client: SocketClient | undefined;
    let work: Workload | undefined;
    const servers: SocketServer[] = [];
    const taps: FrameTap[] = [];

    afterEach(async () => {
      work?.stop();
      work = undefined;
      await client?.disconnect().catch(() => undefined);
      client = undefined;
      await proxy?.close();
      proxy = undefined;
      await Promise.all(taps.splice(0).map((t) => t.close()));
      await Promise.all(servers.splice(0).map((s) => s.shutdown({ timeout: 0 })));
    });

    /**
     * A server on `port` (0: any), a proxy in front of it, a client through it, joined to news.
     * With `tapped`, frame taps on either side of the proxy: client → tap → proxy → tap → server.
     */
    async function setUp(
      port: number,
      store?: MemorySessionStore,
      tapped = false,
    ): Promise<{ server: SocketServer; port: number; work: Workload; taps: FrameTap[] }> {
      const server = new SocketServer(rig.createServer(port), serverOptions(store));
      servers.push(server);
      const address = await server.listen();
      const bound = address.port ?? 0;
      let target = bound;
      if (tapped) {
        const serverSide = new FrameTap({ host: HOST, port: bound }, rig.framing, 'toTarget');
        taps.push(serverSide);
        target = await serverSide.listen();
      }
      proxy = new FaultProxy({ target: { host: HOST, port: target } });
      const listening = await proxy.listen();
      let entry = listening.port;
      if (tapped) {
        const clientSide = new FrameTap(listening, rig.framing, 'fromTarget');
        taps.unshift(clientSide);
        entry = await clientSide.listen();
      }
      client = makeClient(rig, entry);
      work = new Workload(client);
      work.wire(server);
      await client.connect();
      work.clientId = client.id ?? '';
      await client.join('news');
      return { server, port: bound, work, taps: [...taps] };
    }

    it('cuts at random points, mid-frame too: every message once and in order, every request once', async () => {
      const random = seeded(SEED + rig.name.length);
      const {
        work: w,
        taps: [clientTap, serverTap],
      } = await setUp(0, undefined, true);
      const p = proxy!;
      const c = client!;
      w.startServerStream();
      w.startClientStream();

      const actions = { bytes: 0, reset: 0, halfOpenServer: 0, halfOpenClient: 0 };
      const end = Date.now() + CHAOS_MS;
      while (Date.now() < end) {
        await sleep(100 + Math.floor(random() * 150));
        const roll = random();
        if (roll < 0.6) {
          // A byte count: the receiver gets exactly that many more bytes, then EOF — wherever
          // that falls in a frame (or in the handshake of a reconnect, when no connection is up).
          const directions = ['both', 'up', 'down'] as const;
          p.cutAfter(1 + Math.floor(random() * 3000), {
            direction: directions[Math.floor(random() * 3)],
          });
          actions.bytes++;
        } else if (roll < 0.75) {
          p.cut();
          actions.reset++;
        } else if (roll < 0.875) {
          // Reset the client's end: the server still thinks its connection open (half-open)
          // until the client resumes on a new one, which replaces it.
          p.cut({ side: 'client' });
          actions.halfOpenServer++;
        } else {
          // Reset the server's end: the client's connection freezes until its heartbeat gives up.
          p.cut({ side: 'target' });
          actions.halfOpenClient++;
        }
      }
      w.stop();
      p.reset();
      const settledIn = await waitFor(() => w.delivered, 15_000, 'everything delivered').then(
        () => 'delivered',
        (error: Error) => error.message,
      );

      const cuts = p.stats.cut;
      const { ended, midFrame } = midFrameCuts(clientTap, serverTap);
      const down = checkStream(w.down, w.downNext);
      const up = checkStream(w.up, w.upNext);
      const badRequests = w.badRequests();
      const failedResumes = w.outcomes.filter((o) => !o.resumed);
      console.log(
        `      ${rig.name}: ${cuts} cuts (${midFrame} of ${ended} connections ended mid-frame; ` +
          `actions: ${actions.bytes} byte counts, ${actions.reset} resets, ` +
          `${actions.halfOpenServer + actions.halfOpenClient} half-open), ` +
          `${w.outcomes.length} resumes, ${w.downNext} server→client + ${w.upNext} client→server ` +
          `messages, ${w.requestNext} requests, ${w.replayedDown + w.resentUp} replayed ` +
          `(${w.replayedDown} from the server's log, ${w.resentUp} re-sent by the client), ` +
          `${down.duplicates + up.duplicates} duplicates, ${down.lost.length + up.lost.length} lost` +
          ` [seed ${SEED}]`,
      );

      if (failedResumes.length > 0 || settledIn !== 'delivered')
        console.log(
          `      ${rig.name} evidence: reconnect outcomes ${JSON.stringify(w.outcomes)}; ` +
            `client errors ${JSON.stringify(w.clientErrors.map((e) => `${e.code}: ${e.message}`))}; ` +
            `server errors ${JSON.stringify(w.serverErrors.map((e) => `${e.code}: ${e.message}`))}; ` +
            `down sends refused ${w.refusedDown}; topic anomalies ${JSON.stringify(w.topicRecipients.slice(0, 5))}; ` +
            `opens ${JSON.stringify(w.opens)}`,
        );
      if (failedResumes.length > 0) {
        // The trace around the first failed resume.
        const at = w.trace.findIndex(
          (line) => line.includes('"resumed":false') && !line.includes('initial'),
        );
        console.log(
          w.trace
            .slice(Math.max(0, at - 25), at + 3)
            .map((l) => `        ${l}`)
            .join('\n'),
        );
      }
      expect(
        settledIn,
        `after the chaos: ${describeBreak('down', w.down, down)}; ${describeBreak('up', w.up, up)}`,
      ).to.equal('delivered');
      expect(cuts, 'cuts').to.be.at.least(10);
      expect(midFrame, 'connections cut mid-frame').to.be.at.least(3);
      expect(w.refusedDown, 'down sends the server refused').to.equal(0);
      expect(w.topicRecipients, 'topic sends that reached another session').to.deep.equal([]);
      expect(failedResumes, 'reconnects that did not resume').to.deep.equal([]);
      expect(w.outcomes.length, 'reconnects').to.be.at.least(5);
      expect(w.opens.slice(1).filter((o) => !('resumed' in o) || !o.resumed)).to.deep.equal([]);
      expect(down.firstOutOfOrder, describeBreak('server→client', w.down, down)).to.equal(-1);
      expect(down.received, describeBreak('server→client', w.down, down)).to.equal(w.downNext);
      expect(up.firstOutOfOrder, describeBreak('client→server', w.up, up)).to.equal(-1);
      expect(up.received, describeBreak('client→server', w.up, up)).to.equal(w.upNext);
      expect(badRequests, 'requests not answered exactly once').to.deep.equal([]);
      expect([...w.executions.keys()].length, 'handler runs').to.equal(w.requestNext);
      expect(c.id, 'the session id across every resume').to.equal(w.clientId);
    });

    it('a resume whose welcome is lost (the connection drops right after the server sent it) still resumes', async () => {
      // The chaos test's rare `denied`, made deterministic: the server admits a resume and writes
      // its welcome (with a renewed token), and in that same turn — before the proxy has read a
      // byte of it — the connection is reset. The client never saw the new token; it can only
      // present the one it has. Nothing was lost yet: the session is parked again, its log intact.
      const { server, work: w } = await setUp(0);
      const p = proxy!;
      const c = client!;
      w.startServerStream();
      w.startClientStream();
      await sleep(200);
      let dropped = 0;
      server.onConnection((session) => {
        if (session.resumed && dropped === 0) {
          dropped = p.cut();
          w.note(
            `test: reset the connection right after the resume's welcome was written (${dropped} cut)`,
          );
        }
      });
      p.cut();
      await waitFor(() => dropped > 0, 5000, 'the resume whose welcome is lost');
      await waitFor(() => w.outcomes.length > 0 && c.state === 'open', 5000, 'the next reconnect');
      await sleep(200);
      w.stop();
      const settledIn = await waitFor(() => w.delivered, 5000, 'everything delivered').then(
        () => 'delivered',
        (error: Error) => error.message,
      );
      const down = checkStream(w.down, w.downNext);
      const up = checkStream(w.up, w.upNext);
      console.log(
        `      ${rig.name} lost welcome: reconnect outcomes ${JSON.stringify(w.outcomes)}, ` +
          `${down.lost.length + up.lost.length} lost, ${down.duplicates + up.duplicates} duplicates`,
      );
      const evidence = w.trace
        .filter((line) => !line.includes('state {"state":"reconnecting"}'))
        .slice(-8);
      expect(
        w.outcomes[0],
        `the reconnect after the lost welcome:\n        ${evidence.join('\n        ')}\n`,
      ).to.deep.equal({ resumed: true });
      expect(c.id, 'the same session').to.equal(w.clientId);
      expect(settledIn).to.equal('delivered');
      expect(down.lost.length + up.lost.length + down.duplicates + up.duplicates).to.equal(0);
      expect(w.badRequests()).to.deep.equal([]);
    });

    it('shutdown and restart with a shared session store: resumes on the new server, nothing lost or doubled', async () => {
      const store = new MemorySessionStore();
      const { server: a, port, work: w } = await setUp(0, store);
      const p = proxy!;
      const c = client!;
      w.startServerStream();
      w.startClientStream();
      // A few cuts before the restart, as in the chaos test.
      for (let i = 0; i < 3; i++) {
        await sleep(150);
        p.cutAfter(200 + i * 500);
      }
      await sleep(200);

      // Restart: A stops sending and shuts down (its sessions go to the store); B listens on the
      // same port with the same store; the client, told 1001, reconnects and resumes on B.
      w.stopServerStream();
      // One more numbered message, handed to the transport just before the shutdown begins: it
      // is in flight when A starts draining (sent before the shutdown began, so it must arrive).
      const inFlight = w.sendUp();
      // Classified by number, not by clock: everything numbered below these was sent before.
      const upBeforeShutdown = w.upNext;
      const requestsBefore = w.requestNext;
      await a.shutdown();
      expect(store.size, 'sessions saved by A').to.equal(1);
      const b = new SocketServer(rig.createServer(port), serverOptions(store));
      servers.push(b);
      w.wire(b);
      await b.listen();
      const upBeforeB = w.upNext;
      const requestsBeforeB = w.requestNext;
      await waitFor(() => b.getClient(w.clientId) !== undefined, 5000, 'the client back on B');
      w.startServerStream();
      await sleep(600);
      w.stop();
      // Everything sent after B listened has arrived once the last message has (in order).
      const settledIn = await waitFor(
        () =>
          c.state === 'open' &&
          w.down.length >= w.downNext &&
          w.up.at(-1) === w.upNext - 1 &&
          w.settled === w.requestNext,
        10_000,
        'everything delivered',
      ).then(
        () => 'delivered',
        (error: Error) => error.message,
      );

      const down = checkStream(w.down, w.downNext);
      const up = checkStream(w.up, w.upNext);
      // Messages and requests the client made while A was shutting down and before B listened.
      const upDuring = upBeforeB - upBeforeShutdown;
      const lostBefore = up.lost.filter((n) => n < upBeforeShutdown);
      const lostAfter = up.lost.filter((n) => n >= upBeforeB);
      const lostDuring = up.lost.filter((n) => n >= upBeforeShutdown && n < upBeforeB);
      console.log(
        `      ${rig.name} restart (shared store): ${p.stats.cut} cuts, ` +
          `${w.outcomes.length} resumes [${w.outcomes.map((o) => (o.resumed ? 'resumed' : o.reason)).join(', ')}], ` +
          `${w.downNext} server→client + ${w.upNext} client→server messages ` +
          `(${upDuring} sent during the restart), ${w.requestNext} requests, ` +
          `${w.replayedDown + w.resentUp} replayed, ${down.duplicates + up.duplicates} duplicates, ` +
          `${down.lost.length + up.lost.length} lost (client→server: ${lostBefore.length} sent before ` +
          `the shutdown, ${lostDuring.length} during it, ${lostAfter.length} after B listened)`,
      );

      expect(
        w.outcomes.filter((o) => !o.resumed),
        'reconnects that did not resume',
      ).to.deep.equal([]);
      expect(c.id, 'the same session on B').to.equal(w.clientId);
      expect(b.getClient(w.clientId)?.topics, 'topics on B').to.include('news');
      expect(down.duplicates, describeBreak('server→client', w.down, down)).to.equal(0);
      expect(down.firstOutOfOrder, describeBreak('server→client', w.down, down)).to.equal(-1);
      expect(down.lost, describeBreak('server→client', w.down, down)).to.deep.equal([]);
      expect(up.duplicates, describeBreak('client→server', w.up, up)).to.equal(0);
      // In order: what arrived is increasing.
      expect(
        w.up.every((n, i) => i === 0 || n > w.up[i - 1]),
        describeBreak('client→server', w.up, up),
      ).to.equal(true);
      expect(
        lostBefore,
        `client→server messages sent before the shutdown began, lost (#${inFlight} was in flight ` +
          `when it began; the client was told ${JSON.stringify(w.clientErrors.map((e) => e.message))}, ` +
          `then resumed: ${JSON.stringify(w.outcomes)}): ${describeBreak('up', w.up, up)}`,
      ).to.deep.equal([]);
      expect(lostAfter, 'client→server messages sent after B listened, lost').to.deep.equal([]);
      // A request in flight when the drain began is refused with NOT_CONNECTED — it says so, to
      // its caller, and did not run: the caller may retry it. Every other one ran once.
      for (let n = 0; n < requestsBefore; n++) {
        const error = w.requestErrors.get(n);
        if (error === undefined) expect(w.badRequests(n, n + 1), `request #${n}`).to.deep.equal([]);
        else {
          expect(error.code, `request #${n}`).to.equal('NOT_CONNECTED');
          expect(w.executions.get(n) ?? 0, `request #${n} rejected, yet executed`).to.equal(0);
        }
      }
      expect(w.badRequests(requestsBeforeB), 'requests made after B listened').to.deep.equal([]);
      // What the client sent while A was draining: A refuses new work (docs of shutdown()): a
      // message is dropped and its sender told once with a NOT_CONNECTED error frame, a request
      // is rejected with NOT_CONNECTED. Either it went through exactly once, or the client was
      // told — never a silent loss, never a double.
      if (lostDuring.length > 0) {
        expect(
          w.clientErrors.map((e) => `${e.code}: ${e.message}`),
          `client→server messages ${lostDuring.join(', ')} sent while A drained were dropped: the client must be told`,
        ).to.include('NOT_CONNECTED: server shutting down');
      }
      for (let n = requestsBefore; n < requestsBeforeB; n++) {
        const error = w.requestErrors.get(n);
        if (error === undefined) expect(w.badRequests(n, n + 1), `request #${n}`).to.deep.equal([]);
        else {
          expect(error.code, `request #${n}`).to.equal('NOT_CONNECTED');
          expect(w.executions.get(n) ?? 0, `request #${n} rejected, yet executed`).to.equal(0);
        }
      }
      expect(settledIn).to.equal('delivered');
    });

    it('shutdown and restart with the default per-server store: the client is told expired, on onReconnected and state$', async () => {
      const { server: a, port, work: w } = await setUp(0);
      const c = client!;
      w.startServerStream();
      w.startClientStream();
      await sleep(400);
      w.stopServerStream();
      const before = { down: w.downNext, up: w.upNext };
      await a.shutdown();
      const b = new SocketServer(rig.createServer(port), serverOptions());
      servers.push(b);
      w.wire(b);
      await b.listen();
      await waitFor(() => w.outcomes.length > 0 && c.state === 'open', 5000, 'the reconnect');
      w.stopClientStream();
      await waitFor(() => w.settled === w.requestNext, 5000, 'requests settled');

      const reopened = w.opens.slice(1);
      console.log(
        `      ${rig.name} restart (default store): reconnect outcomes ` +
          `[${w.outcomes.map((o) => (o.resumed ? 'resumed' : o.reason)).join(', ')}], ` +
          `${before.down} server→client + ${before.up} client→server messages before the restart, ` +
          `${[...w.requestErrors.values()].filter((e) => e.code === 'NOT_CONNECTED').length} requests rejected NOT_CONNECTED`,
      );
      expect(w.outcomes[0], 'onReconnected').to.deep.equal({ resumed: false, reason: 'expired' });
      expect(reopened[0], 'state$ on the reopen').to.deep.equal({
        state: 'open',
        resumed: false,
        reason: 'expired',
      });
      expect(
        w.outcomes.filter((o) => o.resumed),
        'no reconnect claims a resume',
      ).to.deep.equal([]);
      expect(c.id, 'a new session').to.not.equal(w.clientId);
      // A new session: the client joins its topics again, and the stream goes on from there.
      await waitFor(() => b.getSubscribers('news').includes(c.id ?? ''), 5000, 'news joined again');
      // Every request either ran once and was answered, or was rejected: none is left hanging,
      // and none that was rejected with NOT_CONNECTED ran on B.
      for (const [n, error] of w.requestErrors) {
        expect(error.code, `request #${n}`).to.equal('NOT_CONNECTED');
      }
      w.clientId = c.id ?? '';
      const from = w.downNext;
      w.down.length = 0;
      w.downNext = 0;
      w.startServerStream();
      await waitFor(() => w.downNext >= 100, 5000, 'sending on B');
      w.stopServerStream();
      await waitFor(() => w.down.length >= w.downNext, 5000, 'the new session delivered');
      expect(checkStream(w.down, w.downNext).firstOutOfOrder, `after ${from}`).to.equal(-1);
    });
  });
}
