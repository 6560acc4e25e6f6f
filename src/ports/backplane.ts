import type { SessionStore } from './session-store.js';
import type { AnyFrame } from './types.js';

/**
 * One message between nodes. A backplane carries it as an opaque value: it never reads `kind`
 * or `data`, and delivers to each receiver a packet equal to the one published.
 *
 * "Equal" means: `kind` the same string; `frame` the same string, or a `Uint8Array` with the same
 * bytes (a `Buffer` may arrive as a plain `Uint8Array`); `data` the same JSON value (objects,
 * arrays, strings, finite numbers, booleans, null), in which `Uint8Array`s may appear anywhere and
 * arrive with the same bytes. Keys whose value is `undefined` may be dropped. Nothing else is
 * carried (no `Date`, `Map`, class instance, `NaN`, `bigint`).
 */
export interface BackplanePacket {
  /** What the packet is, for the domain; 1–64 characters. */
  readonly kind: string;
  /** The packet's fields. */
  readonly data?: unknown;
  /** An encoded frame, carried as is: one encode on the sending node serves every node. */
  readonly frame?: AnyFrame | undefined;
}

/** A client as the cluster directory lists it: where it is connected and who it is. */
export interface ClusterClient {
  /** The client id (unique in the cluster). */
  readonly id: string;
  /** The node that holds it. */
  readonly node: string;
  /** The principal's id (the server's `principalId`), absent for anonymous clients. */
  readonly user?: string | undefined;
  /** When it was admitted on its current connection, in ms since the epoch. */
  readonly connectedAt: number;
  /** True while its connection is lost and its session waits to be resumed (not online). */
  readonly parked?: boolean | undefined;
  /**
   * Who it is, as its node's `AuthorizationStrategy` decided, when that is a JSON value (the
   * domain leaves it out otherwise). Carried as is, like a packet's `data`.
   */
  readonly principal?: unknown;
}

/** A user's presence changed with a {@link Backplane.addClient} or {@link Backplane.removeClient}. */
export interface PresenceChange {
  /**
   * For `addClient`: true when the user had no other online (not parked) client in the cluster
   * before, so the user just came online. For `removeClient` and parking: true when the user has
   * no online client left, so the user just went offline. Always false for anonymous clients.
   * Of two nodes changing the same user at once, exactly one sees each transition.
   */
  readonly changed: boolean;
}

/** The state of a node's link to the backplane. */
export type BackplaneState = 'connected' | 'disconnected';

/** What a backplane calls on the node that opened it. */
export interface BackplaneNode {
  /** This node's id: unique in the cluster, chosen by the domain. */
  readonly id: string;
  /**
   * A packet another node published (or sent to this node). Called synchronously from the
   * backplane's receive path, in the order the sender published, for each sender. Never called
   * with this node's own packets.
   */
  receive(packet: BackplanePacket, from: string): void;
  /**
   * The link changed. `disconnected`: packets published meanwhile are lost both ways and shared
   * state may be stale; `connected`: it works again (after an outage, this node's directory
   * entries have been written back — see {@link Backplane.open}).
   */
  state(state: BackplaneState, error?: Error): void;
  /**
   * Node `node` stopped (it closed, or its liveness key expired). Called once on every node that
   * notices. `removed` is given on exactly one node — the one that removed the gone node's
   * directory entries — and lists them (see {@link RemovedClient.userOffline}); the others get
   * `undefined`.
   */
  nodeGone(node: string, removed: readonly RemovedClient[] | undefined): void;
}

/** A directory entry a survivor removed for a gone node. */
export interface RemovedClient extends ClusterClient {
  /** The topics it was in. */
  readonly topics: readonly string[];
  /**
   * True when removing it took its user offline: it was online (not parked) and the user has no
   * online client left. Of several entries of one user removed together, only the last online
   * one is marked.
   */
  readonly userOffline: boolean;
}

/**
 * The port between the nodes of a cluster: publish/subscribe between nodes, a shared directory of
 * clients (which node holds each, its user, its topics), node liveness, and the session store
 * sessions resume from on another node. `SocketServer` uses it behind its router when the
 * `backplane` option is set; without one the server is a cluster of one.
 *
 * Delivery is at most once: a packet published while the link is down is lost (the node is told
 * through {@link BackplaneNode.state}, and the domain reports it). Packets from one node to
 * another arrive in the order that node published them, whether by {@link publish} or
 * {@link publishTo}. Delivery is also causal, as one broker gives it: a packet a node received
 * before it published another reaches every other node before that one. (Sessions that move
 * between nodes rely on it: the new node must have read at least what the old one had.)
 *
 * Directory writes are the node's own: a node writes only entries of clients it holds, and they
 * are removed with it — by {@link close}, or by a survivor once its liveness lapses. Reads answer
 * for the whole cluster and may lag a concurrent write by the time a packet takes.
 *
 * Calls that return a promise reject on a backplane failure; write calls may also return nothing
 * and report failures through `state`.
 */
export interface Backplane {
  /**
   * Joins the cluster as `node` and starts delivering to it. Resolves once packets published
   * after it resolves reach this node and the node is listed by {@link nodes}. Called once.
   */
  open(node: BackplaneNode): Promise<void>;
  /**
   * Leaves the cluster: removes this node's directory entries and liveness, stops delivering,
   * releases connections. Other nodes get `nodeGone`. Idempotent.
   */
  close(): Promise<void>;

  /** Sends a packet to every other open node (not to this one). */
  publish(packet: BackplanePacket): void;
  /** Sends a packet to one node; dropped when it is not open. */
  publishTo(node: string, packet: BackplanePacket): void;
  /** The ids of the open nodes, this one included. */
  nodes(): Promise<string[]>;

  /**
   * Lists a client this node holds (or updates it: `parked`, `connectedAt`). Its `node` is this
   * node's id.
   */
  addClient(client: ClusterClient): Promise<PresenceChange>;
  /** Drops a client this node held, with its topic memberships. */
  removeClient(clientId: string): Promise<PresenceChange>;
  /** Adds a client of this node to a topic. */
  joinTopic(clientId: string, topic: string): Promise<void>;
  /** Removes a client of this node from a topic. */
  leaveTopic(clientId: string, topic: string): Promise<void>;

  /** A client anywhere in the cluster, or undefined. */
  getClient(clientId: string): Promise<ClusterClient | undefined>;
  /** Every listed client (online and parked), or those of a topic, or those of a user. */
  getClients(filter?: {
    readonly topic?: string;
    readonly user?: string;
  }): Promise<ClusterClient[]>;
  /** Each topic with at least one member, and its member count. */
  topicSizes(): Promise<Map<string, number>>;

  /** Where sessions wait to be resumed on another node; shared by every node. */
  readonly sessions: SessionStore;
}
