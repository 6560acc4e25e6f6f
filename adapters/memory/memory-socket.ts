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

/** Copies binary frames, as a network would: the receiver never shares the sender's buffer. */
function copy(frame: Frame): Frame {
  return typeof frame === 'string' ? frame : frame.slice();
}

/**
 * The client half of the in-process transport, connecting to `memory://<name>`.
 * Every frame, open and close is delivered asynchronously, never inside the caller's stack.
 */
export class MemorySocket extends AbstractSocket {
  /** See {@link MEMORY_CAPABILITIES}. */
  readonly supports: TransportCapabilities = MEMORY_CAPABILITIES;
  #server: MemorySocketServer | undefined;
  #connection: ServerConnection<MemorySocket> | undefined;
  #closedDuringAccept: { code: number; reason: string } | undefined;

  constructor(options: AbstractSocketOptions = {}) {
    super(options);
  }

  protected doConnect(options: ConnectOptions): void {
    this.#closedDuringAccept = undefined;
    const parsed = parseMemoryUrl(options.url);
    if (parsed === undefined) throw new TypeError(`not a memory:// url: ${options.url}`);
    const query: Record<string, string> = {};
    const q = parsed.path.indexOf('?');
    if (q !== -1)
      for (const [k, v] of new URLSearchParams(parsed.path.slice(q + 1))) query[k] ??= v;
    Object.assign(query, options.query);
    const search = new URLSearchParams(query).toString();
    const url = (q === -1 ? parsed.path : parsed.path.slice(0, q)) + (search ? `?${search}` : '');
    const auth = options.auth === undefined ? undefined : structuredClone(options.auth);
    deliverLater(() => {
      if (this.state !== 'connecting') return;
      const server = memoryNetwork.lookup(options.url);
      const connection = server?._accept(this, {
        url,
        headers: { ...options.headers },
        query,
        auth,
        remoteAddress: 'memory',
      });
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
    deliverLater(() => server._message(connection, data));
  }

  protected doClose(code: number, reason: string): void {
    this.#hangUp(code, reason);
  }

  protected doTerminate(): void {
    this.#hangUp(1006, '');
  }

  #hangUp(code: number, reason: string): void {
    const server = this.#server;
    const connection = this.#connection;
    this.#server = undefined;
    this.#connection = undefined;
    if (server !== undefined && connection !== undefined) {
      deliverLater(() => server._disconnect(connection, code, reason));
    }
    deliverLater(() => this.emitClose({ code, reason }));
  }

  /** @internal a frame from the server. */
  _receive(frame: Frame): void {
    const data = copy(frame);
    deliverLater(() => this.emitMessage(data));
  }

  /** @internal the server closed this connection (1006 when it dropped it). */
  _remoteClose(code: number, reason: string): void {
    if (this.#connection === undefined && this.state === 'connecting') {
      this.#closedDuringAccept = { code, reason };
      return;
    }
    const server = this.#server;
    const connection = this.#connection;
    this.#server = undefined;
    this.#connection = undefined;
    deliverLater(() => {
      if (server !== undefined && connection !== undefined)
        server._disconnect(connection, code, reason);
      this.emitClose({ code, reason });
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
