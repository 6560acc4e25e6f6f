// The application layer: a chat service that knows plugsocket's domain API and nothing about
// transports. It receives its SocketServer by injection.
import { inject, injectable } from 'inversify';
import type { SocketServer } from 'plugsocket';
import { TOKENS } from 'plugsocket/di';

/** What clients send. */
export interface ChatIn {
  say: { room: string; text: string };
}

/** What the service sends. */
export interface ChatOut {
  said: { room: string; from: string; text: string };
  welcome: { motd: string };
}

/** The schema server and clients share. */
export interface Chat {
  clientMessages: ChatIn;
  serverMessages: ChatOut;
}

export const CHAT_TOKENS = {
  Motd: Symbol.for('layered-app:Motd'),
} as const;

/** Relays `say` messages to the room they name, and greets every client. */
@injectable()
export class ChatService {
  #relayed = 0;

  constructor(
    @inject(TOKENS.SocketServer) private readonly server: SocketServer<Chat>,
    @inject(CHAT_TOKENS.Motd) private readonly motd: string,
  ) {}

  /** Wires the handlers and starts listening; resolves with the url clients connect to. */
  async start(): Promise<string> {
    this.server.onConnection((client) => {
      this.server.sendToClient(client.id, { type: 'welcome', payload: { motd: this.motd } });
    });
    this.server.onMessage((clientId, message) => {
      if (message.type !== 'say') return;
      const { room, text } = message.payload;
      this.#relayed += this.server
        .to(room)
        .except(clientId)
        .emit('said', { room, from: clientId, text });
    });
    const { url } = await this.server.listen();
    if (url === undefined) throw new Error('the transport reported no url');
    return url;
  }

  /** Deliveries made so far. */
  get relayed(): number {
    return this.#relayed;
  }

  stop(): Promise<void> {
    return this.server.shutdown();
  }
}
