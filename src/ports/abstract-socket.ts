import { PlugSocketError } from '../errors.js';
import { assertCarried, type TransportCapabilities } from './capabilities.js';
import { assertValidClose, closeInfo, CloseCodes } from './close.js';
import { Emitter } from './emitter.js';
import type { AnyFrame, CloseInfo, ConnectOptions, Frame } from './types.js';

/** Life cycle of one client-side connection. `closed` may go back to `connecting`. */
export type SocketState = 'idle' | 'connecting' | 'open' | 'closing' | 'closed';

/**
 * Events of an {@link AbstractSocket}. `F` is the kind of frame the transport delivers: text and
 * binary, plus structured frames where it declares `supports.structured`.
 */
export interface SocketEvents<F extends AnyFrame = Frame> {
  /** The handshake completed; frames may now be sent. */
  open: () => void;
  /**
   * A frame arrived: a string for text, a `Uint8Array` for binary (the listener's to keep), an
   * array for structured. Also while this side is closing: frames the server sent before it
   * learned of the close still arrive.
   */
  message: (frame: F) => void;
  /**
   * The connection ended. After `disconnect(code, reason)`, with that code and reason; after a
   * close the server started, with the ones it sent; 1006 when the connection dropped or was
   * terminated. Every frame the server sent before its close has been delivered by then.
   */
  close: (info: CloseInfo) => void;
  /** Something went wrong that did not end the connection (e.g. `send` while not open). */
  error: (error: PlugSocketError) => void;
  /** The server answered a transport-level {@link AbstractSocket.ping}. */
  pong: () => void;
}

/** Options of the port's base class, passed up by adapters. */
export interface AbstractSocketOptions {
  /**
   * Milliseconds `disconnect()` waits for the peer to acknowledge the close before it drops the
   * connection and reports close code 1006.
   * @default 5000
   */
  closeTimeout?: number;
}

/** Default connect timeout in milliseconds. */
export const DEFAULT_CONNECT_TIMEOUT = 10_000;
const DEFAULT_CLOSE_TIMEOUT = 5_000;

/**
 * The client side of one connection: the port every client transport adapter implements.
 *
 * The public methods guard the state machine and normalise input; adapters implement the small
 * protected hooks (`doConnect`, `doSend`, `doClose`, `doTerminate`) and report back with
 * `emitOpen`, `emitMessage`, `emitClose` and `emitError`. The base class guarantees, for every
 * adapter:
 * - listeners may be registered before `connect()`;
 * - `connect()` resolves only once the transport handshake has completed, and rejects with
 *   `CONNECTION_FAILED` when it fails or does not complete within `timeout`;
 * - `send()` when not open never throws: it returns `false` and emits a `NOT_CONNECTED` error;
 * - `disconnect()` is idempotent and never hangs (after `closeTimeout` the connection is dropped);
 * - `close` is emitted exactly once per opened connection, with `{ code, reason }`;
 * - frames reported while closing are still delivered (`emitMessage` works in `closing`);
 * - `send()` throws a `TypeError` for a structured frame unless the adapter declares
 *   `supports.structured`, and for a binary frame unless it declares `supports.binary`.
 *
 * What the base class cannot do, and each adapter must (see `Frame` and `CloseInfo`): frames
 * arrive complete and in order, also those sent right before `disconnect()`; text with a lone
 * surrogate is sent (it may arrive as U+FFFD); binary is sent as it was when `send()` returned,
 * and a received `Uint8Array` is never written to again; the side that closes reports its own
 * code, the other side the code it received.
 *
 * The same instance may connect again after it has closed. `F` is the frames the hooks handle:
 * `Frame` (text and binary, the default), or `AnyFrame` where `supports.structured` is declared.
 */
export abstract class AbstractSocket<F extends AnyFrame = Frame> extends Emitter<SocketEvents<F>> {
  /** What this transport can do; see {@link TransportCapabilities}. */
  abstract readonly supports: TransportCapabilities;

  #state: SocketState = 'idle';
  #pendingConnect: { resolve: () => void; reject: (error: PlugSocketError) => void } | undefined;
  #connectTimer: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #closeWaiters: (() => void)[] = [];
  readonly #closeTimeout: number;

  constructor(options: AbstractSocketOptions = {}) {
    super();
    this.#closeTimeout = options.closeTimeout ?? DEFAULT_CLOSE_TIMEOUT;
  }

  /** Milliseconds a graceful close may take (from the options), for adapters' own timers. */
  protected get closeTimeout(): number {
    return this.#closeTimeout;
  }

  /** The current state. */
  get state(): SocketState {
    return this.#state;
  }

  /** True while frames can be sent. */
  get isOpen(): boolean {
    return this.#state === 'open';
  }

  /**
   * Opens the connection. Resolves when the transport handshake has completed.
   * @throws {PlugSocketError} `CONNECTION_FAILED` when the connection cannot be established in
   *   `options.timeout` ms; `INVALID_STATE` when already connecting or open.
   */
  connect(options: ConnectOptions): Promise<void> {
    if (typeof options !== 'object' || options === null || typeof options.url !== 'string') {
      return Promise.reject(new TypeError('connect() needs options with a url string'));
    }
    if (this.#state !== 'idle' && this.#state !== 'closed') {
      return Promise.reject(
        new PlugSocketError('INVALID_STATE', `connect() called while ${this.#state}`),
      );
    }
    const timeout = options.timeout ?? DEFAULT_CONNECT_TIMEOUT;
    this.#state = 'connecting';
    return new Promise<void>((resolve, reject) => {
      this.#pendingConnect = { resolve, reject };
      this.#connectTimer = setTimeout(() => {
        this.#failConnect(
          new PlugSocketError(
            'CONNECTION_FAILED',
            `connect to ${options.url} timed out after ${timeout} ms`,
            {
              cause: new PlugSocketError('TIMEOUT', 'connect timeout'),
            },
          ),
        );
      }, timeout);
      try {
        const result = this.doConnect(options);
        if (result !== undefined) result.catch((error: unknown) => this.#failConnect(error));
      } catch (error) {
        this.#failConnect(error);
      }
    });
  }

  /**
   * Sends one frame. Never throws for a closed socket: returns `false` and emits a
   * `NOT_CONNECTED` error instead. The bytes of a binary frame may be changed or reused once it
   * returned; text with a lone surrogate is sent too (it may arrive as U+FFFD).
   * @returns true when the frame was handed to the transport.
   * @throws {TypeError} for a structured frame without `supports.structured`, or a binary frame
   *   without `supports.binary`: a programming error, whatever the state.
   */
  send(frame: AnyFrame): boolean {
    assertCarried(frame, this.supports);
    if (this.#state !== 'open') {
      this.#notConnected();
      return false;
    }
    try {
      this.doSend(frame as F);
      return true;
    } catch (error) {
      this.emit('error', PlugSocketError.from(error, 'NOT_CONNECTED'));
      return false;
    }
  }

  /**
   * Sends a transport-level ping to the server; its answer arrives as a `pong` event. The domain
   * uses it for the client's heartbeat and falls back to the protocol's `ping` frame when it
   * returns false.
   * @returns false when the connection is not open, or the transport has no client-side ping
   *   (`supports.ping` is false, or the adapter implements no `doPing`).
   */
  ping(): boolean {
    if (!this.supports.ping || this.doPing === undefined || this.#state !== 'open') return false;
    try {
      this.doPing();
      return true;
    } catch (error) {
      this.emit('error', PlugSocketError.from(error));
      return false;
    }
  }

  /**
   * Bytes sent but not yet handed to the network, as far as the transport can tell (0 when it
   * cannot, or when not open). A producer that finds it growing should wait instead of sending
   * more; see `SocketClient.send` and `drained()`.
   */
  get bufferedAmount(): number {
    if (this.#state !== 'open' && this.#state !== 'closing') return 0;
    const amount = this.doBufferedAmount?.() ?? 0;
    return amount > 0 ? amount : 0;
  }

  /**
   * Closes the connection with `code` and `reason`, and resolves once it is closed. Frames sent
   * before reach the server before it sees the close, and frames the server sent before it
   * learned of the close are still delivered meanwhile. Both sides report `{ code, reason }`.
   * Idempotent: calling it on a closed or closing socket resolves when that close completes.
   * Aborts a connect in progress (the pending `connect()` rejects with `CONNECTION_FAILED`).
   * @param code a close code, 1000 or 3000–4999. @default 1000
   * @param reason at most 123 bytes of UTF-8. @default ''
   */
  disconnect(code: number = CloseCodes.NORMAL, reason = ''): Promise<void> {
    assertValidClose(code, reason);
    switch (this.#state) {
      case 'idle':
      case 'closed':
        return Promise.resolve();
      case 'connecting':
        this.#failConnect(
          new PlugSocketError('CONNECTION_FAILED', 'connect aborted by disconnect()'),
        );
        return Promise.resolve();
      case 'closing':
        return this.#whenClosed();
      case 'open':
        break;
    }
    this.#state = 'closing';
    const closed = this.#whenClosed();
    this.#closeTimer = setTimeout(() => {
      this.#safeTerminate();
      this.emitClose(closeInfo(CloseCodes.ABNORMAL, 'close timed out'));
    }, this.#closeTimeout);
    try {
      this.doClose(code, reason);
    } catch (error) {
      this.#safeTerminate();
      this.emitClose(closeInfo(CloseCodes.ABNORMAL, PlugSocketError.from(error).message));
    }
    return closed;
  }

  /**
   * Drops the connection at once, without a close handshake (the peer sees 1006), and emits
   * `close` with 1006 locally. For connections that must go now: a dead peer, a shutdown that
   * cannot wait. Does nothing unless open or closing; aborts a connect in progress.
   */
  terminate(): void {
    if (this.#state === 'connecting') {
      this.#failConnect(new PlugSocketError('CONNECTION_FAILED', 'connect aborted by terminate()'));
      return;
    }
    if (this.#state !== 'open' && this.#state !== 'closing') return;
    this.#safeTerminate();
    this.emitClose(closeInfo(CloseCodes.ABNORMAL, 'terminated'));
  }

  // ---------------------------------------------------------------- adapter hooks

  /**
   * Starts opening a connection. Call {@link emitOpen} when the handshake has completed, or
   * {@link emitClose} / {@link emitError} (or throw, or reject) when it failed.
   */
  protected abstract doConnect(options: ConnectOptions): void | Promise<void>;

  /**
   * Hands one frame to the open transport, in order with the frames before it. `frame` is the
   * caller's: a binary frame's bytes may change as soon as this returns, so copy them unless the
   * transport is done with them by then. Text with a lone surrogate must not be refused.
   */
  protected abstract doSend(frame: F): void;

  /**
   * Starts a graceful close, after the frames already sent. Keep reporting frames that arrive
   * until the close completes ({@link emitMessage} delivers them while closing), then call
   * {@link emitClose} with the code and reason this side sent (or the peer's echo of them).
   * Without an answer within `closeTimeout` the base class terminates and reports 1006 itself.
   */
  protected abstract doClose(code: number, reason: string): void;

  /**
   * Drops the connection at once, without a close handshake, and releases its resources. The
   * base class reports the close itself (1006): nothing of this connection, its close included,
   * may be reported afterwards, not even to a connection this instance opens next.
   */
  protected abstract doTerminate(): void;

  /**
   * Optional: sends a transport-level ping, whose answer the adapter reports with
   * {@link emitPong}. Implement it when `supports.ping` is declared; only called while open.
   */
  protected doPing?(): void;

  /**
   * Optional: the bytes the transport holds that are not yet on the network (WebSocket's
   * `bufferedAmount`); read only while open or closing. Without it the socket reports 0.
   */
  protected doBufferedAmount?(): number;

  // ---------------------------------------------------------------- adapter reports

  /** Reports the answer to a {@link doPing}. Ignored unless open or closing. */
  protected emitPong(): void {
    if (this.#state === 'open' || this.#state === 'closing') this.emit('pong');
  }

  /** Reports that the handshake completed. Ignored unless a connect is in progress. */
  protected emitOpen(): void {
    if (this.#state !== 'connecting') return;
    clearTimeout(this.#connectTimer);
    this.#state = 'open';
    const pending = this.#pendingConnect;
    this.#pendingConnect = undefined;
    pending?.resolve();
    this.emit('open');
  }

  /**
   * Reports an incoming frame. Ignored unless open or closing. A binary frame passed here is the
   * receiver's from then on: never write to its memory again (a view into a chunk read for it is
   * fine, a scratch buffer reused for the next frame is not).
   */
  protected emitMessage(frame: F): void {
    if (this.#state === 'open' || this.#state === 'closing') this.emit('message', frame);
  }

  /**
   * Reports that the connection ended. Before open this fails the pending connect; after close it
   * is ignored, so adapters need not de-duplicate their transport's close events.
   */
  protected emitClose(info: CloseInfo): void {
    if (this.#state === 'connecting') {
      // The close stays available as `cause` ({ code, reason }), so callers can branch on the
      // code a server refused with rather than on message text.
      this.#failConnect(
        new PlugSocketError(
          'CONNECTION_FAILED',
          `connection closed during handshake (${info.code}${info.reason ? ` ${info.reason}` : ''})`,
          { cause: closeInfo(info.code, info.reason) },
        ),
      );
      return;
    }
    if (this.#state !== 'open' && this.#state !== 'closing') return;
    clearTimeout(this.#closeTimer);
    this.#state = 'closed';
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const resolve of waiters) resolve();
    this.emit('close', closeInfo(info.code, info.reason));
  }

  /**
   * Reports a transport error. Before open it fails the pending connect with `CONNECTION_FAILED`.
   * After open, use it for failures that leave the connection usable; a failure that ends the
   * connection is reported with {@link emitClose} (1006 and the failure as reason) instead.
   */
  protected emitError(error: unknown): void {
    if (this.#state === 'connecting') {
      this.#failConnect(error);
      return;
    }
    this.emit('error', PlugSocketError.from(error));
  }

  protected override onListenerError(error: unknown, event: keyof SocketEvents): void {
    if (event === 'error') super.onListenerError(error, event);
    else this.emit('error', PlugSocketError.from(error));
  }

  // ---------------------------------------------------------------- internals

  #failConnect(error: unknown): void {
    if (this.#state !== 'connecting') return;
    clearTimeout(this.#connectTimer);
    this.#state = 'closed';
    this.#safeTerminate();
    const pending = this.#pendingConnect;
    this.#pendingConnect = undefined;
    pending?.reject(
      PlugSocketError.is(error, 'CONNECTION_FAILED')
        ? error
        : new PlugSocketError(
            'CONNECTION_FAILED',
            error instanceof Error ? error.message : String(error),
            { cause: error },
          ),
    );
  }

  #safeTerminate(): void {
    try {
      this.doTerminate();
    } catch {
      // Terminating is best effort: the socket is being given up either way.
    }
  }

  #whenClosed(): Promise<void> {
    return new Promise<void>((resolve) => this.#closeWaiters.push(resolve));
  }

  #notConnected(): void {
    const error = new PlugSocketError('NOT_CONNECTED', `cannot send: socket is ${this.#state}`);
    // Asynchronous, so that a caller that sends from inside an error listener cannot recurse.
    queueMicrotask(() => this.emit('error', error));
  }
}
