import diagnostics from 'node:diagnostics_channel';
import type { Socket } from 'node:net';
import type { HandshakeInit, ListenAddress, ServerConnection } from '../../../src/index.js';
import { TcpSocketServer } from '../../../examples/tcp-adapter/index.js';

/** Node publishes every socket a `net.Server` accepts on this channel. */
const ACCEPTED = diagnostics.channel('net.server.socket');

/**
 * Flaw: `close()` first lets the handshakes in progress finish, so that no client is cut off
 * half-way through its hello, and only then closes. A peer that opened TCP and never finishes
 * its hello holds `close()` until it hangs up or the handshake timeout (a minute here) refuses
 * it, and the port stays bound meanwhile. Connected clients and idle servers close at once; only
 * a half-done handshake shows it.
 */
export class CloseWaitsForHandshakesServer extends TcpSocketServer {
  /** Accepted TCP sockets whose hello has not been accepted yet. */
  readonly #handshaking = new Set<Socket>();
  #port: number | undefined;
  readonly #onAccepted = (message: unknown): void => {
    const socket = (message as { socket: Socket }).socket;
    if (this.#port === undefined || socket.localPort !== this.#port) return;
    this.#handshaking.add(socket);
    socket.once('close', () => this.#handshaking.delete(socket));
  };

  constructor() {
    super({ port: 0, host: '127.0.0.1', handshakeTimeout: 60_000 });
  }

  protected override async doListen(): Promise<ListenAddress> {
    ACCEPTED.subscribe(this.#onAccepted);
    const address = await super.doListen();
    this.#port = address.port;
    return address;
  }

  protected override acceptConnection(
    socket: Socket,
    handshake: HandshakeInit,
  ): ServerConnection<Socket> {
    this.#handshaking.delete(socket);
    return super.acceptConnection(socket, handshake);
  }

  protected override async doClose(): Promise<void> {
    while (this.#handshaking.size > 0) {
      await new Promise<void>((resolve) => setTimeout(resolve, 10).unref());
    }
    ACCEPTED.unsubscribe(this.#onAccepted);
    await super.doClose();
  }
}
