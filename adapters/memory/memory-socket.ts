import {
  AbstractSocket,
  type AbstractSocketOptions,
  type ConnectOptions,
  type Frame,
  type ServerConnection,
  type TransportCapabilities,
} from '../../src/index.js';
import { deliverLater, memoryNetwork, parseMemoryUrl } from './memory-network.js';
import { MEMORY_CAPABILITIES, type MemorySocketServer } from './memory-socket-server.js';

/**
 * Copies binary frames, as a network would: the receiver never shares the sender's buffer.
 * (`new Uint8Array(frame)` copies; a Node Buffer's `slice()` would share its memory.)
 */
function copy(frame: Frame): Frame {
  return typeof frame === 'string' ? frame : new Uint8Array(frame);
}

/**
 * What a frame on its way to a memory client costs beyond its bytes: its copy's object, the
 * closure and the promise job that deliver it: measured about 234 bytes on Node 20 (heap growth
 * after a full collection, per queued frame).
 */
const MEMORY_FRAME_OVERHEAD = 240;

/**
 * The client half of the in-process transport, connecting to `memory://<name>`.
 * Every frame, open and close is delivered asynchronously, never inside the caller's stack.
 *
 * One instance may connect again once closed, so everything delivered later is tagged with the
 * connect attempt it belongs to: a frame or close of an earlier connection that is still on its
 * way when the next `connect()` starts is dropped instead of reaching the new connection.
 */
export class MemorySocket extends AbstractSocket {
  /** See {@link MEMORY_CAPABILITIES}. */
  readonly supports: TransportCapabilities = MEMORY_CAPABILITIES;
  /** The server and connection while both ends are up; cleared when either side hangs up. */
  #server: MemorySocketServer | undefined;
  #connection: ServerConnection<MemorySocket> | undefined;
  #closedDuringAccept: { code: number; reason: string } | undefined;
  /** True while the server runs its connection handler for this socket. */
  #accepting = false;
  /** Counts connect attempts; deliveries of another attempt are stale. */
  #attempt = 0;
  /**
   * The attempt the server's calls belong to. The server has at most one connection of this
   * socket that is not closed (the next one is only accepted after it delivered the previous
   * one's disconnect), and only calls it for such a connection, so that is the latest accepted.
   */
  #serverAttempt = 0;
  /** Bytes held by frames from the server still on their way (see {@link _backlog}). */
  #backlog = 0;
  /** Bytes held by frames to the server still on their way (see `bufferedAmount`). */
  #sent = 0;

  constructor(options: AbstractSocketOptions = {}) {
    super(options);
  }

  protected doConnect(options: ConnectOptions): void {
    this.#closedDuringAccept = undefined;
    const attempt = ++this.#attempt;
    const parsed = parseMemoryUrl(options.url);
    if (parsed === undefined) throw new TypeError(`not a memory:// url: ${options.url}`);
    // Null-prototype, so that a "__proto__" key is kept as data rather than lost to the setter.
    // A key repeated in the url: the first value wins; a key also in `options.query`: the option's.
    const query = Object.create(null) as Record<string, string>;
    const q = parsed.path.indexOf('?');
    if (q !== -1)
      for (const [k, v] of new URLSearchParams(parsed.path.slice(q + 1))) query[k] ??= v;
    if (options.query !== undefined)
      for (const key of Object.keys(options.query)) query[key] = options.query[key];
    const search = new URLSearchParams(query).toString();
    const url = (q === -1 ? parsed.path : parsed.path.slice(0, q)) + (search ? `?${search}` : '');
    const auth = options.auth === undefined ? undefined : structuredClone(options.auth);
    deliverLater(() => {
      // A connect that was aborted (and perhaps followed by another) must not reach the server.
      if (attempt !== this.#attempt || this.state !== 'connecting') return;
      const server = memoryNetwork.lookup(options.url);
      // From here on the server's calls are about this attempt's connection (its connection
      // handler may already send to it or close it).
      this.#serverAttempt = attempt;
      this.#accepting = true;
      let connection: ServerConnection<MemorySocket> | undefined;
      try {
        connection = server?._accept(this, {
          url,
          headers: { ...options.headers },
          query,
          auth,
          remoteAddress: 'memory',
        });
      } finally {
        this.#accepting = false;
      }
      if (server === undefined || connection === undefined) {
        this.emitError(new Error(`nothing listens at ${options.url}`));
        return;
      }
      this.#server = server;
      this.#connection = connection;
      this.emitOpen();
      // The server may close a connection inside its own connection handler (an auth denial):
      // as on a network, the client first opens, then sees that close.
      const early = this.#closedDuringAccept;
      this.#closedDuringAccept = undefined;
      if (early !== undefined) this._remoteClose(early.code, early.reason);
    });
  }

  protected doSend(frame: Frame): void {
    const server = this.#server;
    const connection = this.#connection;
    if (server === undefined || connection === undefined) return;
    const data = copy(frame);
    const size = MEMORY_FRAME_OVERHEAD + (typeof data === 'string' ? data.length : data.byteLength);
    this.#sent += size;
    deliverLater(() => {
      this.#sent -= size;
      server._message(connection, data);
    });
  }

  protected override doPing(): void {
    const server = this.#server;
    const connection = this.#connection;
    if (server === undefined || connection === undefined) return;
    const attempt = this.#attempt;
    // There and back, like any frame: the server's side answers, then the answer arrives.
    deliverLater(() => {
      if (server.isClientConnected(connection))
        deliverLater(() => {
          if (attempt === this.#attempt) this.emitPong();
        });
    });
  }

  /** The frames sent that the server has not been handed yet, in bytes. */
  protected override doBufferedAmount(): number {
    return this.#sent;
  }

  protected doClose(code: number, reason: string): void {
    this.#hangUp(code, reason);
    // The close completes once the server has heard of it; it reports the code this side sent.
    const attempt = this.#attempt;
    deliverLater(() => {
      if (attempt === this.#attempt) this.emitClose({ code, reason });
    });
  }

  protected doTerminate(): void {
    // No close of its own: the base class reports 1006 itself wherever it terminates.
    this.#hangUp(1006, '');
  }

  /** Tells the server this side left, once; frames the server sent before still arrive. */
  #hangUp(code: number, reason: string): void {
    const server = this.#server;
    const connection = this.#connection;
    this.#server = undefined;
    this.#connection = undefined;
    if (server !== undefined && connection !== undefined) {
      deliverLater(() => server._disconnect(connection, code, reason));
    }
  }

  /**
   * @internal the memory the frames the server sent and this side has not yet been handed hold,
   * in bytes: what `MemorySocketServer` reports as this connection's backlog.
   */
  get _backlog(): number {
    return this.#backlog;
  }

  /** @internal a frame from the server. */
  _receive(frame: Frame): void {
    const data = copy(frame);
    const attempt = this.#serverAttempt;
    const size = MEMORY_FRAME_OVERHEAD + (typeof data === 'string' ? data.length : data.byteLength);
    this.#backlog += size;
    // Delivered while open or closing (the base class drops it once closed), never to a later
    // connection of this socket.
    deliverLater(() => {
      this.#backlog -= size;
      if (attempt === this.#attempt) this.emitMessage(data);
    });
  }

  /** @internal the server closed this connection (1006 when it dropped it). */
  _remoteClose(code: number, reason: string): void {
    if (this.#accepting) {
      this.#closedDuringAccept = { code, reason };
      return;
    }
    const server = this.#server;
    const connection = this.#connection;
    const attempt = this.#serverAttempt;
    this.#server = undefined;
    this.#connection = undefined;
    deliverLater(() => {
      if (server !== undefined && connection !== undefined)
        server._disconnect(connection, code, reason);
      if (attempt === this.#attempt) this.emitClose({ code, reason });
    });
  }

  /** @internal a transport-level ping from the server. */
  _ping(): void {
    const server = this.#server;
    const connection = this.#connection;
    if (server !== undefined && connection !== undefined)
      deliverLater(() => server._pong(connection));
  }
}
