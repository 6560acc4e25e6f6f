import type {
  Backplane,
  BackplaneNode,
  BackplanePacket,
  ClusterClient,
  PresenceChange,
  RemovedClient,
} from './backplane.js';
import { MemorySessionStore, type SessionStore } from './session-store.js';

/**
 * Nodes in one process sharing a directory and a session store: the reference implementation of
 * the {@link Backplane} port, for tests and for several servers in one process. Each
 * {@link backplane} call makes the port of one more node.
 *
 * Packets are delivered asynchronously (a microtask per packet, in order), as deep copies checked
 * against what the port promises to carry, so code that works here does not lean on sharing
 * objects between nodes. {@link cut}, {@link restore} and {@link crash} simulate an outage of one
 * node's link and the death of a node.
 */
export class MemoryCluster {
  readonly #nodes = new Map<string, MemoryBackplane>();
  readonly #clients = new Map<string, ClusterClient>();
  readonly #topicsOf = new Map<string, Set<string>>();
  readonly #members = new Map<string, Set<string>>();
  readonly #online = new Map<string, Set<string>>();
  /** The cluster's session store, shared by its nodes. */
  readonly sessions: SessionStore;

  constructor(options: { sessions?: SessionStore } = {}) {
    this.sessions = options.sessions ?? new MemorySessionStore();
  }

  /** The port of one more node of this cluster. */
  backplane(): MemoryBackplane {
    return new MemoryBackplane(this);
  }

  /** The ids of the open nodes. */
  get nodeIds(): string[] {
    return [...this.#nodes.keys()];
  }

  /** Cuts node `id`'s link: it is told `disconnected`, and packets to and from it are lost. */
  cut(id: string): void {
    this.#node(id)._setLink(false);
  }

  /** Restores node `id`'s link: it is told `connected`. */
  restore(id: string): void {
    this.#node(id)._setLink(true);
  }

  /**
   * Node `id` dies without closing: it receives nothing more, and the others are told it is gone
   * (one of them with its directory entries, which are removed).
   */
  crash(id: string): void {
    const node = this.#node(id);
    node._setLink(false, false);
    this._leave(id);
  }

  #node(id: string): MemoryBackplane {
    const node = this.#nodes.get(id);
    if (node === undefined) throw new Error(`no open node ${id}`);
    return node;
  }

  // ------------------------------------------------------------ what a node's port calls

  /** @internal */
  _join(node: MemoryBackplane, id: string): void {
    if (this.#nodes.has(id)) throw new Error(`node ${id} is already open`);
    this.#nodes.set(id, node);
  }

  /** @internal removes a node and its entries, telling the others. */
  _leave(id: string): void {
    if (!this.#nodes.delete(id)) return;
    const removed: RemovedClient[] = [];
    for (const client of [...this.#clients.values()]) {
      if (client.node !== id) continue;
      const topics = [...(this.#topicsOf.get(client.id) ?? [])];
      const change = this._removeClient(client.id);
      removed.push({ ...client, topics, userOffline: change.changed });
    }
    // The entries go to one survivor that can hear it: the first whose link is up.
    let told = false;
    for (const other of this.#nodes.values()) {
      const list = !told && other._linked ? removed : undefined;
      if (list !== undefined) told = true;
      other._gone(id, list);
    }
  }

  /** @internal */
  _deliver(from: string, to: string | undefined, packet: BackplanePacket): void {
    // Checked (and copied) now, as a broker would serialize it: a bad packet throws at the sender.
    const checked = copyPacket(packet);
    for (const [id, node] of this.#nodes) {
      if (id === from || (to !== undefined && id !== to)) continue;
      // Each receiver its own copy: one that changes its packet changes nobody else's.
      node._receive(copyPacket(checked), from);
    }
  }

  /** @internal */
  _ids(): string[] {
    return [...this.#nodes.keys()];
  }

  /** @internal */
  _addClient(client: ClusterClient): PresenceChange {
    const previous = this.#clients.get(client.id);
    this.#clients.set(client.id, { ...client });
    const user = client.user;
    const previousUser = previous?.user;
    if (previousUser !== undefined && previousUser !== user) this.#offline(previousUser, client.id);
    if (user === undefined) return NO_CHANGE;
    if (client.parked === true) return this.#offline(user, client.id);
    let set = this.#online.get(user);
    if (set === undefined) this.#online.set(user, (set = new Set()));
    const before = set.size;
    set.add(client.id);
    return before === 0 && set.size === 1 ? CHANGED : NO_CHANGE;
  }

  /** @internal */
  _removeClient(clientId: string): PresenceChange {
    const client = this.#clients.get(clientId);
    if (client === undefined) return NO_CHANGE;
    this.#clients.delete(clientId);
    const topics = this.#topicsOf.get(clientId);
    if (topics !== undefined) for (const topic of topics) this._leaveTopic(clientId, topic);
    this.#topicsOf.delete(clientId);
    return client.user === undefined ? NO_CHANGE : this.#offline(client.user, clientId);
  }

  #offline(user: string, clientId: string): PresenceChange {
    const set = this.#online.get(user);
    if (set === undefined || !set.delete(clientId)) return NO_CHANGE;
    if (set.size > 0) return NO_CHANGE;
    this.#online.delete(user);
    return CHANGED;
  }

  /** @internal */
  _joinTopic(clientId: string, topic: string): void {
    if (!this.#clients.has(clientId)) return;
    let topics = this.#topicsOf.get(clientId);
    if (topics === undefined) this.#topicsOf.set(clientId, (topics = new Set()));
    topics.add(topic);
    let members = this.#members.get(topic);
    if (members === undefined) this.#members.set(topic, (members = new Set()));
    members.add(clientId);
  }

  /** @internal */
  _leaveTopic(clientId: string, topic: string): void {
    this.#topicsOf.get(clientId)?.delete(topic);
    const members = this.#members.get(topic);
    if (members === undefined) return;
    members.delete(clientId);
    if (members.size === 0) this.#members.delete(topic);
  }

  /** @internal */
  _getClient(clientId: string): ClusterClient | undefined {
    const client = this.#clients.get(clientId);
    return client === undefined ? undefined : { ...client };
  }

  /** @internal */
  _getClients(filter: { readonly topic?: string; readonly user?: string } = {}): ClusterClient[] {
    let ids: Iterable<string>;
    if (filter.topic !== undefined) ids = this.#members.get(filter.topic) ?? [];
    else ids = this.#clients.keys();
    const out: ClusterClient[] = [];
    for (const id of ids) {
      const client = this.#clients.get(id);
      if (client === undefined) continue;
      if (filter.user !== undefined && client.user !== filter.user) continue;
      out.push({ ...client });
    }
    return out;
  }

  /** @internal */
  _topicSizes(): Map<string, number> {
    const sizes = new Map<string, number>();
    for (const [topic, members] of this.#members) sizes.set(topic, members.size);
    return sizes;
  }
}

const NO_CHANGE: PresenceChange = Object.freeze({ changed: false });
const CHANGED: PresenceChange = Object.freeze({ changed: true });

/** One node's port onto a {@link MemoryCluster}. Made by {@link MemoryCluster.backplane}. */
export class MemoryBackplane implements Backplane {
  readonly #cluster: MemoryCluster;
  #node: BackplaneNode | undefined;
  #id = '';
  #linked = false;
  #closed = false;
  /** Packets to this node still to be handed over, in order. */
  readonly #inbox: [BackplanePacket, string][] = [];
  #draining = false;

  /**
   * A node of `cluster`; without one, a cluster of its own (a single node needs nothing more,
   * and its session store is then its own).
   */
  constructor(cluster: MemoryCluster = new MemoryCluster()) {
    this.#cluster = cluster;
  }

  /** The cluster this node is in. */
  get cluster(): MemoryCluster {
    return this.#cluster;
  }

  /** This node's id once open, else ''. */
  get nodeId(): string {
    return this.#id;
  }

  get sessions(): SessionStore {
    return this.#cluster.sessions;
  }

  open(node: BackplaneNode): Promise<void> {
    if (this.#node !== undefined || this.#closed)
      return Promise.reject(new Error('a backplane is opened once'));
    if (typeof node?.id !== 'string' || node.id === '')
      return Promise.reject(new TypeError('a node needs a non-empty string id'));
    try {
      this.#cluster._join(this, node.id);
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    this.#node = node;
    this.#id = node.id;
    this.#linked = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    this.#inbox.length = 0;
    if (this.#node !== undefined) this.#cluster._leave(this.#id);
    this.#linked = false;
    return Promise.resolve();
  }

  publish(packet: BackplanePacket): void {
    if (!this.#linked) return;
    this.#cluster._deliver(this.#id, undefined, packet);
  }

  publishTo(node: string, packet: BackplanePacket): void {
    if (!this.#linked) return;
    this.#cluster._deliver(this.#id, node, packet);
  }

  nodes(): Promise<string[]> {
    return this.#call(() => this.#cluster._ids());
  }

  addClient(client: ClusterClient): Promise<PresenceChange> {
    return this.#call(() => this.#cluster._addClient({ ...client, node: this.#id }));
  }

  removeClient(clientId: string): Promise<PresenceChange> {
    return this.#call(() => this.#cluster._removeClient(clientId));
  }

  joinTopic(clientId: string, topic: string): Promise<void> {
    return this.#call(() => this.#cluster._joinTopic(clientId, topic));
  }

  leaveTopic(clientId: string, topic: string): Promise<void> {
    return this.#call(() => this.#cluster._leaveTopic(clientId, topic));
  }

  getClient(clientId: string): Promise<ClusterClient | undefined> {
    return this.#call(() => this.#cluster._getClient(clientId));
  }

  getClients(filter?: {
    readonly topic?: string;
    readonly user?: string;
  }): Promise<ClusterClient[]> {
    return this.#call(() => this.#cluster._getClients(filter));
  }

  topicSizes(): Promise<Map<string, number>> {
    return this.#call(() => this.#cluster._topicSizes());
  }

  #call<T>(fn: () => T): Promise<T> {
    if (!this.#linked || this.#node === undefined)
      return Promise.reject(new Error(this.#closed ? 'backplane closed' : 'backplane unreachable'));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  /** @internal a packet for this node: queued, handed over in order on a later microtask. */
  _receive(packet: BackplanePacket, from: string): void {
    if (!this.#linked) return;
    this.#inbox.push([packet, from]);
    if (this.#draining) return;
    this.#draining = true;
    void Promise.resolve().then(this.#drain);
  }

  readonly #drain = (): void => {
    this.#draining = false;
    const inbox = this.#inbox.splice(0);
    const node = this.#node;
    if (node === undefined) return;
    for (const [packet, from] of inbox) {
      if (!this.#linked) return;
      try {
        node.receive(packet, from);
      } catch {
        // A node's receive throwing is the node's bug; the next packets are still delivered.
      }
    }
  };

  /** @internal true while this node's link is up. */
  get _linked(): boolean {
    return this.#linked;
  }

  /** @internal */
  _gone(id: string, removed: readonly RemovedClient[] | undefined): void {
    const node = this.#node;
    if (node === undefined) return;
    void Promise.resolve().then(() => {
      if (this.#linked) node.nodeGone(id, removed);
    });
  }

  /** @internal */
  _setLink(up: boolean, tell = true): void {
    if (this.#linked === up || this.#closed) return;
    this.#linked = up;
    if (!up) this.#inbox.length = 0;
    if (tell) this.#node?.state(up ? 'connected' : 'disconnected');
  }
}

/** A deep copy of a packet, refusing what the port does not carry. */
function copyPacket(packet: BackplanePacket): BackplanePacket {
  if (typeof packet?.kind !== 'string' || packet.kind.length === 0 || packet.kind.length > 64)
    throw new TypeError('a backplane packet needs a kind of 1-64 characters');
  const frame = packet.frame;
  const out: { kind: string; data?: unknown; frame?: BackplanePacket['frame'] } = {
    kind: packet.kind,
  };
  if (packet.data !== undefined) out.data = copyValue(packet.data, 0);
  if (frame !== undefined) {
    if (typeof frame === 'string') out.frame = frame;
    else if (frame instanceof Uint8Array) out.frame = new Uint8Array(frame);
    else throw new TypeError('a backplane frame is a string or a Uint8Array');
  }
  return out;
}

function copyValue(value: unknown, depth: number): unknown {
  if (depth > 64) throw new TypeError('a backplane packet nests too deep');
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('a backplane packet carries finite numbers');
    return value;
  }
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(copyValue(value[i] ?? null, depth + 1));
    return out;
  }
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto !== Object.prototype && proto !== null)
      throw new TypeError('a backplane packet carries plain objects, arrays and bytes');
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      if (item === undefined) continue;
      // defineProperty: a `__proto__` key stays a key, as JSON.parse makes it.
      Object.defineProperty(out, key, {
        value: copyValue(item, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  throw new TypeError(`a backplane packet cannot carry a ${typeof value}`);
}
