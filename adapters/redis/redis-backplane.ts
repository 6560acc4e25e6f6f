import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  PlugSocketError,
  type Backplane,
  type BackplaneNode,
  type BackplanePacket,
  type ClusterClient,
  type Logger,
  type PresenceChange,
  type RemovedClient,
} from '../../src/index.js';
import { unref } from '../../src/shared/unref.js';
import { ClusterWatch } from './cluster-watch.js';
import { decodeBackplanePacket, encodeBackplanePacket, senderField, sentBy } from './codec.js';
import { Directory } from './directory.js';
import { RedisKeys } from './keys.js';
import {
  resolveOptions,
  type RedisBackplaneOptions,
  type RedisBackplaneStats,
  type ResolvedRedisBackplaneOptions,
} from './redis-backplane-options.js';
import { clientFor, closeClient } from './redis-connection.js';
import { RedisLink, type LinkRole } from './redis-link.js';
import { RedisSessionStore } from './redis-session-store.js';
import { CHECK_NODES, HEARTBEAT } from './scripts.js';

type Phase = 'idle' | 'opening' | 'open' | 'closing' | 'closed';

/**
 * The {@link Backplane} port over Redis (7 or later, single server or Sentinel; not Redis
 * Cluster), with [ioredis](https://github.com/redis/ioredis): pub/sub between nodes, the client
 * directory, node liveness and a shared {@link RedisSessionStore}. It behaves as `MemoryCluster`
 * does, through the port, across processes and machines.
 *
 * **Connections.** Two, made with `duplicate()` from the client in `options.redis`: one carries
 * every command and publish (so a node's packets leave in the order it published them, on both
 * channels), one subscribes. Neither queues commands while down: a publish is then dropped
 * (counted in {@link stats}) and a directory call rejects with `NOT_CONNECTED` at once; a command
 * without a reply in `commandTimeout` fails with `TIMEOUT`.
 *
 * **Pub/sub.** Channels `<prefix>:bp:all` (every node) and `<prefix>:bp:node:<id>` (one node);
 * sharded (SPUBLISH/SSUBSCRIBE) when the server has it, see `sharded`. Packets travel in the
 * binary form of {@link encodeBackplanePacket}, which names the sender; a node drops its own
 * broadcasts, and a malformed message is counted, logged and skipped.
 *
 * **Keys**, all starting with the prefix (`<p>`):
 *
 * | key | type | holds |
 * | --- | --- | --- |
 * | `<p>:nodes` | set | ids of the nodes that joined and were not removed |
 * | `<p>:node:<node>` | string, PX `nodeTimeout` | liveness: exists while the node heartbeats |
 * | `<p>:node-clients:<node>` | set | the node's client ids |
 * | `<p>:clients` | hash | client id → entry (the `ClusterClient` as JSON) |
 * | `<p>:client-topics:<client>` | sorted set | the client's topics, in join order |
 * | `<p>:topic:<topic>` | set | the topic's client ids |
 * | `<p>:topics` | hash | topic → member count (so `topicSizes()` is one HGETALL) |
 * | `<p>:user:<user>` | set | the user's online (not parked) client ids |
 * | `<p>:user-clients:<user>` | set | all the user's client ids |
 * | `<p>:reap:<node>` | string, PX | lock of the survivor removing a gone node |
 * | `<p>:leave-claim:<token>` | string, PX | taken by the node told a closed node's entries |
 * | `<p>:session:<id>`, `<p>:session-log:<id>` | string, stream, PX | see {@link RedisSessionStore} |
 *
 * Each directory write is one Lua script, so of two nodes changing one user at once exactly one
 * sees each presence transition.
 *
 * **Liveness.** Every `heartbeatInterval` a node renews `<p>:node:<id>` (PX `nodeTimeout`) and
 * checks the others. The first survivor to take the lock of a node whose key expired removes
 * its entries and is called `nodeGone(node, removed)`; it publishes that, and every other node is
 * called `nodeGone(node, undefined)` — each exactly once. `close()` removes the node's own
 * entries and publishes them: the one receiver that takes the packet's claim gets them.
 *
 * **Outages.** When a connection drops, the node is told `state('disconnected', error)` once.
 * When both are back (and re-subscribed) the node renews its liveness key and writes its
 * directory entries back from a local mirror of what it wrote (a survivor removed them if the
 * outage outlasted `nodeTimeout`), then is told `state('connected')`. A node whose heartbeat
 * found its key already expired (its event loop stalled) goes through the same.
 *
 * @example
 * ```ts
 * const backplane = new RedisBackplane({ redis: 'redis://redis:6379', prefix: 'chat' });
 * const server = new SocketServer(adapter, { backplane });
 * ```
 */
export class RedisBackplane implements Backplane {
  /** Where sessions wait to be resumed, in the same Redis and under the same prefix. */
  readonly sessions: RedisSessionStore;

  readonly #options: ResolvedRedisBackplaneOptions;
  readonly #logger: Logger;
  readonly #keys: RedisKeys;
  readonly #base: Redis;
  readonly #ownsBase: boolean;
  readonly #sessionClient: Redis;
  readonly #directory: Directory;
  readonly #counters = {
    packetsOut: 0,
    packetsIn: 0,
    bytesOut: 0,
    bytesIn: 0,
    dropped: 0,
    invalid: 0,
    outages: 0,
  };

  #phase: Phase = 'idle';
  #opening: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #node: BackplaneNode | undefined;
  #id = '';
  /** This node's sender field as packets carry it (see `sentBy`). */
  #self: Uint8Array | undefined;
  #token = '';
  #link: RedisLink | undefined;
  #watch: ClusterWatch | undefined;
  /** The node was told (or, before any outage, is) connected. */
  #connected = false;
  /** Bumped on every connection loss, so a recovery that straddles one does not report. */
  #generation = 0;
  #recovery: Promise<void> | undefined;
  #heartbeatTimer: ReturnType<typeof setTimeout> | undefined;
  #checkTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: RedisBackplaneOptions = {}) {
    this.#options = resolveOptions(options);
    this.#logger = this.#options.logger;
    this.#keys = new RedisKeys(this.#options.prefix);
    // A client made here fails session calls after commandTimeout rather than waiting out
    // ioredis's retries; a client you pass keeps its own settings.
    const { client, owned } = clientFor(options.redis, {
      commandTimeout: this.#options.commandTimeout,
    });
    this.#base = client;
    this.#ownsBase = owned;
    this.#directory = new Directory(this.#keys);
    // Sessions go through the client itself, or through a copy without its keyPrefix: every
    // name the backplane uses is `<prefix>:…`, whatever the client prefixes its own keys with.
    this.#sessionClient = client.options.keyPrefix
      ? client.duplicate({ keyPrefix: '', lazyConnect: true })
      : client;
    this.sessions = new RedisSessionStore({
      redis: this.#sessionClient,
      prefix: this.#options.prefix,
      logger: this.#logger,
    });
  }

  /** This node's id once opened, else `''`. */
  get nodeId(): string {
    return this.#id;
  }

  /** The key and channel prefix. */
  get prefix(): string {
    return this.#options.prefix;
  }

  /** Whether pub/sub is sharded (known once open). */
  get sharded(): boolean {
    return this.#link?.sharded ?? false;
  }

  /** A snapshot of the traffic counters. */
  get stats(): RedisBackplaneStats {
    return { ...this.#counters };
  }

  open(node: BackplaneNode): Promise<void> {
    if (this.#phase !== 'idle')
      return Promise.reject(new PlugSocketError('INVALID_STATE', 'a backplane is opened once'));
    if (typeof node?.id !== 'string' || node.id === '')
      return Promise.reject(new TypeError('a node needs a non-empty string id'));
    this.#phase = 'opening';
    this.#opening = this.#open(node).catch(async (error: unknown) => {
      // ioredis rejects with "Connection is closed."; the socket's own error says why.
      const cause = this.#link?.lastError ?? error;
      this.#stopTimers();
      await this.#link?.close();
      this.#link = undefined;
      this.#phase = 'idle';
      if (PlugSocketError.is(error) || error instanceof TypeError) throw error;
      throw new PlugSocketError(
        'CONNECTION_FAILED',
        `could not join the cluster through Redis: ${message(cause)}`,
        { cause },
      );
    });
    return this.#opening;
  }

  close(): Promise<void> {
    return (this.#closing ??= this.#close());
  }

  publish(packet: BackplanePacket): void {
    if (this.#phase !== 'open') return void this.#counters.dropped++;
    const bytes = encodeBackplanePacket(packet, this.#id);
    this.#send(this.#keys.broadcast, bytes);
  }

  publishTo(node: string, packet: BackplanePacket): void {
    if (typeof node !== 'string') throw new TypeError('publishTo needs a node id');
    if (this.#phase !== 'open') return void this.#counters.dropped++;
    const bytes = encodeBackplanePacket(packet, this.#id);
    if (node === this.#id) return; // a node never receives its own packets
    this.#send(this.#keys.nodeChannel(node), bytes);
  }

  nodes(): Promise<string[]> {
    return this.#call('nodes', async (redis) => {
      const [alive] = (await CHECK_NODES.run(redis, this.#keys.prefix)) as [string[], string[]];
      return alive;
    });
  }

  addClient(client: ClusterClient): Promise<PresenceChange> {
    return this.#call('addClient', (redis) => this.#directory.add(redis, client, this.#id));
  }

  removeClient(clientId: string): Promise<PresenceChange> {
    return this.#call('removeClient', (redis) => this.#directory.remove(redis, clientId));
  }

  joinTopic(clientId: string, topic: string): Promise<void> {
    return this.#call('joinTopic', (redis) => this.#directory.join(redis, clientId, topic));
  }

  leaveTopic(clientId: string, topic: string): Promise<void> {
    return this.#call('leaveTopic', (redis) => this.#directory.leave(redis, clientId, topic));
  }

  getClient(clientId: string): Promise<ClusterClient | undefined> {
    return this.#call('getClient', (redis) => this.#directory.get(redis, clientId));
  }

  getClients(filter?: {
    readonly topic?: string;
    readonly user?: string;
  }): Promise<ClusterClient[]> {
    return this.#call('getClients', (redis) => this.#directory.list(redis, filter));
  }

  topicSizes(): Promise<Map<string, number>> {
    return this.#call('topicSizes', (redis) => this.#directory.topicSizes(redis));
  }

  // ------------------------------------------------------------------ joining and leaving

  async #open(node: BackplaneNode): Promise<void> {
    this.#node = node;
    this.#id = node.id;
    this.#token = randomUUID();
    const { commandTimeout, sharded, prefix, nodeTimeout, heartbeatInterval } = this.#options;
    const link = new RedisLink(
      this.#base,
      {
        commandTimeout,
        sharded,
        name: `${prefix}:${this.#id}`,
        channels: [this.#keys.broadcast, this.#keys.nodeChannel(this.#id)],
        logger: this.#logger,
      },
      {
        lost: (role, event, cause) => this.#lost(role, event, cause),
        ready: () => this.#recover(),
        message: (bytes) => this.#receive(bytes),
      },
    );
    this.#link = link;
    this.#watch = new ClusterWatch({
      nodeId: this.#id,
      token: this.#token,
      keys: this.#keys,
      nodeTimeout,
      heartbeatInterval,
      logger: this.#logger,
      redis: () => link.pub,
      nodeGone: (gone, removed) => this.#nodeGone(gone, removed),
      publishControl: (packet) => this.#publishControl(packet),
    });
    await link.open();
    await this.#watch.join();
    this.#connected = true;
    this.#phase = 'open';
    this.#scheduleHeartbeat();
    this.#scheduleCheck(0);
  }

  async #close(): Promise<void> {
    if (this.#phase === 'opening') await this.#opening?.catch(() => undefined);
    const wasOpen = this.#phase === 'open';
    const linked = this.#connected && this.#link?.up === true;
    this.#phase = 'closing';
    this.#stopTimers();
    if (wasOpen && linked) {
      try {
        await this.#watch?.leave();
      } catch (error) {
        this.#logger.warn(
          'close: could not remove this node from Redis; the others will once its liveness key expires',
          { node: this.#id, error },
        );
      }
    }
    this.#connected = false;
    this.#phase = 'closed';
    await this.#link?.close();
    if (this.#sessionClient !== this.#base) await closeClient(this.#sessionClient);
    if (this.#ownsBase || this.#options.closeClient) await closeClient(this.#base);
  }

  // ------------------------------------------------------------------ link state

  #lost(role: LinkRole, event: string, cause: Error | undefined): void {
    this.#generation++;
    if (this.#phase !== 'open') return;
    if (event === 'end')
      this.#logger.error('redis connection ended for good (retryStrategy gave up)', {
        role,
        node: this.#id,
      });
    this.#down(
      new PlugSocketError('NOT_CONNECTED', `lost the ${role} connection to Redis`, { cause }),
    );
  }

  /** The link is down: tells the node once per outage. */
  #down(error: Error): void {
    if (!this.#connected) return;
    this.#connected = false;
    this.#counters.outages++;
    this.#logger.warn('backplane link down', { node: this.#id, error });
    try {
      this.#node?.state('disconnected', error);
    } catch (thrown) {
      this.#logger.error('node.state threw', { error: thrown });
    }
  }

  /**
   * Once both connections are back: scripts loaded, liveness and directory entries written
   * again, the others told; then `connected`. Tried again every heartbeatInterval until it works.
   */
  #recover(): void {
    const link = this.#link;
    if (this.#phase !== 'open' || this.#connected || this.#recovery !== undefined) return;
    if (link === undefined || !link.up) return;
    const generation = this.#generation;
    this.#recovery = (async () => {
      await link.loadScripts();
      if ((await this.#renewLiveness(link.pub)) === -1)
        throw new PlugSocketError('INVALID_STATE', `another node took the id "${this.#id}"`);
      await this.#directory.resync(link.pub, this.#id);
      // Survivors that reported this node gone meanwhile (its key lapsed, here or before a
      // heartbeat wrote it again) must report its next end too; this goes out before anything
      // the node publishes once connected.
      this.#publishControl({ kind: 'back', data: { node: this.#id } });
      if (generation !== this.#generation || this.#phase !== 'open' || !link.up) return;
      this.#connected = true;
      link.clearError();
      this.#logger.debug('backplane link back', { node: this.#id, clients: this.#directory.size });
      try {
        this.#node?.state('connected');
      } catch (error) {
        this.#logger.error('node.state threw', { error });
      }
    })()
      .catch((error: unknown) =>
        this.#logger.warn('could not rejoin the cluster; trying again', { node: this.#id, error }),
      )
      .finally(() => {
        this.#recovery = undefined;
        if (this.#phase === 'open' && !this.#connected) {
          clearTimeout(this.#retryTimer);
          this.#retryTimer = setTimeout(() => this.#recover(), this.#options.heartbeatInterval);
          unref(this.#retryTimer);
        }
      });
  }

  // ------------------------------------------------------------------ heartbeat and checks

  /** 1 renewed; 0 it had lapsed (written again); -1 another node holds the id. */
  async #renewLiveness(redis: Redis): Promise<number> {
    const { prefix } = this.#keys;
    return (await HEARTBEAT.run(
      redis,
      prefix,
      this.#id,
      this.#token,
      this.#options.nodeTimeout,
    )) as number;
  }

  #scheduleHeartbeat(): void {
    this.#heartbeatTimer = setTimeout(() => {
      void this.#heartbeat().finally(() => {
        if (this.#phase === 'open') this.#scheduleHeartbeat();
      });
    }, this.#options.heartbeatInterval);
    unref(this.#heartbeatTimer);
  }

  async #heartbeat(): Promise<void> {
    const link = this.#link;
    if (!this.#connected || link === undefined) return;
    link.pingSubscriber();
    try {
      const held = await this.#renewLiveness(link.pub);
      if (held === 1 || !this.#connected) return;
      // The key had expired (this process stalled past nodeTimeout) or another node took the
      // id: survivors may have removed this node's entries, so it goes through a recovery.
      this.#generation++;
      this.#down(
        new PlugSocketError(
          'NOT_CONNECTED',
          held === 0
            ? `node "${this.#id}" missed its heartbeats for nodeTimeout: the cluster took it for gone`
            : `another node took the id "${this.#id}"`,
        ),
      );
      this.#recover();
    } catch (error) {
      this.#logger.debug('heartbeat failed', { node: this.#id, error });
    }
  }

  #scheduleCheck(delay = this.#options.heartbeatInterval): void {
    this.#checkTimer = setTimeout(() => {
      const round = this.#connected && this.#watch ? this.#watch.check() : Promise.resolve();
      void round
        .catch((error: unknown) =>
          this.#logger.debug('liveness check failed', { node: this.#id, error }),
        )
        .finally(() => {
          if (this.#phase === 'open') this.#scheduleCheck();
        });
    }, delay);
    unref(this.#checkTimer);
  }

  #stopTimers(): void {
    clearTimeout(this.#heartbeatTimer);
    clearTimeout(this.#checkTimer);
    clearTimeout(this.#retryTimer);
  }

  #nodeGone(gone: string, removed: readonly RemovedClient[] | undefined): void {
    if (this.#phase !== 'open' || !this.#connected) return;
    try {
      this.#node?.nodeGone(gone, removed);
    } catch (error) {
      this.#logger.error('node.nodeGone threw', { gone, error });
    }
  }

  // ------------------------------------------------------------------ packets

  #send(channel: string, bytes: Buffer): void {
    const sent = this.#connected ? this.#link?.publish(channel, bytes) : undefined;
    if (sent === undefined) {
      this.#counters.dropped++;
      return;
    }
    this.#counters.packetsOut++;
    this.#counters.bytesOut += bytes.byteLength;
    sent.catch((error: unknown) => {
      this.#counters.dropped++;
      this.#logger.debug('publish failed; packet dropped', { node: this.#id, error });
    });
  }

  /** One of the adapter's own packets, to every node (sent while recovering too). */
  #publishControl(packet: BackplanePacket): void {
    const bytes = encodeBackplanePacket(packet, this.#id, { control: true });
    const sent = this.#link?.publish(this.#keys.broadcast, bytes);
    if (sent === undefined) return;
    this.#counters.packetsOut++;
    this.#counters.bytesOut += bytes.byteLength;
    sent.catch((error: unknown) =>
      this.#logger.debug('adapter packet not sent', { kind: packet.kind, error }),
    );
  }

  #receive(message: Buffer): void {
    if (this.#phase !== 'open') return;
    this.#counters.bytesIn += message.byteLength;
    // This node's own broadcasts come back on the shared channel: dropped before any decoding.
    this.#self ??= senderField(this.#id);
    if (sentBy(message, this.#self)) return;
    let decoded;
    try {
      decoded = decodeBackplanePacket(message);
    } catch (error) {
      this.#counters.invalid++;
      this.#logger.warn('malformed backplane message dropped', {
        node: this.#id,
        bytes: message.byteLength,
        error,
      });
      return;
    }
    if (decoded.from === this.#id) return;
    if (!this.#connected) {
      if (!decoded.control) this.#counters.dropped++;
      return;
    }
    if (decoded.control) {
      this.#watch?.onControl(decoded.packet, decoded.from);
      return;
    }
    this.#counters.packetsIn++;
    try {
      this.#node?.receive(decoded.packet, decoded.from);
    } catch (error) {
      this.#logger.error('node.receive threw', {
        from: decoded.from,
        kind: decoded.packet.kind,
        error,
      });
    }
  }

  // ------------------------------------------------------------------ directory calls

  #call<T>(operation: string, run: (redis: Redis) => Promise<T>): Promise<T> {
    if (this.#phase === 'closing' || this.#phase === 'closed')
      return Promise.reject(new PlugSocketError('INVALID_STATE', `${operation}: backplane closed`));
    const link = this.#link;
    if (this.#phase !== 'open' || link === undefined)
      return Promise.reject(
        new PlugSocketError(
          'INVALID_STATE',
          `${operation}: backplane not open (call open() first)`,
        ),
      );
    if (!this.#connected || link.pub.status !== 'ready')
      return Promise.reject(
        new PlugSocketError(
          'NOT_CONNECTED',
          `${operation}: backplane unreachable (the link to Redis is down)`,
          { cause: link.lastError },
        ),
      );
    return run(link.pub).catch((error: unknown) => {
      throw this.#failure(operation, error);
    });
  }

  #failure(operation: string, error: unknown): Error {
    if (error instanceof TypeError || error instanceof RangeError || PlugSocketError.is(error))
      return error;
    const text = message(error);
    const code = /timed? ?out/i.test(text)
      ? 'TIMEOUT'
      : !this.#connected ||
          this.#link?.pub.status !== 'ready' ||
          /writeable|closed|MaxRetries/i.test(text)
        ? 'NOT_CONNECTED'
        : 'SERVER_ERROR';
    return new PlugSocketError(code, `${operation} failed: ${text}`, { cause: error });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
