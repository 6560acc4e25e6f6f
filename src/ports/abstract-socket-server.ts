import { unref } from '../shared/unref.js';
import { PlugSocketError } from '../errors.js';
import { assertCarried, type TransportCapabilities } from './capabilities.js';
import { assertValidClose, closeInfo, CloseCodes } from './close.js';
import { Emitter } from './emitter.js';
import { normalizeHandshake } from './handshake.js';
import {
  ServerConnection,
  type AbstractSocketServerOptions,
  type PreparedFrame,
  type SendOptions,
  type ServerEvents,
} from './server-connection.js';
import type { AnyFrame, CloseInfo, Frame, HandshakeInit, ListenAddress } from './types.js';

/** Life cycle of a server. A closed server cannot listen again. */
export type ServerState = 'idle' | 'listening' | 'closing' | 'closed';

export {
  ServerConnection,
  type AbstractSocketServerOptions,
  type ConnectionState,
  type PreparedFrame,
  type SendOptions,
  type ServerEvents,
} from './server-connection.js';

/**
 * The server side of a transport: the port every server adapter implements.
 *
 * Adapters implement `doListen`, `doSend`, `doCloseConnection`, `doTerminateConnection`,
 * `doClose` (and `doPing` when `supports.ping`, `doBufferedAmount` when the transport keeps a
 * backlog, `doWatchDrain` when it tells when one shrank), and report with `acceptConnection`,
 * `emitMessage`, `emitDisconnect`, `emitPong`, `emitDrain` and `emitError`. The base class
 * guarantees, for every adapter:
 * - `send` to a closed connection never throws: it returns `false` and emits `NOT_CONNECTED`;
 * - `isClientConnected` is false from the moment a close starts;
 * - `disconnect` is emitted exactly once per accepted connection;
 * - `closeConnection` and `close` are idempotent and never hang (`closeTimeout`);
 * - `close` stops accepting, closes every connection with `{ code, reason }` and resolves when
 *   all are gone;
 * - messages reported while a connection is closing are still delivered;
 * - `sendMany` hands `doSendMany` each open connection once, however often it is listed;
 * - `prepare` snapshots a binary frame, so a prepared frame never changes;
 * - backpressure (docs/backpressure.md): a volatile send skips a connection whose backlog is above
 *   `highWaterMark`; any send drops one whose backlog is above `maxBufferedAmount`
 *   (`SLOW_CONSUMER`); `bufferedAmount`, `isWritable` and `whenDrained` tell producers when to
 *   wait, on every transport (polling `doBufferedAmount` where the adapter reports no drain);
 * - `send`, `prepare` and `sendMany` throw a `TypeError` for a structured frame unless the adapter
 *   declares `supports.structured`, and for a binary frame unless it declares `supports.binary`,
 *   so its hooks only ever see the frames it can carry.
 *
 * What each adapter must do itself is described at `Frame` and `CloseInfo` (order, text, copying
 * binary on send, received binary belonging to the receiver, who reports which close code) and
 * at the hooks below.
 *
 * `N` is the adapter's native connection object; `F` the frames its hooks handle: `Frame` (text
 * and binary, the default), or `AnyFrame` for an adapter that declares `supports.structured`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export abstract class AbstractSocketServer<N = any, F extends AnyFrame = Frame> extends Emitter<
  ServerEvents<N, F>
> {
  /** What this transport can do; see {@link TransportCapabilities}. */
  abstract readonly supports: TransportCapabilities;

  #state: ServerState = 'idle';
  #address: ListenAddress | undefined;
  #closing: Promise<void> | undefined;
  #abortListen: (() => void) | undefined;
  readonly #connections = new Set<ServerConnection<N>>();
  readonly #closeTimeout: number;
  readonly #maxBufferedAmount: number;
  readonly #highWaterMark: number;
  /** `highWaterMark / 2`: where a connection counts as drained (see {@link whenDrained}). */
  readonly #lowWaterMark: number;
  #volatileDropped = 0;
  /** Connections someone waits on with {@link whenDrained}; polled while not empty. */
  readonly #draining = new Set<ServerConnection<N>>();
  #drainTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: AbstractSocketServerOptions = {}) {
    super();
    this.#closeTimeout = options.closeTimeout ?? 5_000;
    const limit = options.maxBufferedAmount ?? DEFAULT_MAX_BUFFERED_AMOUNT;
    if (typeof limit !== 'number') {
      throw new TypeError(`maxBufferedAmount must be a number, got ${typeof limit}`);
    }
    if (!(limit > 0)) {
      throw new RangeError(`maxBufferedAmount must be a positive number or Infinity, got ${limit}`);
    }
    this.#maxBufferedAmount = limit;
    const mark = options.highWaterMark ?? Math.min(DEFAULT_HIGH_WATER_MARK, limit);
    if (typeof mark !== 'number') {
      throw new TypeError(`highWaterMark must be a number, got ${typeof mark}`);
    }
    if (!(mark >= 0 && mark <= limit)) {
      throw new RangeError(
        `highWaterMark must be a number from 0 to maxBufferedAmount (${limit}), got ${mark}`,
      );
    }
    this.#highWaterMark = mark;
    this.#lowWaterMark = mark / 2;
  }

  /**
   * Bytes of backlog above which a connection is not writable and volatile frames to it are
   * dropped (see {@link AbstractSocketServerOptions.highWaterMark}).
   */
  get highWaterMark(): number {
    return this.#highWaterMark;
  }

  /** Volatile frames skipped so far, over every connection, because their recipient was saturated. */
  get volatileDropped(): number {
    return this.#volatileDropped;
  }

  /** Milliseconds a graceful close of one connection may take, for adapters' own timers. */
  protected get closeTimeout(): number {
    return this.#closeTimeout;
  }

  /** The current state. */
  get state(): ServerState {
    return this.#state;
  }

  /** Where the server listens, once `listen()` has resolved. */
  get address(): ListenAddress | undefined {
    return this.#address;
  }

  /** The open and closing connections. */
  get connections(): ReadonlySet<ServerConnection<N>> {
    return this.#connections;
  }

  /**
   * Starts accepting connections and resolves with the address (for network transports, the
   * bound port, which is the one the OS chose when the adapter was given port 0).
   */
  async listen(): Promise<ListenAddress> {
    if (this.#state !== 'idle') {
      throw new PlugSocketError('INVALID_STATE', `listen() called while ${this.#state}`);
    }
    this.#state = 'listening';
    // A close() while the transport is still starting must not leave listen() pending forever
    // (a transport being torn down may never report that it started).
    const aborted = new Promise<never>((_, reject) => {
      this.#abortListen = () =>
        reject(new PlugSocketError('INVALID_STATE', 'server closed while starting to listen'));
    });
    aborted.catch(() => undefined);
    try {
      this.#address = Object.freeze({ ...(await Promise.race([this.doListen(), aborted])) });
    } catch (error) {
      if (this.#state === 'listening') this.#state = 'closed';
      throw PlugSocketError.from(error, 'CONNECTION_FAILED');
    } finally {
      this.#abortListen = undefined;
    }
    return this.#address;
  }

  /** Registers a connection handler; same as `on('connection', handler)`. */
  onConnection(handler: ServerEvents<N>['connection']): this {
    return this.on('connection', handler);
  }

  /**
   * Sends one frame to one connection. Never throws for a closed connection: returns `false`
   * and emits a `NOT_CONNECTED` error for it instead. The bytes of a binary frame may be changed
   * or reused once it returned. Frames to one connection arrive in the order of the calls, whether
   * made with `send`, `sendMany` or `sendPrepared`.
   *
   * With `{ volatile: true }` the frame is skipped, returning `false` without an error event, when
   * the connection's backlog is above `highWaterMark` (counted in `volatileDropped`).
   * @throws {TypeError} for a frame kind the transport does not declare (see `supports`).
   */
  send(connection: ServerConnection<N>, frame: AnyFrame, options?: SendOptions): boolean {
    this.#checkFrame(frame);
    if (connection._state !== 'open') {
      this.#notConnected(connection);
      return false;
    }
    if (options !== undefined && options.volatile === true) {
      if (this.#skipsVolatile(connection)) return false;
    } else if (this.#tooSlow(connection)) return false;
    try {
      this.doSend(connection.native, frame as F);
      return true;
    } catch (error) {
      this.emit('error', connection, PlugSocketError.from(error, 'NOT_CONNECTED'));
      return false;
    }
  }

  /**
   * Makes a frame ready to be sent to many connections, so the per-recipient work is only the
   * write itself. Use with {@link sendPrepared}. Takes a snapshot: a binary frame is copied once,
   * so the caller may change or reuse its buffer as soon as this returned.
   * @throws {TypeError} for a frame kind the transport does not declare (see `supports`).
   */
  prepare(frame: AnyFrame): PreparedFrame {
    this.#checkFrame(frame);
    // A snapshot (a copy even of a Node Buffer, whose slice() would share its memory): the caller
    // may reuse its buffer at once, while the prepared frame is sent later.
    const own = frame instanceof Uint8Array ? new Uint8Array(frame) : frame;
    return { frame: own, data: this.doPrepare(own as F) };
  }

  /**
   * Sends a prepared frame to one connection. Returns false, without an error event, when the
   * connection is not open (a broadcast does not report recipients that left meanwhile), or when
   * the frame is volatile and the connection saturated (see {@link send}).
   */
  sendPrepared(
    connection: ServerConnection<N>,
    prepared: PreparedFrame,
    options?: SendOptions,
  ): boolean {
    if (connection._state !== 'open') return false;
    if (options !== undefined && options.volatile === true) {
      if (this.#skipsVolatile(connection)) return false;
    } else if (this.#tooSlow(connection)) return false;
    try {
      this.doSendPrepared(connection.native, prepared.data, prepared.frame as F);
      return true;
    } catch (error) {
      this.emit('error', connection, PlugSocketError.from(error, 'NOT_CONNECTED'));
      return false;
    }
  }

  /**
   * Sends one frame to many connections: the broadcast path. Connections that are not open are
   * skipped without an error event (a recipient that left meanwhile is not a failure), and a
   * connection listed more than once receives the frame once. The frame is prepared once;
   * adapters whose transport can fan out natively override `doSendMany`. The bytes of a binary
   * frame may be changed or reused once it returned.
   *
   * With `{ volatile: true }`, connections whose backlog is above `highWaterMark` are skipped too
   * (counted in `volatileDropped`), while the others receive the frame.
   * @returns the number of distinct connections the frame was handed to.
   * @throws {TypeError} for a frame kind the transport does not declare (see `supports`).
   */
  sendMany(
    connections: readonly ServerConnection<N>[],
    frame: AnyFrame,
    options?: SendOptions,
  ): number {
    this.#checkFrame(frame);
    // One branch for the ordinary broadcast: the volatile one has a path of its own.
    if (options !== undefined && options.volatile === true) {
      return this.#sendManyTo(
        distinctOpen(connections, 0, ++sendManyMarks, this.#isSkipped),
        frame,
      );
    }
    // Marks instead of a set: one field write per recipient, and the caller's array is used as it
    // is unless it lists a connection that is not open, or one twice.
    const mark = ++sendManyMarks;
    let open = connections;
    // The backlog guard runs here, per recipient, so that it also covers adapters overriding
    // `doSendMany` with a fan-out of their own.
    for (let i = 0; i < connections.length; i++) {
      const connection = connections[i];
      if (connection._state !== 'open' || connection._mark === mark || this.#tooSlow(connection)) {
        open = distinctOpen(connections, i, mark, this.#isTooSlow);
        break;
      }
      connection._mark = mark;
    }
    // The hand-over is written out here rather than shared with the volatile path: a call more
    // cost the ordinary broadcast 0.1–0.5 ns per recipient (measured with a no-op adapter).
    if (open.length === 0) return 0;
    try {
      return this.doSendMany(open, frame as F);
    } catch (error) {
      this.emit('error', undefined, PlugSocketError.from(error));
      return 0;
    }
  }

  #sendManyTo(open: readonly ServerConnection<N>[], frame: AnyFrame): number {
    if (open.length === 0) return 0;
    try {
      return this.doSendMany(open, frame as F);
    } catch (error) {
      this.emit('error', undefined, PlugSocketError.from(error));
      return 0;
    }
  }

  // ---------------------------------------------------------------- backpressure

  /**
   * The memory, in bytes, that `connection`'s send backlog holds, as the adapter reports it (see
   * `doBufferedAmount`): 0 for a transport that keeps no backlog or cannot tell, and 0 once the
   * connection is closed (what it held is being released).
   */
  bufferedAmount(connection: ServerConnection<N>): number {
    return connection._state === 'closed' ? 0 : this.doBufferedAmount(connection.native);
  }

  /**
   * True while `connection` is open and its backlog is at most `highWaterMark`: a producer may
   * send more now. When false, `await whenDrained(connection)` before sending more (frames sent
   * meanwhile are still queued, up to `maxBufferedAmount`; volatile ones are dropped).
   */
  isWritable(connection: ServerConnection<N>): boolean {
    return (
      connection._state === 'open' &&
      this.doBufferedAmount(connection.native) <= this.#highWaterMark
    );
  }

  /**
   * Resolves once `connection`'s backlog has fallen to half of `highWaterMark` or less (the low-water
   * mark: a producer that resumes then has room before it is saturated again), or once the
   * connection is no longer open, whichever comes first; at once when either holds already. Never
   * rejects: check `isClientConnected` (or the result of the next send) after it.
   *
   * Works on every transport: the adapter reports drains it hears of (`emitDrain`), and while
   * anyone waits one shared timer checks `doBufferedAmount` every 20 ms, for transports that
   * cannot tell and drains a transport does not announce.
   */
  whenDrained(connection: ServerConnection<N>): Promise<void> {
    if (
      connection._state !== 'open' ||
      this.doBufferedAmount(connection.native) <= this.#lowWaterMark
    ) {
      return Promise.resolve();
    }
    const waiting = connection._drain;
    if (waiting !== undefined) return new Promise((resolve) => waiting.push(resolve));
    const drained = new Promise<void>((resolve) => (connection._drain = [resolve]));
    this.#draining.add(connection);
    this.#watchDrain(connection);
    if (this.#drainTimer === undefined) {
      this.#drainTimer = setInterval(this.#pollDrains, DRAIN_POLL_INTERVAL);
      // A wait alone does not keep the process alive.
      unref(this.#drainTimer);
    }
    return drained;
  }

  /** True while `connection` is open (false from the moment a close starts). */
  isClientConnected(connection: ServerConnection<N>): boolean {
    return connection._state === 'open';
  }

  /**
   * Sends a transport-level ping; the answer arrives as a `pong` event. Returns false when the
   * connection is not open or the transport has no ping (`supports.ping` is false).
   */
  ping(connection: ServerConnection<N>): boolean {
    if (!this.supports.ping || connection._state !== 'open') return false;
    try {
      this.doPing(connection.native);
      return true;
    } catch (error) {
      this.emit('error', connection, PlugSocketError.from(error));
      return false;
    }
  }

  /**
   * Closes one connection with `code` and `reason` and resolves when it is gone. Frames sent to it
   * before reach the client before it sees the close, and frames the client sent before it
   * learned of the close are still reported meanwhile. Both sides report `{ code, reason }`.
   * Idempotent; after `closeTimeout` ms without the transport confirming, the connection is
   * dropped (1006).
   */
  closeConnection(
    connection: ServerConnection<N>,
    code: number = CloseCodes.NORMAL,
    reason = '',
  ): Promise<void> {
    assertValidClose(code, reason);
    if (connection._state === 'closed') return Promise.resolve();
    const done = new Promise<void>((resolve) => (connection._closeWaiters ??= []).push(resolve));
    if (connection._state === 'closing') return done;
    connection._state = 'closing';
    connection._closeCode = code;
    // Nothing more may be sent: producers waiting to send are released now.
    if (connection._drain !== undefined) this.#settleDrain(connection);
    connection._closeTimer = setTimeout(() => {
      this.#terminate(connection);
      this.emitDisconnect(connection, closeInfo(CloseCodes.ABNORMAL, 'close timed out'));
    }, this.#closeTimeout);
    try {
      this.doCloseConnection(connection.native, code, reason);
    } catch (error) {
      this.#terminate(connection);
      this.emitDisconnect(
        connection,
        closeInfo(CloseCodes.ABNORMAL, PlugSocketError.from(error).message),
      );
    }
    return done;
  }

  /**
   * Drops one connection at once, without a close handshake (the client sees 1006), and emits
   * `disconnect` with 1006. For peers that must go now, such as one that stopped answering pings.
   */
  terminateConnection(connection: ServerConnection<N>): void {
    if (connection._state === 'closed') return;
    this.#terminate(connection);
    this.emitDisconnect(connection, closeInfo(CloseCodes.ABNORMAL, 'terminated'));
  }

  /**
   * Stops accepting, closes every connection with `code` and `reason` (as `closeConnection` does:
   * frames sent before reach each client before its close), releases the transport, and resolves
   * when everything is gone. Idempotent.
   * @param code @default 1001
   * @param reason @default 'server shutting down'
   */
  close(code: number = CloseCodes.GOING_AWAY, reason = 'server shutting down'): Promise<void> {
    assertValidClose(code, reason);
    if (this.#closing !== undefined) return this.#closing;
    if (this.#state === 'idle') {
      this.#state = 'closed';
      return (this.#closing = Promise.resolve());
    }
    this.#state = 'closing';
    this.#abortListen?.();
    this.#closing = (async () => {
      await Promise.all([...this.#connections].map((c) => this.closeConnection(c, code, reason)));
      try {
        await this.doClose();
      } finally {
        this.#state = 'closed';
      }
    })();
    return this.#closing;
  }

  // ---------------------------------------------------------------- adapter hooks

  /** Starts listening; resolves with the address once the transport accepts connections. */
  protected abstract doListen(): Promise<ListenAddress>;

  /**
   * Writes one frame to one open connection, in order with the frames before it. `frame` is the
   * caller's: a binary frame's bytes may change as soon as this returns, so copy them unless the
   * transport is done with them by then. Text with a lone surrogate must not be refused.
   */
  protected abstract doSend(native: N, frame: F): void;

  /**
   * Starts a graceful close of one connection, after the frames already sent to it. Keep
   * reporting its frames until the close completes ({@link emitMessage} delivers them while
   * closing), then call {@link emitDisconnect} with the code and reason sent. After
   * `closeTimeout` the base class terminates it and reports 1006.
   */
  protected abstract doCloseConnection(native: N, code: number, reason: string): void;

  /** Drops one connection at once and releases its resources. */
  protected abstract doTerminateConnection(native: N): void;

  /**
   * Stops accepting and releases the transport. Called after every connection has closed, and
   * also after a failed `doListen` (so it must cope with a transport that never started).
   */
  protected abstract doClose(): Promise<void>;

  /** Sends a transport-level ping. Only called when `supports.ping` is true. */
  protected doPing(_native: N): void {
    throw new PlugSocketError('SERVER_ERROR', 'this transport declares no ping support');
  }

  /**
   * The memory one connection's send backlog holds, in bytes, for the `maxBufferedAmount` guard:
   * the bytes queued and not yet handed to the OS (never a running total), **plus** an estimate
   * of what each queued frame costs beyond its payload (the objects, small buffers and queue
   * entries the transport keeps per frame, often 100–300 bytes). Counting payload bytes alone lets
   * a stalled reader of small frames hold many times the limit. Called before every send, so keep
   * it cheap: a few field reads, or work amortised over the frames queued. The default, 0, means
   * the transport keeps no backlog of its own or cannot tell (the guard is then off).
   */
  protected doBufferedAmount(_native: N): number {
    return 0;
  }

  /**
   * Asks the transport to report, once, when `native`'s backlog next shrinks: the adapter then
   * calls {@link emitDrain} for its connection (for a Node stream, on its next `'drain'`). The
   * base class calls it only while someone waits in `whenDrained`, and again after each drain that
   * was not enough, so no listener stays on connections nobody waits for; it may call it again
   * while a report is still pending, so arrange at most one at a time. The default does nothing,
   * for transports that cannot tell: a shared timer polls `doBufferedAmount` while anyone waits,
   * which also covers a drain the transport never announces (a missed one costs latency only).
   */
  protected doWatchDrain(_native: N): void {
    // The transport cannot tell: the poll alone finds the drain.
  }

  /**
   * Converts a frame once for many recipients. The default keeps the frame as it is. From
   * {@link prepare}, `frame` is already a snapshot nobody changes; from the default
   * {@link doSendMany} it is the caller's, whose bytes may change once `sendMany` returned.
   */
  protected doPrepare(frame: F): unknown {
    return frame;
  }

  /**
   * Writes one frame to many open connections, each listed once, and returns how many it reached.
   * The default prepares the frame once ({@link doPrepare}) and writes it to each with
   * {@link doSendPrepared}, reporting a failed write as an `error` for that connection. Override
   * it when the transport has its own fan-out that encodes once (Socket.IO's rooms do). `frame`
   * is the caller's: copy binary bytes the transport keeps past the call.
   */
  protected doSendMany(connections: readonly ServerConnection<N>[], frame: F): number {
    const data = this.doPrepare(frame);
    let sent = 0;
    for (let i = 0; i < connections.length; i++) {
      const connection = connections[i];
      try {
        this.doSendPrepared(connection.native, data, frame);
        sent++;
      } catch (error) {
        this.emit('error', connection, PlugSocketError.from(error, 'NOT_CONNECTED'));
      }
    }
    return sent;
  }

  /**
   * Writes a prepared frame. The default sends the original frame with {@link doSend}. `data` and
   * `frame` are shared by every recipient: never write to them.
   */
  protected doSendPrepared(native: N, _data: unknown, frame: F): void {
    this.doSend(native, frame);
  }

  // ---------------------------------------------------------------- adapter reports

  /**
   * Reports a connection whose transport handshake completed. Returns its handle, which the
   * adapter passes to the other reports. When the server is not listening the connection is
   * dropped at once and the returned handle is already closed; adapters whose handshake has a
   * reply (an accept frame) should check `state === 'listening'` before sending it.
   */
  protected acceptConnection(native: N, handshake: HandshakeInit): ServerConnection<N> {
    const connection = new ServerConnection<N>(this, native, normalizeHandshake(handshake));
    if (this.#state !== 'listening') {
      connection._state = 'closed';
      try {
        this.doTerminateConnection(native);
      } catch {
        // Dropping a connection that arrived too late is best effort.
      }
      return connection;
    }
    this.#connections.add(connection);
    this.emit('connection', connection, connection.handshake);
    return connection;
  }

  /**
   * Reports a frame from a client. Ignored once the connection is closed, delivered while it is
   * open or closing. A binary frame passed here is the receiver's from then on: never write to
   * its memory again (a view into a chunk read for it is fine, a reused scratch buffer is not).
   */
  protected emitMessage(connection: ServerConnection<N>, frame: F): void {
    if (connection._state !== 'closed') this.emit('message', connection, frame);
  }

  /**
   * Reports that the transport's backlog for a connection shrank (after {@link doWatchDrain} asked,
   * or whenever the transport says so): producers waiting in `whenDrained` are released when the
   * backlog is now at the low-water mark or below. Cheap and harmless when nobody waits.
   */
  protected emitDrain(connection: ServerConnection<N>): void {
    if (connection._drain === undefined) return;
    if (
      connection._state !== 'open' ||
      this.doBufferedAmount(connection.native) <= this.#lowWaterMark
    ) {
      this.#settleDrain(connection);
    } else {
      this.#watchDrain(connection);
    }
  }

  /** Reports that a connection ended. Later reports for the same connection are ignored. */
  protected emitDisconnect(connection: ServerConnection<N>, info: CloseInfo): void {
    if (connection._state === 'closed') return;
    connection._state = 'closed';
    clearTimeout(connection._closeTimer);
    this.#connections.delete(connection);
    const waiters = connection._closeWaiters;
    connection._closeWaiters = undefined;
    if (waiters !== undefined) for (const resolve of waiters) resolve();
    if (connection._drain !== undefined) this.#settleDrain(connection);
    this.emit('disconnect', connection, closeInfo(info.code, info.reason));
  }

  /** Reports a pong from a client. */
  protected emitPong(connection: ServerConnection<N>): void {
    if (connection._state !== 'closed') this.emit('pong', connection);
  }

  /** Reports an error, for one connection or (with `undefined`) for the whole server. */
  protected emitError(connection: ServerConnection<N> | undefined, error: unknown): void {
    this.emit('error', connection, PlugSocketError.from(error));
  }

  protected override onListenerError(error: unknown, event: keyof ServerEvents<N>): void {
    if (event === 'error') super.onListenerError(error, event);
    else this.emit('error', undefined, PlugSocketError.from(error));
  }

  // ---------------------------------------------------------------- internals

  #terminate(connection: ServerConnection<N>): void {
    try {
      this.doTerminateConnection(connection.native);
    } catch {
      // The connection is being given up either way.
    }
  }

  readonly #isTooSlow = (connection: ServerConnection<N>): boolean => this.#tooSlow(connection);
  readonly #isSkipped = (connection: ServerConnection<N>): boolean =>
    this.#skipsVolatile(connection);

  /** Drops a connection whose backlog is over the limit; true when it did. */
  #tooSlow(connection: ServerConnection<N>): boolean {
    const queued = this.doBufferedAmount(connection.native);
    if (queued <= this.#maxBufferedAmount) return false;
    this.#dropSlow(connection, queued);
    return true;
  }

  /**
   * True when a volatile frame skips `connection`: its backlog is above the high-water mark (the
   * frame is counted as dropped) or above the limit (the connection is dropped, as for any send).
   */
  #skipsVolatile(connection: ServerConnection<N>): boolean {
    const queued = this.doBufferedAmount(connection.native);
    if (queued <= this.#highWaterMark) return false;
    if (queued > this.#maxBufferedAmount) this.#dropSlow(connection, queued);
    else {
      connection._volatileDropped++;
      this.#volatileDropped++;
    }
    return true;
  }

  #dropSlow(connection: ServerConnection<N>, queued: number): void {
    this.emit(
      'error',
      connection,
      new PlugSocketError(
        'SLOW_CONSUMER',
        `about ${queued} bytes held for a connection's send backlog (limit ${this.#maxBufferedAmount})`,
      ),
    );
    if (connection._state === 'closed') return;
    this.#terminate(connection);
    // The reason says why on the server side (the client, which gets no close frame, sees 1006).
    this.emitDisconnect(connection, closeInfo(CloseCodes.ABNORMAL, 'slow consumer'));
  }

  #watchDrain(connection: ServerConnection<N>): void {
    try {
      this.doWatchDrain(connection.native);
    } catch (error) {
      // The poll still covers this connection.
      this.emit('error', connection, PlugSocketError.from(error));
    }
  }

  /** Releases whoever waits in `whenDrained` for `connection`. */
  #settleDrain(connection: ServerConnection<N>): void {
    const waiters = connection._drain;
    connection._drain = undefined;
    this.#draining.delete(connection);
    if (this.#draining.size === 0 && this.#drainTimer !== undefined) {
      clearInterval(this.#drainTimer);
      this.#drainTimer = undefined;
    }
    if (waiters !== undefined) for (const resolve of waiters) resolve();
  }

  readonly #pollDrains = (): void => {
    for (const connection of this.#draining) {
      if (
        connection._state !== 'open' ||
        this.doBufferedAmount(connection.native) <= this.#lowWaterMark
      ) {
        this.#settleDrain(connection);
      }
    }
  };

  /** A frame of a kind the transport does not declare is a programming error. */
  #checkFrame(frame: AnyFrame): void {
    assertCarried(frame, this.supports);
  }

  #notConnected(connection: ServerConnection<N>): void {
    const error = new PlugSocketError(
      'NOT_CONNECTED',
      `cannot send: connection is ${connection._state}`,
    );
    queueMicrotask(() => this.emit('error', connection, error));
  }
}

/** Numbers the `sendMany` calls of every server, to mark the connections each one listed. */
let sendManyMarks = 0;

/**
 * Default of `AbstractSocketServerOptions.maxBufferedAmount`: 32 MiB of memory. (It was 16 MiB of
 * payload bytes, which let a stalled reader of small frames hold over 100 MiB; counted as memory,
 * a burst of 70,000 small frames, which every transport must accept, takes about 17 MiB.)
 */
const DEFAULT_MAX_BUFFERED_AMOUNT = 32 * 1024 * 1024;

/**
 * Default of `AbstractSocketServerOptions.highWaterMark`: 1 MiB, a few hundred ms of a busy feed
 * at LAN speeds, and well below the slow-consumer limit, so volatile frames stop long before a
 * connection is dropped. (Smaller when `maxBufferedAmount` is: never above it.)
 */
const DEFAULT_HIGH_WATER_MARK = 1024 * 1024;

/** Milliseconds between checks of the connections someone waits on in `whenDrained`. */
const DRAIN_POLL_INTERVAL = 20;

/**
 * The connections of `connections` that are open and not refused by `tooSlow` (dropped, or
 * skipped for a volatile frame), each once, in order; those before `from` are known to be open, distinct, checked and marked with `mark`.
 */
function distinctOpen<N>(
  connections: readonly ServerConnection<N>[],
  from: number,
  mark: number,
  tooSlow: (connection: ServerConnection<N>) => boolean,
): ServerConnection<N>[] {
  const out = connections.slice(0, from);
  for (let i = from; i < connections.length; i++) {
    const connection = connections[i];
    if (connection._state !== 'open' || connection._mark === mark) continue;
    // Marked before the check, so a connection listed twice is checked (and counted) once.
    connection._mark = mark;
    if (!tooSlow(connection)) out.push(connection);
  }
  return out;
}
