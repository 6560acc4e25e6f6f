// The server port's connection handle and the types its adapters and listeners use.
import type { PlugSocketError } from '../errors.js';
import type { AnyFrame, CloseInfo, Frame, Handshake } from './types.js';

/** Life cycle of one server-side connection. */
export type ConnectionState = 'open' | 'closing' | 'closed';

/** What a {@link ServerConnection} needs of the server that made it. */
interface ConnectionOwner<N> {
  send(connection: ServerConnection<N>, frame: AnyFrame, options?: SendOptions): boolean;
  closeConnection(connection: ServerConnection<N>, code?: number, reason?: string): Promise<void>;
  bufferedAmount(connection: ServerConnection<N>): number;
  isWritable(connection: ServerConnection<N>): boolean;
  whenDrained(connection: ServerConnection<N>): Promise<void>;
}

/** How one send travels; see `AbstractSocketServer.send`. */
export interface SendOptions {
  /**
   * Skip this frame for a recipient whose backlog is above the server's `highWaterMark`, instead
   * of queueing it (Socket.IO's `volatile`): for frames a newer one soon replaces, such as
   * positions or tickers. Skipping is not an error: the send returns false (or the broadcast
   * counts one recipient fewer) and `volatileDropped` grows.
   * @default false
   */
  readonly volatile?: boolean;
}

/**
 * The server's handle for one client connection. Created by the base class when an adapter
 * accepts a connection; the domain and applications hold it, adapters get their native object
 * back in every hook.
 */
// The default `any` lets the domain hold connections of any adapter: the native type only
// matters to the adapter that made it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export class ServerConnection<N = any> {
  /** What the client presented when it connected. */
  readonly handshake: Handshake;
  /** The adapter's own object for this connection (a `ws` WebSocket, a Socket.IO socket, …). */
  readonly native: N;
  /** @internal maintained by `AbstractSocketServer`. */
  _state: ConnectionState = 'open';
  /** @internal */
  _closeTimer: ReturnType<typeof setTimeout> | undefined;
  /**
   * @internal The code this side closed with (`closeConnection`), whatever the close is reported
   * as: a close that times out is reported 1006, yet the server meant, say, a kick.
   */
  _closeCode: number | undefined;
  /** @internal */
  _closeWaiters: (() => void)[] | undefined;
  /** @internal the last `sendMany` that listed this connection (duplicates are sent once). */
  _mark = 0;
  /** @internal volatile frames skipped because this connection was saturated. */
  _volatileDropped = 0;
  /** @internal who waits in `whenDrained`; undefined while nobody does. */
  _drain: (() => void)[] | undefined;
  readonly #server: ConnectionOwner<N>;

  /** @internal created by `AbstractSocketServer` only. */
  constructor(server: ConnectionOwner<N>, native: N, handshake: Handshake) {
    this.#server = server;
    this.native = native;
    this.handshake = handshake;
  }

  /** `open`, `closing` or `closed`. */
  get state(): ConnectionState {
    return this._state;
  }

  /** True while frames can be sent. */
  get isOpen(): boolean {
    return this._state === 'open';
  }

  /** Same as `server.send(this, frame, options)`. */
  send(frame: AnyFrame, options?: SendOptions): boolean {
    return this.#server.send(this, frame, options);
  }

  /** Same as `server.bufferedAmount(this)`: the bytes its send backlog holds. */
  get bufferedAmount(): number {
    return this.#server.bufferedAmount(this);
  }

  /** Same as `server.isWritable(this)`: open, with a backlog at most the high-water mark. */
  get writable(): boolean {
    return this.#server.isWritable(this);
  }

  /** Volatile frames skipped for this connection because it was saturated. */
  get volatileDropped(): number {
    return this._volatileDropped;
  }

  /** Same as `server.whenDrained(this)`. */
  drained(): Promise<void> {
    return this.#server.whenDrained(this);
  }

  /** Same as `server.closeConnection(this, code, reason)`. */
  close(code?: number, reason?: string): Promise<void> {
    return this.#server.closeConnection(this, code, reason);
  }
}

/**
 * A frame made ready once for sending to many connections (see
 * `AbstractSocketServer.prepare`). Opaque: only the adapter that made it can read it.
 */
export interface PreparedFrame {
  /** The frame as given to `prepare`. */
  readonly frame: AnyFrame;
  /** @internal adapter-specific form of the frame */
  readonly data: unknown;
}

/**
 * Events of an `AbstractSocketServer`. `F` is the kind of frame the transport delivers:
 * text and binary, plus structured frames where it declares `supports.structured`.
 */
export interface ServerEvents<N, F extends AnyFrame = Frame> {
  /** A client completed the transport handshake. */
  connection: (connection: ServerConnection<N>, handshake: Handshake) => void;
  /**
   * A frame arrived from a client (a binary one is the listener's to keep). Also while the
   * server is closing the connection: frames the client sent before it learned of the close
   * still arrive.
   */
  message: (connection: ServerConnection<N>, frame: F) => void;
  /**
   * A client connection ended. After `closeConnection(connection, code, reason)` (or `close`),
   * with that code and reason; after a close the client started, with the ones it sent; 1006 when
   * the client vanished or the connection was terminated. Every frame the client sent before its
   * close has been reported by then.
   */
  disconnect: (connection: ServerConnection<N>, info: CloseInfo) => void;
  /** A client answered `ping(connection)`. */
  pong: (connection: ServerConnection<N>) => void;
  /** Something went wrong; `connection` is undefined for server-wide errors. */
  error: (connection: ServerConnection<N> | undefined, error: PlugSocketError) => void;
}

/** Options of the port's base class, passed up by adapters. */
export interface AbstractSocketServerOptions {
  /**
   * Milliseconds a graceful close of one connection may take before it is dropped and reported
   * with close code 1006.
   * @default 5000
   */
  closeTimeout?: number;
  /**
   * Memory, in bytes, that the send backlog of one connection may hold. A send that finds more
   * held drops the connection (the client sees 1006; the server's `disconnect` event has 1006 and
   * the reason `'slow consumer'`) and reports `SLOW_CONSUMER`, so one stalled
   * reader cannot grow the server's memory without bound. The backlog is what the adapter reports
   * with `doBufferedAmount`: the shipped adapters count the bytes queued in the process (not those
   * already in the kernel's socket buffer) plus an estimate of each queued frame's own overhead, so
   * a reader stalled on many small frames is dropped as early as one stalled on a few large ones.
   * Checked before each send, so the backlog may pass the limit by at most one frame. A positive
   * number; `Infinity` turns the guard off.
   * @default 33554432 (32 MiB)
   * @throws {TypeError} from the constructor when not a number.
   * @throws {RangeError} from the constructor when not positive (or NaN).
   */
  maxBufferedAmount?: number;
  /**
   * Backlog, in bytes of memory (as `maxBufferedAmount` counts it), above which a connection is
   * saturated: volatile frames to it are dropped (`SendOptions.volatile`), `isWritable` is false,
   * and `whenDrained` waits until the backlog is back to half of it. Ordinary frames are still
   * queued up to `maxBufferedAmount`. See docs/backpressure.md.
   * @default 1048576 (1 MiB), or `maxBufferedAmount` when that is smaller
   * @throws {TypeError} from the constructor when not a number.
   * @throws {RangeError} from the constructor when negative, NaN or above `maxBufferedAmount`.
   */
  highWaterMark?: number;
}
