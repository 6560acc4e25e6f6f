// A loopback TCP proxy that injects network faults between a client and a server: abrupt cuts,
// cuts after an exact byte count (mid-frame included), stalls, latency, re-chunking, a listener
// that never connects through, and one that refuses. It uses only Node built-ins so that it can
// ship in `plugsocket/contracts` without pulling in a test framework, and loads `node:net` only in
// listen(), so that importing the package loads no Node networking module. Guide:
// docs/fault-injection.md.
import type * as Net from 'node:net';
import type { Server, Socket } from 'node:net';
import {
  checkCount,
  checkDirection,
  checkPort,
  includes,
  isLoopback,
  type DirectionOption,
  type FaultProxyAddress,
  type FaultProxyOptions,
  type FaultProxyStats,
  type FlowDirection,
  type ProxySide,
  type RandomCutOptions,
} from './options.js';
import { ProxyPair, resetSocket } from './pair.js';
import { SeededRandom } from './random.js';

export type {
  DirectionOption,
  FaultProxyAddress,
  FaultProxyOptions,
  FaultProxyStats,
  FlowDirection,
  ProxySide,
  RandomCutOptions,
} from './options.js';

/** Upper bound, in ms, on {@link FaultProxy.close} waiting for the listener and sockets to close. */
const CLOSE_BOUND_MS = 2000;

/**
 * A TCP proxy on a loopback port that forwards every connection to one target and injects faults
 * on command, for testing how a transport copes with a bad network.
 *
 * Point the client at the proxy ({@link FaultProxy.host}:{@link FaultProxy.port}) instead of the
 * server. With no fault set it is transparent: every byte is forwarded once, in order, and a FIN or
 * a reset from one side reaches the other after the bytes sent before it (a reset is abortive, as
 * on a real network: bytes the receiver had not read yet may be dropped with it). Faults never reorder or
 * duplicate bytes; they delay, hold back, truncate or drop them.
 *
 * Faults set by {@link stall}, {@link delay}, {@link cutAtRandom}, {@link blackhole} and
 * {@link refuse} last until cleared ({@link resume}, `delay(0)`, {@link reset}) and apply to
 * connections accepted meanwhile; {@link cut} and {@link cutAfter} act on the live connections
 * once. Socket errors are swallowed and counted in {@link stats}; its timers are unref'd and
 * cleared by {@link close}, which is bounded. `node:net` is loaded by {@link listen}, not when the
 * module is imported.
 *
 * @example
 * ```ts
 * const proxy = new FaultProxy({ target: { host: '127.0.0.1', port: serverPort } });
 * const { host, port } = await proxy.listen();
 * await client.connect({ url: `ws://${host}:${port}` });
 * proxy.cutAfter(10, { direction: 'down' }); // the client reads 10 more bytes, then EOF
 * await proxy.close();
 * ```
 */
export class FaultProxy {
  readonly #target: FaultProxyOptions['target'];
  readonly #host: string;
  readonly #requestedPort: number;
  readonly #chunkSize: number | undefined;
  #net: typeof Net | undefined;
  #server: Server | undefined;
  readonly #pairs = new Set<ProxyPair>();
  /** Sockets accepted and reset at once (refused, or accepted while closing), until they close. */
  readonly #strays = new Set<Socket>();
  /** Called whenever a pair or a stray socket goes; {@link close} waits on it for none to be left. */
  #onGone: (() => void) | undefined;
  #port: number | undefined;
  #listening: Promise<FaultProxyAddress> | undefined;
  #closing: Promise<void> | undefined;
  #counts = { accepted: 0, refused: 0, blackholed: 0, cut: 0, bytesUp: 0, bytesDown: 0, errors: 0 };
  readonly #stalled = new Set<FlowDirection>();
  readonly #delay: Record<FlowDirection, number> = { up: 0, down: 0 };
  #pendingCut: { bytes: number; direction: DirectionOption } | undefined;
  #random:
    { generator: SeededRandom; min: number; max: number; direction: DirectionOption } | undefined;
  #blackhole = false;
  #refuse = false;

  /**
   * @param options the target, and where to listen.
   * @throws TypeError when `host` is not a loopback address; RangeError on a bad port or chunkSize.
   */
  constructor(options: FaultProxyOptions) {
    const host = options.host ?? '127.0.0.1';
    if (!isLoopback(host))
      throw new TypeError(
        `FaultProxy listens on loopback only (127.x.x.x, ::1, localhost), got ${host}`,
      );
    if (typeof options.target?.host !== 'string' || options.target.host === '')
      throw new TypeError('FaultProxy: target.host must be a non-empty string');
    checkPort(options.target.port, 'target.port', 1);
    this.#requestedPort = checkPort(options.port ?? 0, 'port', 0);
    if (options.chunkSize !== undefined && checkCount(options.chunkSize, 'chunkSize') === 0)
      throw new RangeError('chunkSize must be an integer >= 1, got 0');
    this.#target = { host: options.target.host, port: options.target.port };
    this.#host = host;
    this.#chunkSize = options.chunkSize;
  }

  /**
   * Starts listening (loading `node:net` on the first call). Resolves with the address once bound;
   * rejects when the port cannot be bound or the proxy was closed. Calling it again returns the
   * same promise.
   */
  listen(): Promise<FaultProxyAddress> {
    this.#listening ??= this.#startListening();
    return this.#listening;
  }

  async #startListening(): Promise<FaultProxyAddress> {
    if (this.#closing) throw new Error('FaultProxy is closed');
    const net = await import('node:net');
    if (this.#closing) throw new Error('FaultProxy is closed');
    this.#net = net;
    const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) =>
      this.#accept(socket),
    );
    this.#server = server;
    return new Promise<FaultProxyAddress>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      server.once('error', onError);
      server.listen(this.#requestedPort, this.#host, () => {
        server.off('error', onError);
        server.on('error', () => this.#counts.errors++);
        const address = server.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : 0;
        if (this.#closing) {
          server.close();
          reject(new Error('FaultProxy was closed while it was starting to listen'));
        } else resolve({ host: this.#host, port: this.#port });
      });
    });
  }

  /** The listening address, as configured. */
  get host(): string {
    return this.#host;
  }

  /** The port bound by {@link listen}. @throws Error before `listen()` has resolved. */
  get port(): number {
    if (this.#port === undefined) throw new Error('FaultProxy is not listening yet');
    return this.#port;
  }

  /**
   * Accepted connections not yet fully closed: proxied pairs, blackholed connections, and pairs
   * whose one side a {@link cut} left frozen.
   */
  get connections(): number {
    return this.#pairs.size;
  }

  /** A snapshot of the proxy's counters. */
  get stats(): FaultProxyStats {
    return { ...this.#counts };
  }

  /**
   * Cuts every live connection, blackholed ones included, now with a TCP reset (no FIN; bytes
   * not yet read by the peer may be dropped), the way a dropped link or a killed process looks.
   * `side` narrows the reset to one end: the other end then stays open but frozen (nothing
   * forwarded to or from it; what it sends is read and dropped) until it gives up by itself, the
   * next `cut()` or {@link close}: a half-open connection. It gives up by ending its side (the
   * proxy answers that FIN with a reset, as the far host of a real half-open connection would) or
   * by resetting it; either way the pair is then released and {@link connections} drops.
   *
   * @returns how many connections were cut.
   */
  cut(options: { side?: ProxySide } = {}): number {
    const side = options.side ?? 'both';
    if (side !== 'client' && side !== 'target' && side !== 'both')
      throw new TypeError(`side must be 'client', 'target' or 'both', got ${String(side)}`);
    let count = 0;
    for (const pair of [...this.#pairs]) if (pair.cut(side)) count++;
    return count;
  }

  /**
   * Lets exactly `bytes` more bytes through in `direction` on every live connection, then cuts
   * it. The receiver of that direction reads those bytes, possibly ending mid-chunk or mid-frame,
   * then EOF: a FIN, so that the count is exact (after a reset the receiver's kernel may discard
   * bytes it has not read yet). The sender's side is reset. With `direction: 'both'` (the
   * default) the bytes of the two directions count together and both ends get a FIN. Bytes are
   * counted when forwarded, so bytes held by a stall or a delay count when they leave. With no
   * live connection it arms the next accepted one instead, counting from its first byte (any
   * handshake included). A later call replaces an armed count; {@link reset} disarms it.
   *
   * @returns how many live pairs were armed (0: it waits for the next connection).
   */
  cutAfter(bytes: number, options: { direction?: DirectionOption } = {}): number {
    checkCount(bytes, 'bytes');
    const direction = checkDirection(options.direction ?? 'both');
    const live = [...this.#pairs].filter((pair) => pair.live);
    if (live.length === 0) this.#pendingCut = { bytes, direction };
    for (const pair of live) pair.arm(bytes, direction);
    return live.length;
  }

  /**
   * Cuts every connection, live (unless already armed) or accepted later, after a random number
   * of forwarded bytes drawn uniformly from `[minBytes, maxBytes]`, as {@link cutAfter} does; a
   * new connection counts from its first byte, so cuts land in handshakes too. The counts come
   * from a small seeded generator: the same seed gives the same sequence of counts, drawn one per
   * connection in the order they are armed (live ones first, then each one as it is accepted), so
   * a failing run can be replayed from its seed. With `direction: 'both'` the point where the two
   * directions add up to the count also depends on timing; give one direction for a fully
   * reproducible cut point. Lasts until {@link reset}.
   */
  cutAtRandom(options: RandomCutOptions): void {
    if (typeof options.seed !== 'number' || !Number.isFinite(options.seed))
      throw new TypeError(`seed must be a finite number, got ${String(options.seed)}`);
    const min = checkCount(options.minBytes, 'minBytes');
    const max = checkCount(options.maxBytes, 'maxBytes');
    if (max < min) throw new RangeError(`maxBytes (${max}) must be >= minBytes (${min})`);
    const direction = checkDirection(options.direction ?? 'both');
    this.#random = { generator: new SeededRandom(options.seed), min, max, direction };
    for (const pair of this.#pairs) if (pair.live && !pair.armed) this.#armRandom(pair);
  }

  /**
   * Stops forwarding in `direction` (default both) without dropping anything: bytes are held, in
   * order, and the TCP connections stay up, so each peer sees a frozen but open connection. Once
   * 64 KiB are held the proxy stops reading, and TCP flow control pushes back on the sender.
   * Applies to connections accepted later too, until {@link resume} or {@link reset}.
   */
  stall(options: { direction?: DirectionOption } = {}): void {
    const direction = checkDirection(options.direction ?? 'both');
    for (const d of ['up', 'down'] as const) if (includes(direction, d)) this.#stalled.add(d);
    for (const pair of this.#pairs) pair.eachPipe(direction, (pipe) => pipe.stall(true));
  }

  /** Ends every stall: what was held is forwarded, in order, then new bytes after it. */
  resume(): void {
    this.#stalled.clear();
    for (const pair of this.#pairs) pair.eachPipe('both', (pipe) => pipe.stall(false));
  }

  /**
   * Adds latency in `direction` (default both): each chunk is forwarded `ms` milliseconds after
   * the proxy read it, `ms` being the delay in force when it is due, so a change also applies to
   * the chunks held at the time (`delay(0)` releases them at once). Order is preserved: a chunk
   * never overtakes an earlier one. A FIN or a reset is delayed like data. Applies to connections
   * accepted later too.
   */
  delay(ms: number, options: { direction?: DirectionOption } = {}): void {
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0)
      throw new RangeError(`delay must be a finite number >= 0, got ${String(ms)}`);
    const direction = checkDirection(options.direction ?? 'both');
    for (const d of ['up', 'down'] as const) if (includes(direction, d)) this.#delay[d] = ms;
    for (const pair of this.#pairs) pair.eachPipe(direction, (pipe) => pipe.setDelay(ms));
  }

  /**
   * Makes the proxy accept new TCP connections but never connect them to the target: the client's
   * TCP connect succeeds, then nothing ever answers (a server that accepts but never completes the
   * handshake). What the client sends is read and dropped. Such connections stay until the client
   * closes them, {@link cut} or {@link close}; {@link reset} only affects later connections.
   */
  blackhole(): void {
    this.#blackhole = true;
  }

  /** Makes the proxy reset every new connection as soon as it is accepted, until {@link reset}. */
  refuse(): void {
    this.#refuse = true;
  }

  /**
   * Clears every fault: stalls and delays end (held bytes are forwarded at once, in order),
   * armed and pending {@link cutAfter} / {@link cutAtRandom} cuts are disarmed, and new connections
   * are proxied again. Connections already cut, frozen or blackholed stay as they are.
   */
  reset(): void {
    this.#pendingCut = undefined;
    this.#random = undefined;
    this.#blackhole = false;
    this.#refuse = false;
    this.delay(0);
    this.resume();
    for (const pair of this.#pairs) pair.disarm();
  }

  /**
   * Stops listening and resets every connection. Resolves once the listener and every socket the
   * proxy accepted or opened have closed ({@link connections} is then 0), or after at most 2
   * seconds whatever happens. Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const pair of [...this.#pairs]) pair.abort();
    const server = this.#server;
    const listenerClosed =
      server?.listening === true
        ? new Promise<void>((resolve) => server.close(() => resolve()))
        : Promise.resolve();
    const socketsClosed = new Promise<void>((resolve) => {
      const check = (): void => {
        if (this.#pairs.size > 0 || this.#strays.size > 0) return;
        this.#onGone = undefined;
        resolve();
      };
      this.#onGone = check;
      check();
    });
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all([listenerClosed, socketsClosed]),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, CLOSE_BOUND_MS).unref())),
    ]);
    clearTimeout(timer);
    this.#onGone = undefined;
  }

  #accept(socket: Socket): void {
    this.#counts.accepted++;
    if (this.#closing || this.#refuse) {
      if (!this.#closing) this.#counts.refused++;
      socket.on('error', () => this.#counts.errors++);
      this.#strays.add(socket);
      socket.once('close', () => {
        this.#strays.delete(socket);
        this.#onGone?.();
      });
      resetSocket(socket);
      return;
    }
    const pair = new ProxyPair(socket, {
      forwarded: (direction, bytes) => {
        if (direction === 'up') this.#counts.bytesUp += bytes;
        else this.#counts.bytesDown += bytes;
      },
      error: () => this.#counts.errors++,
      cut: () => this.#counts.cut++,
      closed: (closed) => {
        this.#pairs.delete(closed);
        this.#onGone?.();
      },
    });
    this.#pairs.add(pair);
    if (this.#blackhole) {
      this.#counts.blackholed++;
      pair.blackhole();
      return;
    }
    if (this.#net === undefined) throw new Error('unreachable: accepted before listen()');
    pair.connect(this.#target, {
      net: this.#net,
      stalled: this.#stalled,
      delay: this.#delay,
      chunkSize: this.#chunkSize,
    });
    if (this.#pendingCut) {
      pair.arm(this.#pendingCut.bytes, this.#pendingCut.direction);
      this.#pendingCut = undefined;
    } else if (this.#random) this.#armRandom(pair);
  }

  #armRandom(pair: ProxyPair): void {
    const random = this.#random;
    if (!random) return;
    pair.arm(random.generator.between(random.min, random.max), random.direction);
  }
}
