// One proxied connection (a ProxyPair): the accepted client socket, its connection to the target
// and the two pipes between them; cuts, truncation after a byte budget, and its closing.
import type * as Net from 'node:net';
import type { Socket } from 'node:net';
import {
  includes,
  type DirectionOption,
  type FaultProxyOptions,
  type FlowDirection,
  type ProxySide,
} from './options.js';
import { ByteBudget, Pipe, type PipeEvents } from './pipe.js';

/** How long, in ms, a socket that was sent a FIN by a cut may wait for its peer to close. */
const LINGER_MS = 1000;

/** Ends `socket` abruptly: an RST once connected, a plain destroy while still connecting. */
export function resetSocket(socket: Socket): void {
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

/** What a {@link ProxyPair} tells its proxy. */
interface PairEvents {
  forwarded(direction: FlowDirection, bytes: number): void;
  error(): void;
  cut(): void;
  closed(pair: ProxyPair): void;
}

/** The faults a pair's pipes start with. */
interface PipeFaults {
  /** The `node:net` module, loaded by {@link FaultProxy.listen} (never imported statically). */
  readonly net: typeof Net;
  readonly stalled: ReadonlySet<FlowDirection>;
  readonly delay: Readonly<Record<FlowDirection, number>>;
  readonly chunkSize: number | undefined;
}

/**
 * One accepted client connection and, unless blackholed, its connection to the target, joined by
 * an `up` and a `down` {@link Pipe}. Over once every socket it accepted or opened has closed.
 */
export class ProxyPair {
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
    const upstream = faults.net.connect({
      host: target.host,
      port: target.port,
      allowHalfOpen: true,
    });
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
   * is forwarded to or from it. The frozen socket keeps being read, and what it sends is dropped,
   * so that the proxy sees its peer give up: a FIN from it is answered with a reset (as the far
   * host of a real half-open connection, which no longer knows it, would answer), a reset closes
   * it, and either way the pair is released. Returns true when a live or blackholed connection
   * was cut.
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
      if (frozen !== undefined && !frozen.destroyed) {
        frozen.on('data', () => undefined);
        frozen.once('end', () => resetSocket(frozen));
        frozen.resume();
      }
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
