import {
  AbstractSocketServer,
  type AbstractSocketServerOptions,
  type Frame,
  type HandshakeInit,
  type ListenAddress,
  type ServerConnection,
  type TransportCapabilities,
} from '../../src/index.js';
import { memoryNetwork } from './memory-network.js';
import type { MemorySocket } from './memory-socket.js';

/** Options of {@link MemorySocketServer}. */
export interface MemorySocketServerOptions extends AbstractSocketServerOptions {
  /** The name clients connect to as `memory://<name>`. @default a unique generated name */
  name?: string;
}

/** What the memory transport can do: everything but structured frames (it carries text and binary). */
export const MEMORY_CAPABILITIES: TransportCapabilities = Object.freeze({
  binary: true,
  ping: true,
  handshakeHeaders: true,
  handshakeQuery: true,
  handshakeAuth: true,
  remoteAddress: true,
  structured: false,
});

/**
 * The server half of the in-process transport: no sockets, frames delivered asynchronously and
 * in order. The reference implementation of the transport contract.
 */
export class MemorySocketServer extends AbstractSocketServer<MemorySocket> {
  /** See {@link MEMORY_CAPABILITIES}. */
  readonly supports: TransportCapabilities = MEMORY_CAPABILITIES;
  readonly #requestedName: string | undefined;
  #name: string | undefined;

  constructor(options: MemorySocketServerOptions = {}) {
    super(options);
    this.#requestedName = options.name;
  }

  protected doListen(): Promise<ListenAddress> {
    this.#name = memoryNetwork.register(this.#requestedName, this);
    return Promise.resolve({ url: `memory://${this.#name}` });
  }

  protected doSend(peer: MemorySocket, frame: Frame): void {
    peer._receive(frame);
  }

  /**
   * The frames sent to `peer` that it has not been handed yet (delivery waits for the sender's
   * call stack to end), with an estimate of their overhead: a loop that sends without yielding
   * meets the `maxBufferedAmount` guard as a stalled network reader would. The transport announces
   * no drain: `whenDrained` finds one with the base class's poll.
   */
  protected override doBufferedAmount(peer: MemorySocket): number {
    return peer._backlog;
  }

  protected doCloseConnection(peer: MemorySocket, code: number, reason: string): void {
    peer._remoteClose(code, reason);
  }

  protected doTerminateConnection(peer: MemorySocket): void {
    peer._remoteClose(1006, '');
  }

  protected override doPing(peer: MemorySocket): void {
    peer._ping();
  }

  protected doClose(): Promise<void> {
    if (this.#name !== undefined) memoryNetwork.unregister(this.#name, this);
    return Promise.resolve();
  }

  /** @internal called by a {@link MemorySocket} that reached this server. */
  _accept(
    peer: MemorySocket,
    handshake: HandshakeInit,
  ): ServerConnection<MemorySocket> | undefined {
    if (this.state !== 'listening') return undefined;
    const connection = this.acceptConnection(peer, handshake);
    // A connection the server already closed (or dropped) inside its connection handler is still
    // returned: the client opens and then receives that close, as it would over a network.
    return connection;
  }

  /** @internal */
  _message(connection: ServerConnection<MemorySocket>, frame: Frame): void {
    this.emitMessage(connection, frame);
  }

  /** @internal */
  _pong(connection: ServerConnection<MemorySocket>): void {
    this.emitPong(connection);
  }

  /** @internal the client closed (or vanished). */
  _disconnect(connection: ServerConnection<MemorySocket>, code: number, reason: string): void {
    this.emitDisconnect(connection, { code, reason });
  }
}
