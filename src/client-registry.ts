import type { ServerConnection } from './ports/abstract-socket-server.js';
import type { AnyFrame, Handshake } from './ports/types.js';

/** A client the server has admitted, as applications see it. */
export interface ConnectedClient<P = unknown> {
  /** The server-assigned id, unique for the life of the server. */
  readonly id: string;
  /** What the client presented when it connected. */
  readonly handshake: Handshake;
  /** Who the client is, as the `AuthorizationStrategy` decided (undefined with allow-all). */
  readonly principal: P;
  /** The topics the client is subscribed to. */
  readonly topics: ReadonlySet<string>;
  /** When the client was admitted. */
  readonly connectedAt: Date;
}

const NO_TOPICS: ReadonlySet<string> = new Set<string>();

/** @internal one connection, from transport accept until it is gone. */
export class ClientRecord<P = unknown> implements ConnectedClient<P> {
  /** Created on the first subscription: most idle clients never need one (memory per client). */
  topicSet: Set<string> | undefined;
  readonly #connectedAt = Date.now();
  principal = undefined as P;
  /** `authorizing` until the strategy admitted it; frames that arrive meanwhile wait. */
  status: 'authorizing' | 'open' | 'gone' = 'authorizing';
  pending: AnyFrame[] | undefined;
  /** Size of the frames in `pending` (see `frameSize`), bounded by `maxPayload`. */
  pendingBytes = 0;
  /** Bounds an asynchronous authorization; cleared when it settles or the connection goes. */
  authTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly id: string,
    readonly connection: ServerConnection,
    readonly handshake: Handshake,
  ) {}

  get topics(): ReadonlySet<string> {
    return this.topicSet ?? NO_TOPICS;
  }

  get connectedAt(): Date {
    return new Date(this.#connectedAt);
  }
}

/**
 * @internal the server's bookkeeping: clients by id and by connection, and topic membership.
 * Removing a client removes it from every topic, and an empty topic is deleted, so nothing
 * outlives the clients that made it.
 */
export class ClientRegistry<P> {
  readonly byId = new Map<string, ClientRecord<P>>();
  readonly byConnection = new Map<ServerConnection, ClientRecord<P>>();
  readonly topics = new Map<string, Set<ClientRecord<P>>>();

  subscribe(record: ClientRecord<P>, topic: string): boolean {
    const own = (record.topicSet ??= new Set());
    if (own.has(topic)) return false;
    let members = this.topics.get(topic);
    if (members === undefined) this.topics.set(topic, (members = new Set()));
    members.add(record);
    own.add(topic);
    return true;
  }

  unsubscribe(record: ClientRecord<P>, topic: string): boolean {
    if (record.topicSet?.delete(topic) !== true) return false;
    const members = this.topics.get(topic);
    if (members !== undefined) {
      members.delete(record);
      if (members.size === 0) this.topics.delete(topic);
    }
    return true;
  }

  remove(record: ClientRecord<P>): void {
    for (const topic of record.topics) {
      const members = this.topics.get(topic);
      if (members === undefined) continue;
      members.delete(record);
      if (members.size === 0) this.topics.delete(topic);
    }
    record.topicSet = undefined;
    this.byId.delete(record.id);
    this.byConnection.delete(record.connection);
  }
}
