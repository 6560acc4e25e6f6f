// Every key and channel the Redis adapter uses, in one place. Each is `<prefix>:<namespace>` or
// `<prefix>:<namespace>:<free text>` with the free text (a node, client, user or topic id, which
// may hold any character, `:` included) always last, so no two distinct names can collide.
// The Lua scripts (scripts.ts) build the same names from the prefix; the table in the
// RedisBackplane TSDoc lists them.

/** The names of one cluster (one prefix). */
export class RedisKeys {
  /** Pub/sub channel every node subscribes to. */
  readonly broadcast: string;
  /** Set of the ids of the nodes that joined and were not yet removed. */
  readonly nodes: string;
  /** Hash: client id → its directory entry (JSON). */
  readonly clients: string;
  /** Hash: topic → member count (the topic-size index). */
  readonly topics: string;

  constructor(readonly prefix: string) {
    this.broadcast = `${prefix}:bp:all`;
    this.nodes = `${prefix}:nodes`;
    this.clients = `${prefix}:clients`;
    this.topics = `${prefix}:topics`;
  }

  /** Pub/sub channel of one node. */
  nodeChannel(node: string): string {
    return `${this.prefix}:bp:node:${node}`;
  }

  /** A node's liveness key, expiring `nodeTimeout` after its last heartbeat. */
  alive(node: string): string {
    return `${this.prefix}:node:${node}`;
  }

  /** Set of the ids of a node's clients. */
  nodeClients(node: string): string {
    return `${this.prefix}:node-clients:${node}`;
  }

  /** Sorted set of a client's topics, scored by join order. */
  clientTopics(client: string): string {
    return `${this.prefix}:client-topics:${client}`;
  }

  /** Set of the client ids in a topic. */
  topic(topic: string): string {
    return `${this.prefix}:topic:${topic}`;
  }

  /** Set of a user's online (not parked) client ids: empty means the user is offline. */
  userOnline(user: string): string {
    return `${this.prefix}:user:${user}`;
  }

  /** Set of all a user's client ids, parked ones included. */
  userClients(user: string): string {
    return `${this.prefix}:user-clients:${user}`;
  }

  /** The lock a survivor holds while it removes a gone node's entries. */
  reapLock(node: string): string {
    return `${this.prefix}:reap:${node}`;
  }

  /** Taken by the one node that reports a leaving node's removed entries. */
  leaveClaim(token: string): string {
    return `${this.prefix}:leave-claim:${token}`;
  }

  /** A waiting session's record, as JSON. */
  session(id: string): string {
    return `${this.prefix}:session:${id}`;
  }

  /** A waiting session's log of frames, a stream. */
  sessionLog(id: string): string {
    return `${this.prefix}:session-log:${id}`;
  }
}
