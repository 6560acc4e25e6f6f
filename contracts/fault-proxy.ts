// A loopback TCP proxy that injects network faults between a client and a server: abrupt cuts,
// cuts after an exact byte count (mid-frame included), stalls, latency, re-chunking, a listener
// that never connects through, and one that refuses. It imports only Node built-ins so that it
// can ship in `plugsocket/contracts` without pulling in a test framework. Guide:
// docs/fault-injection.md.
import net, { type Server, type Socket } from 'node:net';
import { clearImmediate, clearTimeout, setImmediate, setTimeout } from 'node:timers';

/** The way bytes travel through the proxy: `up` is client → target, `down` is target → client. */
export type FlowDirection = 'up' | 'down';

/** A {@link FlowDirection}, or `both` for the two at once. */
export type DirectionOption = FlowDirection | 'both';

/** The end of a proxied pair a cut resets: the accepted `client`, the `target` side, or `both`. */
export type ProxySide = 'client' | 'target' | 'both';

/** Options of {@link FaultProxy}. */
export interface FaultProxyOptions {
  /** Where every accepted connection is forwarded to. */
  readonly target: { readonly host: string; readonly port: number };
  /** Loopback address to listen on (`127.x.x.x`, `::1` or `localhost`). Default `'127.0.0.1'`. */
  readonly host?: string;
  /** Port to listen on. Default `0`: a free port chosen by the system. */
  readonly port?: number;
  /**
   * When set, forwarded data is re-chunked: written in pieces of at most this many bytes, one
   * piece per event-loop turn, so that the receiver usually reads each piece on its own (TCP may
   * still merge some for a receiver in another process). Exercises an adapter's framing across
   * segment boundaries. Bytes and order are unchanged; throughput drops accordingly.
   */
  readonly chunkSize?: number;
}

/** Where a {@link FaultProxy} listens. */
export interface FaultProxyAddress {
  /** The address, as given in {@link FaultProxyOptions.host}. */
  readonly host: string;
  /** The port actually bound. */
  readonly port: number;
}

/** Counters of a {@link FaultProxy} since it was made. A snapshot: it does not update itself. */
export interface FaultProxyStats {
  /** TCP connections accepted by the listener, refused and blackholed ones included. */
  readonly accepted: number;
  /** Connections reset on arrival by {@link FaultProxy.refuse}. */
  readonly refused: number;
  /** Connections held without a target connection by {@link FaultProxy.blackhole}. */
  readonly blackholed: number;
  /**
   * Connections ended by a fault: {@link FaultProxy.cut}, {@link FaultProxy.cutAfter} or
   * {@link FaultProxy.cutAtRandom} (not by {@link FaultProxy.close}).
   */
  readonly cut: number;
  /** Bytes forwarded client → target. */
  readonly bytesUp: number;
  /** Bytes forwarded target → client. */
  readonly bytesDown: number;
  /** Socket errors seen and swallowed (`ECONNRESET`, `EPIPE`, `ECONNREFUSED` from the target…). */
  readonly errors: number;
}

/** Options of {@link FaultProxy.cutAtRandom}. */
export interface RandomCutOptions {
  /**
   * Seed of the generator, used as an unsigned 32-bit integer: the same seed draws the same
   * sequence of byte counts.
   */
  readonly seed: number;
  /** Smallest byte count drawn (inclusive, integer ≥ 0). */
  readonly minBytes: number;
  /** Largest byte count drawn (inclusive, integer ≥ `minBytes`). */
  readonly maxBytes: number;
  /** Which bytes count towards the drawn number. Default `'both'`: the two directions added up. */
  readonly direction?: DirectionOption;
}

/** Bytes a pipe buffers before it stops reading its source (TCP back-pressure does the rest). */
const HIGH_WATER = 64 * 1024;
/** How long, in ms, a socket that was sent a FIN by a cut may wait for its peer to close. */
const LINGER_MS = 1000;
/** Upper bound, in ms, on {@link FaultProxy.close} waiting for the listener to close. */
const CLOSE_BOUND_MS = 2000;

/** Ends `socket` abruptly: an RST once connected, a plain destroy while still connecting. */
function resetSocket(socket: Socket): void {
  if (socket.destroyed) return;
  if (socket.connecting) {
    socket.destroy();
    return;
  }
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return net.isIPv4(host) && host.startsWith('127.');
}

function includes(option: DirectionOption, direction: FlowDirection): boolean {
  return option === 'both' || option === direction;
}

function checkDirection(direction: unknown): DirectionOption {
  if (direction !== 'up' && direction !== 'down' && direction !== 'both')
    throw new TypeError(`direction must be 'up', 'down' or 'both', got ${String(direction)}`);
  return direction;
}

function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${what} must be an integer >= 0, got ${String(value)}`);
  return value;
}

function checkPort(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 65535)
    throw new RangeError(`${what} must be an integer from ${min} to 65535, got ${String(value)}`);
  return value;
}

/**
 * A small seeded generator of 32-bit integers: a Weyl sequence (the state advances by the golden
 * ratio constant) passed through a 32-bit avalanche finaliser. Fast, stateless apart from one
 * number, and the same seed always yields the same sequence. Not for cryptography.
 */
class SeededRandom {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** The next integer in `[min, max]`, both inclusive. */
  between(min: number, max: number): number {
    this.#state = (this.#state + 0x9e3779b9) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z = (z ^ (z >>> 16)) >>> 0;
    return min + Math.floor((z / 0x1_0000_0000) * (max - min + 1));
  }
}

/** How many more bytes may be forwarded before a pair is cut; shared by both pipes for `both`. */
class ByteBudget {
  remaining: number;

  constructor(bytes: number) {
    this.remaining = bytes;
  }

  get spent(): boolean {
    return this.remaining === 0;
  }
}

/** What a {@link Pipe} holds back, in arrival order: data, the source's FIN, the source's reset. */
type Held =
  | { kind: 'data'; bytes: Buffer; at: number }
  | { kind: 'end'; at: number }
  | { kind: 'reset'; at: number };

/** What a {@link Pipe} tells its pair. */
interface PipeEvents {
  /** `bytes` were handed to the sink. */
  forwarded(direction: FlowDirection, bytes: number): void;
  /** The armed budget ran out with this pipe's last write: the pair is to be cut now. */
  budgetSpent(): void;
  /** The source was reset, and everything it sent before has been forwarded. */
  sourceReset(): void;
}

/**
 * One direction of a proxied pair: reads `source`, writes `sink`, and applies that direction's
 * faults on the way. Everything read goes through one FIFO queue, so delays, stalls and
 * re-chunking hold bytes back but never reorder or repeat them. Reading pauses while the queue
 * holds {@link HIGH_WATER} bytes or more, or while the sink is not draining.
 */
class Pipe {
  /** Set once the source's FIN has been forwarded (the sink was ended). */
  endWritten = false;
  /** Set once the source sent its FIN. */
  sourceEnded = false;
  #state: 'idle' | 'flowing' | 'ended' | 'halted' | 'discarding' = 'idle';
  readonly #queue: Held[] = [];
  #queued = 0;
  #stalled = false;
  #delay = 0;
  #budget: ByteBudget | undefined;
  #blocked = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #immediate: ReturnType<typeof setImmediate> | undefined;

  constructor(
    readonly direction: FlowDirection,
    readonly source: Socket,
    readonly sink: Socket,
    readonly chunkSize: number | undefined,
    readonly events: PipeEvents,
  ) {}

  /** Starts reading the source; faults set before apply from the first byte. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'flowing';
    this.source.on('data', (chunk: Buffer) => this.#onData(chunk));
    this.source.on('end', () => this.#onEnd());
    this.sink.on('drain', () => {
      this.#blocked = false;
      this.#pump();
    });
    this.#pump();
  }

  /** Holds everything back (`true`), or forwards it again, in order (`false`). */
  stall(stalled: boolean): void {
    this.#stalled = stalled;
    this.#pump();
  }

  /** Forwards each chunk `ms` after it was read, held ones included (at once if overdue). */
  setDelay(ms: number): void {
    this.#delay = ms;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#pump();
  }

  /** Counts forwarded bytes against `budget` (one shared by both pipes for `both`). */
  arm(budget: ByteBudget | undefined): void {
    this.#budget = budget;
  }

  /** Forwards nothing more: drops what is held and stops reading (a frozen peer). */
  halt(): void {
    this.#stop('halted');
    if (!this.source.destroyed) this.source.pause();
  }

  /** Forwards nothing more but keeps reading and dropping, so that the source's close is seen. */
  discard(): void {
    this.#stop('discarding');
    if (!this.source.destroyed) this.source.resume();
  }

  /** The sink closed: what is held can no longer be delivered. */
  sinkClosed(): void {
    if (this.#state !== 'ended') this.#stop('halted');
  }

  /**
   * The source closed without the end of the connection being forwarded: queue its reset behind
   * what it sent before, so that the other side sees the data, then the reset, as it would over a
   * real network.
   */
  sourceClosed(): void {
    if (this.#state === 'flowing') {
      this.#queue.push({ kind: 'reset', at: Date.now() });
      this.#pump();
    } else if (this.#state === 'ended') {
      this.events.sourceReset();
    }
  }

  /** Drops what is held and clears the timers: the pipe is dead. */
  dispose(): void {
    this.#stop('halted');
  }

  #stop(state: 'halted' | 'discarding'): void {
    this.#state = state;
    this.#queue.length = 0;
    this.#queued = 0;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#timer = undefined;
    this.#immediate = undefined;
  }

  #onData(chunk: Buffer): void {
    if (this.#state !== 'flowing') return;
    this.#queue.push({ kind: 'data', bytes: chunk, at: Date.now() });
    this.#queued += chunk.length;
    this.#pump();
  }

  #onEnd(): void {
    this.sourceEnded = true;
    if (this.#state !== 'flowing') return;
    this.#queue.push({ kind: 'end', at: Date.now() });
    this.#pump();
  }

  /** Whether the head of the queue may be processed now (its due time aside). */
  get #ready(): boolean {
    const head = this.#queue[0];
    if (head === undefined || this.#stalled) return false;
    if (this.#state !== 'flowing' && this.#state !== 'ended') return false;
    return head.kind !== 'data' || !this.#blocked;
  }

  /**
   * Forwards what is due. Re-chunked pipes write one piece per event-loop turn, from an
   * immediate, so that a receiver in the same process reads each piece before the next is sent.
   */
  #pump(): void {
    if (this.#timer === undefined && this.#immediate === undefined) {
      if (this.chunkSize === undefined) this.#forward(Number.POSITIVE_INFINITY);
      else if (this.#ready) {
        this.#immediate = setImmediate(() => {
          this.#immediate = undefined;
          this.#forward(1);
          this.#pump();
        }).unref();
      }
    }
    this.#updateReading();
  }

  /** Processes the queue in order until `pieces` writes were made or something holds it back. */
  #forward(pieces: number): void {
    let left = pieces;
    while (left > 0 && this.#ready) {
      const head = this.#queue[0];
      const wait = head.at + this.#delay - Date.now();
      if (wait > 0) {
        this.#timer = setTimeout(() => {
          this.#timer = undefined;
          this.#pump();
        }, wait).unref();
        return;
      }
      if (head.kind === 'end') {
        this.#queue.shift();
        this.#state = 'ended';
        this.endWritten = true;
        this.sink.end();
      } else if (head.kind === 'reset') {
        this.#stop('halted');
        this.events.sourceReset();
        return;
      } else {
        if (this.#writeSome(head)) return;
        left--;
      }
    }
  }

  /** Writes the next piece of `head`; true when the pipe has stopped (budget spent, sink gone). */
  #writeSome(head: Held & { kind: 'data' }): boolean {
    const budget = this.#budget;
    if (!this.sink.writable || budget?.spent) {
      this.halt();
      return true;
    }
    let size = head.bytes.length;
    if (this.chunkSize !== undefined) size = Math.min(size, this.chunkSize);
    if (budget !== undefined) size = Math.min(size, budget.remaining);
    const piece = head.bytes.subarray(0, size);
    if (size === head.bytes.length) this.#queue.shift();
    else head.bytes = head.bytes.subarray(size);
    this.#queued -= size;
    if (budget !== undefined) budget.remaining -= size;
    if (!this.sink.write(piece)) this.#blocked = true;
    this.events.forwarded(this.direction, size);
    if (!budget?.spent) return false;
    this.halt();
    this.events.budgetSpent();
    return true;
  }

  #updateReading(): void {
    if (this.#state !== 'flowing' || this.source.destroyed) return;
    if (this.#blocked || this.#queued >= HIGH_WATER) this.source.pause();
    else this.source.resume();
  }
}

/** What a {@link ProxyPair} tells its proxy. */
interface PairEvents {
  forwarded(direction: FlowDirection, bytes: number): void;
  error(): void;
  cut(): void;
  closed(pair: ProxyPair): void;
}

/** The faults a pair's pipes start with. */
interface PipeFaults {
  readonly stalled: ReadonlySet<FlowDirection>;
  readonly delay: Readonly<Record<FlowDirection, number>>;
  readonly chunkSize: number | undefined;
}

/**
 * One accepted client connection and, unless blackholed, its connection to the target, joined by
 * an `up` and a `down` {@link Pipe}. Over once every socket it accepted or opened has closed.
 */
class ProxyPair {
  #state: 'connecting' | 'open' | 'blackholed' | 'cut' | 'aborted' = 'connecting';
  #upstream: Socket | undefined;
  #pipes: Record<FlowDirection, Pipe> | undefined;
  #budget: { budget: ByteBudget; direction: DirectionOption } | undefined;
  readonly #lingers = new Set<ReturnType<typeof setTimeout>>();
  #openSockets = 0;

  constructor(
    readonly client: Socket,
    readonly events: PairEvents,
  ) {
    this.#track(client);
  }

  /** Connects to the target, and starts forwarding once connected. */
  connect(target: FaultProxyOptions['target'], faults: PipeFaults): void {
    const upstream = net.connect({ host: target.host, port: target.port, allowHalfOpen: true });
    this.#upstream = upstream;
    this.#track(upstream);
    const events: PipeEvents = {
      forwarded: (direction, bytes) => this.events.forwarded(direction, bytes),
      budgetSpent: () => this.#truncate(),
      sourceReset: () => this.abort(),
    };
    const up = new Pipe('up', this.client, upstream, faults.chunkSize, events);
    const down = new Pipe('down', upstream, this.client, faults.chunkSize, events);
    this.#pipes = { up, down };
    for (const pipe of [up, down]) {
      pipe.stall(faults.stalled.has(pipe.direction));
      pipe.setDelay(faults.delay[pipe.direction]);
    }
    upstream.once('connect', () => {
      if (this.#state !== 'connecting') return;
      this.#state = 'open';
      this.client.setNoDelay(true);
      upstream.setNoDelay(true);
      up.start();
      down.start();
      if (this.#budget?.budget.spent) this.#truncate();
    });
  }

  /**
   * Never connects to the target: reads and drops what the client sends, answers nothing. When the
   * client gives up and ends its side, the proxy ends its own (as a kernel does for a silent
   * application), so a client that lets go of its socket is seen to: the pair closes.
   */
  blackhole(): void {
    this.#state = 'blackholed';
    this.client.on('data', () => undefined);
    this.client.once('end', () => this.client.end());
    this.client.resume();
  }

  /** Whether the pair forwards (or will, once connected): faults apply to it. */
  get live(): boolean {
    return this.#state === 'connecting' || this.#state === 'open';
  }

  /** Whether a byte budget is armed on it and not spent yet. */
  get armed(): boolean {
    return this.#budget !== undefined && !this.#budget.budget.spent;
  }

  /** Applies `apply` to the pipes of `direction`, if the pair is live. */
  eachPipe(direction: DirectionOption, apply: (pipe: Pipe) => void): void {
    if (this.#pipes === undefined || !this.live) return;
    if (includes(direction, 'up')) apply(this.#pipes.up);
    if (includes(direction, 'down')) apply(this.#pipes.down);
  }

  /** Cuts the pair once `bytes` more bytes have been forwarded in `direction`. */
  arm(bytes: number, direction: DirectionOption): void {
    if (!this.live) return;
    const budget = new ByteBudget(bytes);
    this.#budget = { budget, direction };
    this.eachPipe('both', (pipe) =>
      pipe.arm(includes(direction, pipe.direction) ? budget : undefined),
    );
    if (budget.spent && this.#state === 'open') this.#truncate();
  }

  /** Removes an armed budget that has not been spent yet. */
  disarm(): void {
    if (!this.live) return;
    this.#budget = undefined;
    this.eachPipe('both', (pipe) => pipe.arm(undefined));
  }

  /**
   * Resets `side` abruptly (RST). The other side, if any, is frozen: it stays open, but nothing
   * is forwarded to or from it. Returns true when a live or blackholed connection was cut.
   */
  cut(side: ProxySide): boolean {
    const counted = this.live || this.#state === 'blackholed';
    if (side === 'both') this.abort();
    else {
      const doomed = side === 'client' ? this.client : this.#upstream;
      const frozen = side === 'client' ? this.#upstream : this.client;
      if (doomed === undefined || doomed.destroyed) return false;
      this.#state = 'cut';
      this.#pipes?.up.halt();
      this.#pipes?.down.halt();
      resetSocket(doomed);
      if (frozen !== undefined && !frozen.destroyed) frozen.pause();
    }
    if (counted) this.events.cut();
    return counted;
  }

  /** Resets every socket of the pair now. */
  abort(): void {
    this.#state = 'aborted';
    this.#pipes?.up.dispose();
    this.#pipes?.down.dispose();
    resetSocket(this.client);
    if (this.#upstream !== undefined) resetSocket(this.#upstream);
  }

  /**
   * Ends the pair once its budget is spent. The receiver of each counted direction gets a FIN
   * right after the last permitted byte: a reset could make its kernel drop bytes it has not read
   * yet, and the count would no longer be exact. A socket that receives nothing counted (the
   * sender, for one direction) is reset. A socket that got a FIN is read and dropped until it
   * closes, or destroyed after {@link LINGER_MS}.
   */
  #truncate(): void {
    const pipes = this.#pipes;
    const upstream = this.#upstream;
    if (this.#state !== 'open' || pipes === undefined || upstream === undefined) return;
    this.#state = 'cut';
    this.events.cut();
    const direction = this.#budget?.direction ?? 'both';
    const finned = new Set<Socket>();
    if (includes(direction, 'up')) finned.add(upstream);
    if (includes(direction, 'down')) finned.add(this.client);
    for (const pipe of [pipes.up, pipes.down]) {
      if (finned.has(pipe.source)) pipe.discard();
      else pipe.halt();
    }
    for (const socket of [this.client, upstream]) {
      if (!finned.has(socket)) {
        resetSocket(socket);
        continue;
      }
      socket.end();
      const linger = setTimeout(() => {
        this.#lingers.delete(linger);
        socket.destroy();
      }, LINGER_MS).unref();
      this.#lingers.add(linger);
    }
  }

  #track(socket: Socket): void {
    this.#openSockets++;
    socket.on('error', () => this.events.error());
    socket.once('close', () => this.#onClose(socket));
  }

  #onClose(socket: Socket): void {
    this.#openSockets--;
    const pipes = this.#pipes;
    if (this.#state === 'connecting') this.abort();
    else if (this.#state === 'open' && pipes !== undefined) {
      const reading = socket === this.client ? pipes.up : pipes.down;
      const writing = socket === this.client ? pipes.down : pipes.up;
      writing.sinkClosed();
      // A socket closes by itself once both of its directions have ended; anything else is a reset.
      if (!(reading.sourceEnded && writing.endWritten)) reading.sourceClosed();
    }
    if (this.#openSockets > 0) return;
    pipes?.up.dispose();
    pipes?.down.dispose();
    for (const linger of this.#lingers) clearTimeout(linger);
    this.#lingers.clear();
    this.events.closed(this);
  }
}

/**
 * A TCP proxy on a loopback port that forwards every connection to one target and injects faults
 * on command, for testing how a transport copes with a bad network.
 *
 * Point the client at the proxy ({@link FaultProxy.host}:{@link FaultProxy.port}) instead of the
 * server. With no fault set it is transparent: every byte is forwarded once, in order, and a FIN or
 * a reset from one side reaches the other after the bytes sent before it. Faults never reorder or
 * duplicate bytes; they delay, hold back, truncate or drop them.
 *
 * Faults set by {@link stall}, {@link delay}, {@link cutAtRandom}, {@link blackhole} and
 * {@link refuse} last until cleared ({@link resume}, `delay(0)`, {@link reset}) and apply to
 * connections accepted meanwhile; {@link cut} and {@link cutAfter} act on the live connections
 * once. Socket errors are swallowed and counted in {@link stats}; its timers are unref'd and
 * cleared by {@link close}, which is bounded.
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
  readonly #server: Server;
  readonly #pairs = new Set<ProxyPair>();
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
    this.#server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (socket) =>
      this.#accept(socket),
    );
    this.#server.on('error', () => this.#counts.errors++);
  }

  /**
   * Starts listening. Resolves with the address once bound; rejects when the port cannot be bound
   * or the proxy was closed. Calling it again returns the same promise.
   */
  listen(): Promise<FaultProxyAddress> {
    this.#listening ??= new Promise<FaultProxyAddress>((resolve, reject) => {
      if (this.#closing) {
        reject(new Error('FaultProxy is closed'));
        return;
      }
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen(this.#requestedPort, this.#host, () => {
        this.#server.off('error', onError);
        const address = this.#server.address();
        this.#port = typeof address === 'object' && address !== null ? address.port : 0;
        if (this.#closing) {
          this.#server.close();
          reject(new Error('FaultProxy was closed while it was starting to listen'));
        } else resolve({ host: this.#host, port: this.#port });
      });
    });
    return this.#listening;
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
   * forwarded to or from it) until it gives up by itself, the next `cut()` or {@link close}: a
   * half-open connection.
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
   * Stops listening and resets every connection. Resolves once the listener has closed, or after
   * at most 2 seconds whatever happens. Idempotent: later calls return the same promise.
   */
  close(): Promise<void> {
    this.#closing ??= this.#shutdown();
    return this.#closing;
  }

  async #shutdown(): Promise<void> {
    for (const pair of [...this.#pairs]) pair.abort();
    if (!this.#server.listening) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_BOUND_MS).unref();
      this.#server.close(() => resolve());
    });
    clearTimeout(timer);
  }

  #accept(socket: Socket): void {
    this.#counts.accepted++;
    if (this.#closing || this.#refuse) {
      if (!this.#closing) this.#counts.refused++;
      socket.on('error', () => this.#counts.errors++);
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
      closed: (closed) => this.#pairs.delete(closed),
    });
    this.#pairs.add(pair);
    if (this.#blackhole) {
      this.#counts.blackholed++;
      pair.blackhole();
      return;
    }
    pair.connect(this.#target, {
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
