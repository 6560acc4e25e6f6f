import type { Backplane, ClusterClient, RemovedClient } from '../ports/backplane.js';
import type { ClusterEvents, RegistryObserver } from './cluster-events.js';
import { K, type ClusterWire } from './cluster-wire.js';
import type { ServerCore } from './core.js';
import type { Session } from './session.js';

type PresenceEvent = 'join' | 'leave' | 'online' | 'offline';

interface PresenceDetail {
  readonly clientId: string;
  readonly topic?: string | undefined;
  readonly user?: string | undefined;
}

const NO_TOPICS: readonly string[] = [];

/**
 * @internal This node's clients in the shared directory, and presence across the cluster: the
 * registry's changes become directory writes and presence events here and on every other node;
 * the events told on behalf of a gone node are taken back when it returns; after an outage the
 * directory lists exactly this node's sessions again.
 */
export class ClusterPresence<P> implements RegistryObserver<P> {
  /**
   * What this node's application was told on behalf of a gone node: taken back if that node
   * returns (it was only cut off longer than its liveness allows).
   */
  readonly #goneTold = new Map<string, { users: Set<string>; memberships: Set<string> }>();

  constructor(
    private readonly id: string,
    private readonly core: ServerCore<P>,
    private readonly backplane: Backplane,
    private readonly events: ClusterEvents,
    private readonly wire: ClusterWire,
  ) {}

  // ------------------------------------------------------------ the directory

  /** An admitted session (new, resumed here, or restored from the store). */
  admitted(session: Session<P>): void {
    const id = session.id;
    const known = session.listed;
    session.listed = true;
    const user = session.principalKey;
    this.#write(
      this.backplane.addClient(this.#entry(session, false)).then((change) => {
        if (change.changed && user !== undefined) this.#presence('online', { user, clientId: id });
      }),
    );
    if (known) return;
    for (const topic of session.topics) this.joined(session, topic);
  }

  /** A listed session joined a topic (before admission, its topics are listed with it). */
  joined(session: Session<P>, topic: string): void {
    if (!session.listed) return;
    this.#write(this.backplane.joinTopic(session.id, topic));
    this.#presence('join', { topic, clientId: session.id, user: session.principalKey });
  }

  left(session: Session<P>, topic: string): void {
    if (!session.listed) return;
    this.#write(this.backplane.leaveTopic(session.id, topic));
    this.#presence('leave', { topic, clientId: session.id, user: session.principalKey });
  }

  /** A session lost its connection and waits to be resumed: listed as parked, not online. */
  parked(session: Session<P>): void {
    if (!session.listed) return;
    const user = session.principalKey;
    this.#write(
      this.backplane.addClient(this.#entry(session, true)).then((change) => {
        if (change.changed && user !== undefined)
          this.#presence('offline', { user, clientId: session.id });
      }),
    );
  }

  /** A parked session another node handed over: listed here, with its topics. */
  adopted(session: Session<P>): void {
    if (session.listed) return;
    session.listed = true;
    this.#write(this.backplane.addClient(this.#entry(session, true)));
    for (const topic of session.topics) this.joined(session, topic);
  }

  /** A session ended here (for good, or handed to another node). */
  removed(session: Session<P>): void {
    const id = session.id;
    if (!session.listed) return;
    session.listed = false;
    const user = session.principalKey;
    const online = session.status !== 'parked';
    this.#write(
      this.backplane.removeClient(id).then((change) => {
        if (change.changed && online && user !== undefined)
          this.#presence('offline', { user, clientId: id });
      }),
    );
    for (const topic of session.topics) this.#presence('leave', { topic, clientId: id, user });
  }

  #entry(session: Session<P>, parked: boolean): ClusterClient {
    const entry: {
      id: string;
      node: string;
      connectedAt: number;
      user?: string;
      parked?: boolean;
      principal?: unknown;
    } = { id: session.id, node: this.id, connectedAt: session.connectedAt.getTime() };
    if (session.principalKey !== undefined) entry.user = session.principalKey;
    if (parked) entry.parked = true;
    const principal = carried(session.principal);
    if (principal !== undefined) entry.principal = principal;
    return entry;
  }

  #write(write: Promise<unknown>): void {
    write.catch((error: unknown) => {
      this.core.metrics.backplaneErrors++;
      if (this.wire.state === 'connected')
        this.core.logger.warn('backplane directory write failed', { error });
    });
  }

  /** Emits a presence event here and on every other node. */
  #presence(event: 'join' | 'leave' | 'online' | 'offline', detail: PresenceDetail): void {
    if (event === 'online' && detail.user !== undefined) this.#cameOnline(detail.user);
    this.events.presence(event, { ...detail, node: this.id });
    const data: Record<string, unknown> = { e: event, id: detail.clientId };
    if (detail.topic !== undefined) data.t = detail.topic;
    if (detail.user !== undefined) data.u = detail.user;
    this.wire.publish({ kind: K.presence, data });
  }

  // ------------------------------------------------------------ other nodes

  /** A presence packet from node `from`: told here as it was told there. */
  heard(from: string, data: Record<string, unknown>): void {
    const detail = {
      clientId: data.id as string,
      topic: data.t as string | undefined,
      user: data.u as string | undefined,
    };
    // Told by a survivor on behalf of a gone node: that node is named.
    if (typeof data.n === 'string') this.#toldForGone(data.n, data.e as PresenceEvent, detail);
    else if (data.e === 'online' && detail.user !== undefined) this.#cameOnline(detail.user);
    this.events.presence(data.e as PresenceEvent, {
      ...detail,
      node: typeof data.n === 'string' ? data.n : from,
    });
  }

  /** A user came online: an offline told for a gone node no longer needs taking back. */
  #cameOnline(user: string): void {
    for (const told of this.#goneTold.values()) told.users.delete(user);
  }

  #toldForGone(node: string, event: PresenceEvent, detail: PresenceDetail): void {
    let told = this.#goneTold.get(node);
    if (told === undefined) {
      // Bounded: the last few gone nodes are remembered.
      if (this.#goneTold.size >= 16) this.#goneTold.delete(this.#goneTold.keys().next().value!);
      this.#goneTold.set(node, (told = { users: new Set(), memberships: new Set() }));
    }
    if (event === 'offline' && detail.user !== undefined) told.users.add(detail.user);
    else if (event === 'leave' && detail.topic !== undefined)
      told.memberships.add(`${detail.clientId}\u0000${detail.topic}`);
  }

  /**
   * A node that was unreachable is back and lists its clients: the leaves and offlines this
   * node told for it are taken back with joins and onlines.
   */
  restated(from: string, data: Record<string, unknown>): void {
    const told = this.#goneTold.get(from);
    if (told === undefined) return;
    const clients = Array.isArray(data.c) ? (data.c as unknown[]) : [];
    for (const item of clients) {
      if (!Array.isArray(item)) continue;
      const [clientId, user, parked, topics] = item as [string, string | null, number, string[]];
      const who = typeof user === 'string' ? user : undefined;
      for (const topic of Array.isArray(topics) ? topics : []) {
        if (told.memberships.delete(`${clientId}\u0000${topic}`))
          this.events.presence('join', { clientId, topic, user: who, node: from });
      }
      if (who !== undefined && parked !== 1 && told.users.delete(who))
        this.events.presence('online', { clientId, user: who, node: from });
    }
    if (data.last === 1) this.#goneTold.delete(from);
  }

  /** After an outage: this node lists its clients, for nodes that took it for gone meanwhile. */
  restate(): void {
    const registry = this.core.registry;
    let batch: unknown[] = [];
    const flush = (last: boolean): void => {
      this.wire.publish({ kind: K.restate, data: last ? { c: batch, last: 1 } : { c: batch } });
      batch = [];
    };
    for (const session of [...registry.byId.values(), ...registry.parked.values()]) {
      if (!session.listed) continue;
      batch.push([
        session.id,
        session.principalKey ?? null,
        session.status === 'parked' ? 1 : 0,
        [...session.topics],
      ]);
      if (batch.length === 500) flush(false);
    }
    flush(true);
  }

  /** After an outage: the directory lists exactly this node's sessions again. */
  async resync(): Promise<void> {
    try {
      const listed = await this.backplane.getClients();
      const registry = this.core.registry;
      const writes: Promise<unknown>[] = [];
      const here = (id: string): Session<P> | undefined => {
        const session = registry.byId.get(id) ?? registry.parked.get(id);
        return session?.listed === true ? session : undefined;
      };
      for (const client of listed) {
        if (client.node === this.id && here(client.id) === undefined)
          writes.push(this.backplane.removeClient(client.id));
      }
      for (const session of [...registry.byId.values(), ...registry.parked.values()]) {
        if (!session.listed) continue;
        const id = session.id;
        // Written afresh: topics it left during the outage must go too.
        writes.push(this.backplane.removeClient(id));
        writes.push(this.backplane.addClient(this.#entry(session, session.status === 'parked')));
        for (const topic of session.topics) writes.push(this.backplane.joinTopic(id, topic));
      }
      await Promise.all(writes);
    } catch (error) {
      this.core.metrics.backplaneErrors++;
      this.core.logger.warn('backplane resync failed', { error });
    }
  }

  /** Node `node` is gone; `removed`: its directory entries, when this node removed them. */
  nodeGone(node: string, removed: readonly RemovedClient[] | undefined): void {
    if (removed === undefined) return;
    // This node cleaned up after the gone one: it tells presence on its behalf.
    for (const client of removed) {
      for (const topic of client.topics ?? NO_TOPICS)
        this.#presenceFor(node, 'leave', { topic, clientId: client.id, user: client.user });
      if (client.userOffline && client.user !== undefined)
        this.#presenceFor(node, 'offline', { user: client.user, clientId: client.id });
    }
  }

  #presenceFor(node: string, event: PresenceEvent, detail: PresenceDetail): void {
    this.#toldForGone(node, event, detail);
    this.events.presence(event, { ...detail, node });
    const data: Record<string, unknown> = { e: event, id: detail.clientId, n: node };
    if (detail.topic !== undefined) data.t = detail.topic;
    if (detail.user !== undefined) data.u = detail.user;
    this.wire.publish({ kind: K.presence, data });
  }
}

/** A principal as the directory carries it: a JSON copy, or nothing when it has none. */
function carried(principal: unknown): unknown {
  if (principal === undefined || principal === null) return undefined;
  try {
    const text = JSON.stringify(principal);
    return text === undefined ? undefined : (JSON.parse(text) as unknown);
  } catch {
    return undefined;
  }
}
