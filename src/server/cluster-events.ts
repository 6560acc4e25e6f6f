import type { Backplane, BackplaneState, ClusterClient } from '../ports/backplane.js';
import type { Session } from './session.js';
import type { SessionRegistry } from './session-registry.js';

/** A client joined or left a topic, anywhere in the cluster. */
export interface TopicPresenceEvent {
  readonly topic: string;
  readonly clientId: string;
  /** Its principal's id; absent for anonymous clients. */
  readonly user?: string | undefined;
  /** The node that holds it. */
  readonly node: string;
}

/** A user came online (its first online client) or went offline (its last one), cluster-wide. */
export interface UserPresenceEvent {
  readonly user: string;
  /** The client that made the change. */
  readonly clientId: string;
  readonly node: string;
}

/** The backplane became unreachable, or reachable again. */
export interface BackplaneStateEvent {
  readonly state: BackplaneState;
  /** Why it became unreachable, when known. */
  readonly error?: Error | undefined;
  /**
   * With `connected`: how long it was unreachable, in ms. What other nodes published meanwhile
   * did not reach this node's clients, and what this node published did not reach theirs.
   */
  readonly downFor: number;
}

/** The events of {@link ServerCluster.on}. */
export interface ClusterEventMap {
  /** A client joined a topic (also for each topic of a client restored from the session store). */
  join: TopicPresenceEvent;
  /** A client left a topic (also when it left the cluster, or its node died). */
  leave: TopicPresenceEvent;
  /** A user's first online client anywhere was admitted (or resumed). */
  online: UserPresenceEvent;
  /** A user's last online client anywhere went (or lost its connection, or its node died). */
  offline: UserPresenceEvent;
  /** The backplane link changed (never emitted without a backplane). */
  state: BackplaneStateEvent;
  /** Another node left the cluster or died. */
  nodeGone: { readonly node: string };
}

type Listener<E> = (event: E) => void;

/**
 * @internal Emits cluster events to the listeners `server.cluster.on` registered: a listener that
 * throws is reported and does not stop the others.
 */
export class ClusterEvents {
  readonly #listeners = new Map<keyof ClusterEventMap, Set<Listener<never>>>();

  constructor(private readonly onThrow: (error: unknown, event: string) => void) {}

  on<E extends keyof ClusterEventMap>(
    event: E,
    listener: Listener<ClusterEventMap[E]>,
  ): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) this.#listeners.set(event, (set = new Set()));
    set.add(listener);
    return () => this.off(event, listener);
  }

  off<E extends keyof ClusterEventMap>(event: E, listener: Listener<ClusterEventMap[E]>): void {
    this.#listeners.get(event)?.delete(listener);
  }

  has(event: keyof ClusterEventMap): boolean {
    return (this.#listeners.get(event)?.size ?? 0) > 0;
  }

  emit<E extends keyof ClusterEventMap>(event: E, value: ClusterEventMap[E]): void {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of [...set]) {
      try {
        (listener as Listener<ClusterEventMap[E]>)(value);
      } catch (error) {
        this.onThrow(error, event);
      }
    }
  }

  presence(
    event: 'join' | 'leave' | 'online' | 'offline',
    detail: {
      clientId: string;
      topic?: string | undefined;
      user?: string | undefined;
      node: string;
    },
  ): void {
    if (!this.has(event)) return;
    if (event === 'join' || event === 'leave') {
      if (detail.topic === undefined) return;
      const value: TopicPresenceEvent =
        detail.user === undefined
          ? { topic: detail.topic, clientId: detail.clientId, node: detail.node }
          : {
              topic: detail.topic,
              clientId: detail.clientId,
              user: detail.user,
              node: detail.node,
            };
      this.emit(event, value);
    } else if (detail.user !== undefined) {
      this.emit(event, { user: detail.user, clientId: detail.clientId, node: detail.node });
    }
  }

  state(value: BackplaneStateEvent): void {
    this.emit('state', value);
  }

  nodeGone(node: string): void {
    this.emit('nodeGone', { node });
  }

  clear(): void {
    this.#listeners.clear();
  }
}

/**
 * The cluster as one server sees it (`server.cluster`): who is connected anywhere, topic sizes,
 * presence events. With a `backplane` the answers come from its shared directory; without one the
 * server is a cluster of one and they come from its own clients, with the same events.
 *
 * Every question is asynchronous, even on one node, so code does not change when nodes are
 * added. Counts returned by the server's own methods (`broadcast`, `clientCount`, …) stay those of
 * this node.
 */
export class ServerCluster<P = unknown> {
  /** @internal */
  constructor(
    private readonly registry: SessionRegistry<P>,
    private readonly events: ClusterEvents,
    private readonly backplane: Backplane | undefined,
    /** This node's id in the cluster. */
    readonly nodeId: string,
  ) {}

  /**
   * Listens to presence and backplane events (see {@link ClusterEventMap}); presence events come
   * from every node, this one included. @returns a function that removes the listener.
   */
  on<E extends keyof ClusterEventMap>(
    event: E,
    listener: (event: ClusterEventMap[E]) => void,
  ): () => void {
    if (!EVENTS.has(event)) throw new TypeError(`unknown cluster event ${JSON.stringify(event)}`);
    if (typeof listener !== 'function') throw new TypeError('a cluster listener is a function');
    return this.events.on(event, listener);
  }

  /** Removes a listener added with {@link on}. */
  off<E extends keyof ClusterEventMap>(
    event: E,
    listener: (event: ClusterEventMap[E]) => void,
  ): void {
    this.events.off(event, listener);
  }

  /** The ids of the nodes in the cluster, this one included. */
  nodes(): Promise<string[]> {
    return this.backplane === undefined ? Promise.resolve([this.nodeId]) : this.backplane.nodes();
  }

  /** Every client in the cluster: online ones, and parked ones (`parked: true`, awaiting resume). */
  getClients(): Promise<ClusterClient[]> {
    if (this.backplane !== undefined) return this.backplane.getClients();
    return Promise.resolve(this.#local(this.#all()));
  }

  /** One client anywhere in the cluster, with the node that holds it. */
  async getClient(clientId: string): Promise<ClusterClient | undefined> {
    if (this.backplane !== undefined) return this.backplane.getClient(clientId);
    const session = this.registry.byId.get(clientId) ?? this.registry.parked.get(clientId);
    return session === undefined ? undefined : this.#entry(session);
  }

  /** The clients in a topic, anywhere (parked ones included: what is sent to it waits for them). */
  getSubscribers(topic: string): Promise<ClusterClient[]> {
    if (this.backplane !== undefined) return this.backplane.getClients({ topic });
    const members = [
      ...(this.registry.topics.get(topic) ?? []),
      ...(this.registry.parkedTopics.get(topic) ?? []),
    ];
    return Promise.resolve(this.#local(members));
  }

  /** Each topic with at least one client anywhere, and how many it has. */
  topicSizes(): Promise<Map<string, number>> {
    if (this.backplane !== undefined) return this.backplane.topicSizes();
    const sizes = new Map<string, number>();
    for (const index of [this.registry.topics, this.registry.parkedTopics])
      for (const [topic, members] of index)
        sizes.set(topic, (sizes.get(topic) ?? 0) + members.size);
    return Promise.resolve(sizes);
  }

  /** How many clients a topic has anywhere. */
  async getTopicSize(topic: string): Promise<number> {
    return (await this.getSubscribers(topic)).length;
  }

  /** The clients of a user (by principal id) anywhere, online and parked. */
  getUserClients(user: string): Promise<ClusterClient[]> {
    if (this.backplane !== undefined) return this.backplane.getClients({ user: String(user) });
    return Promise.resolve(
      this.#local(this.#all()).filter((client) => client.user === String(user)),
    );
  }

  /** True when a user has an online (not parked) client anywhere. */
  async isOnline(user: string): Promise<boolean> {
    return (await this.getUserClients(user)).some((client) => client.parked !== true);
  }

  #all(): Session<P>[] {
    return [...this.registry.byId.values(), ...this.registry.parked.values()];
  }

  #local(sessions: Iterable<Session<P>>): ClusterClient[] {
    const out: ClusterClient[] = [];
    for (const session of sessions) out.push(this.#entry(session));
    return out;
  }

  #entry(session: Session<P>): ClusterClient {
    const entry: {
      id: string;
      node: string;
      connectedAt: number;
      user?: string;
      parked?: boolean;
      principal?: unknown;
    } = {
      id: session.id,
      node: this.nodeId,
      connectedAt: session.connectedAt.getTime(),
    };
    if (session.principalKey !== undefined) entry.user = session.principalKey;
    if (session.status === 'parked') entry.parked = true;
    if (session.principal !== undefined) entry.principal = session.principal;
    return entry;
  }
}

const EVENTS = new Set<string>(['join', 'leave', 'online', 'offline', 'state', 'nodeGone']);

/** @internal What the registry tells about its sessions: the directory and presence follow it. */
export interface RegistryObserver<P> {
  /** A session was admitted: new, resumed here, or restored from the session store. */
  admitted(session: Session<P>): void;
  /** A session joined a topic. */
  joined(session: Session<P>, topic: string): void;
  /** A session left a topic. */
  left(session: Session<P>, topic: string): void;
  /** An admitted session lost its connection and waits to be resumed. */
  parked(session: Session<P>): void;
  /** A session ended (called before its topics are cleared). */
  removed(session: Session<P>): void;
  /** A parked session arrived from another node (which shut down), with its topics. */
  adopted(session: Session<P>): void;
}

/**
 * @internal Presence of a cluster of one: the events of {@link ServerCluster.on} from this
 * server's own registry (a user is online while it has an admitted client here).
 */
export class LocalPresence<P> implements RegistryObserver<P> {
  constructor(
    private readonly registry: SessionRegistry<P>,
    private readonly events: ClusterEvents,
    private readonly nodeId: string,
  ) {}

  admitted(session: Session<P>): void {
    const user = session.principalKey;
    if (user !== undefined && this.registry.byPrincipal.get(user)?.size === 1)
      this.events.presence('online', { user, clientId: session.id, node: this.nodeId });
    if (session.listed) return;
    session.listed = true;
    for (const topic of session.topics) this.joined(session, topic);
  }

  joined(session: Session<P>, topic: string): void {
    if (session.listed)
      this.events.presence('join', {
        topic,
        clientId: session.id,
        user: session.principalKey,
        node: this.nodeId,
      });
  }

  left(session: Session<P>, topic: string): void {
    if (session.listed)
      this.events.presence('leave', {
        topic,
        clientId: session.id,
        user: session.principalKey,
        node: this.nodeId,
      });
  }

  parked(session: Session<P>): void {
    this.#offline(session);
  }

  adopted(): void {
    // A cluster of one adopts nothing.
  }

  removed(session: Session<P>): void {
    if (!session.listed) return;
    if (session.status !== 'parked') this.#offline(session);
    for (const topic of session.topics) this.left(session, topic);
    session.listed = false;
  }

  #offline(session: Session<P>): void {
    const user = session.principalKey;
    if (user === undefined || !session.listed) return;
    const others = this.registry.byPrincipal.get(user);
    if (others === undefined || others.size === 0 || (others.size === 1 && others.has(session)))
      this.events.presence('offline', { user, clientId: session.id, node: this.nodeId });
  }
}
