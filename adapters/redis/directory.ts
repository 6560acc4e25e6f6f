import type { Redis } from 'ioredis';
import type { ClusterClient, PresenceChange } from '../../src/index.js';
import { decodeJsonValue, encodeJsonValue } from './codec.js';
import { stringifyWithBytes } from './json-bytes.js';
import type { RedisKeys } from './keys.js';
import { ADD_CLIENT, GET_CLIENTS, JOIN_TOPIC, LEAVE_TOPIC, REMOVE_CLIENT } from './scripts.js';

const NO_CHANGE: PresenceChange = Object.freeze({ changed: false });
const CHANGED: PresenceChange = Object.freeze({ changed: true });
/** Directory writes a resync sends at once. */
const RESYNC_BATCH = 500;

/** What this node wrote for one of its clients, kept to write it back after an outage. */
interface MirrorEntry {
  readonly client: ClusterClient;
  readonly entry: string;
  readonly topics: Set<string>;
}

/**
 * The cluster directory in Redis, as one node reads and writes it. Every write is one Lua script
 * (atomic), and every write that succeeded is also kept in a local mirror of this node's own
 * entries, from which {@link resync} writes them back after an outage.
 */
export class Directory {
  readonly #mirror = new Map<string, MirrorEntry>();

  constructor(private readonly keys: RedisKeys) {}

  /** Clients this node holds, as it last wrote them. */
  get size(): number {
    return this.#mirror.size;
  }

  async add(redis: Redis, client: ClusterClient, node: string): Promise<PresenceChange> {
    const listed = entryOf(client, node);
    const entry = encodeEntry(listed);
    const changed = await this.#add(redis, listed, entry);
    this.#mirror.set(listed.id, {
      client: listed,
      entry,
      topics: this.#mirror.get(listed.id)?.topics ?? new Set(),
    });
    return changed === 1 ? CHANGED : NO_CHANGE;
  }

  async remove(redis: Redis, clientId: string): Promise<PresenceChange> {
    checkId(clientId, 'client id');
    const changed = await REMOVE_CLIENT.run(redis, this.keys.prefix, clientId, '');
    this.#mirror.delete(clientId);
    return changed === 1 ? CHANGED : NO_CHANGE;
  }

  async join(redis: Redis, clientId: string, topic: string): Promise<void> {
    checkId(clientId, 'client id');
    checkTopic(topic);
    const joined = await JOIN_TOPIC.run(redis, this.keys.prefix, clientId, topic);
    if (joined === 1) this.#mirror.get(clientId)?.topics.add(topic);
  }

  async leave(redis: Redis, clientId: string, topic: string): Promise<void> {
    checkId(clientId, 'client id');
    checkTopic(topic);
    await LEAVE_TOPIC.run(redis, this.keys.prefix, clientId, topic);
    this.#mirror.get(clientId)?.topics.delete(topic);
  }

  async get(redis: Redis, clientId: string): Promise<ClusterClient | undefined> {
    checkId(clientId, 'client id');
    const raw = await redis.hget(this.keys.clients, clientId);
    return raw === null ? undefined : decodeEntry(raw);
  }

  async list(
    redis: Redis,
    filter: { readonly topic?: string; readonly user?: string } = {},
  ): Promise<ClusterClient[]> {
    const { topic, user } = filter ?? {};
    if (topic !== undefined) checkTopic(topic);
    if (user !== undefined && typeof user !== 'string')
      throw new TypeError('the user filter must be a string');
    let raw: string[];
    if (topic === undefined && user === undefined) raw = await redis.hvals(this.keys.clients);
    else if (user === undefined)
      raw = (await GET_CLIENTS.run(redis, this.keys.prefix, 'topic', topic!)) as string[];
    else if (topic === undefined)
      raw = (await GET_CLIENTS.run(redis, this.keys.prefix, 'user', user)) as string[];
    else raw = (await GET_CLIENTS.run(redis, this.keys.prefix, 'both', topic, user)) as string[];
    return raw.map(decodeEntry);
  }

  async topicSizes(redis: Redis): Promise<Map<string, number>> {
    const counts = await redis.hgetall(this.keys.topics);
    const sizes = new Map<string, number>();
    for (const [topic, count] of Object.entries(counts)) {
      const size = Number(count);
      if (size > 0) sizes.set(topic, size);
    }
    return sizes;
  }

  /**
   * Makes Redis list exactly what the mirror holds for this node: entries a survivor removed
   * while this node was away are written back (with their topics), and entries Redis holds for
   * this node that the mirror does not (a write whose reply was lost) are removed.
   */
  async resync(redis: Redis, node: string): Promise<void> {
    const listed = await redis.smembers(this.keys.nodeClients(node));
    const stale = listed.filter((id) => !this.#mirror.has(id));
    for (let i = 0; i < stale.length; i += RESYNC_BATCH) {
      await Promise.all(
        stale
          .slice(i, i + RESYNC_BATCH)
          .map((id) => REMOVE_CLIENT.run(redis, this.keys.prefix, id, node)),
      );
    }
    const entries = [...this.#mirror.values()];
    for (let i = 0; i < entries.length; i += RESYNC_BATCH) {
      await Promise.all(entries.slice(i, i + RESYNC_BATCH).map((m) => this.#rewrite(redis, m)));
    }
  }

  async #rewrite(redis: Redis, mirrored: MirrorEntry): Promise<void> {
    const id = mirrored.client.id;
    await this.#add(redis, mirrored.client, mirrored.entry);
    const inRedis = new Set(await redis.zrange(this.keys.clientTopics(id), '0', '-1'));
    const writes: Promise<unknown>[] = [];
    for (const topic of mirrored.topics)
      if (!inRedis.has(topic)) writes.push(JOIN_TOPIC.run(redis, this.keys.prefix, id, topic));
    for (const topic of inRedis)
      if (!mirrored.topics.has(topic))
        writes.push(LEAVE_TOPIC.run(redis, this.keys.prefix, id, topic));
    await Promise.all(writes);
  }

  #add(redis: Redis, client: ClusterClient, entry: string): Promise<unknown> {
    const user = client.user;
    return ADD_CLIENT.run(
      redis,
      this.keys.prefix,
      client.id,
      client.node,
      entry,
      user === undefined ? '0' : '1',
      user ?? '',
      client.parked === true ? '1' : '0',
    );
  }
}

/** Field of a stored entry holding a principal JSON text cannot (bytes, `$` keys), encoded. */
const PRINCIPAL_BYTES = 'principalB64';

/**
 * The stored form of an entry: JSON text (the scripts read its `node` and `user`). A principal
 * with bytes in it, or with keys starting with `$`, is kept exactly in its binary form
 * ({@link encodeJsonValue}), base64 in a field of its own.
 */
function encodeEntry(client: ClusterClient): string {
  if (client.principal === undefined) return JSON.stringify(client);
  if (!stringifyWithBytes(client.principal, true).tagged) return JSON.stringify(client);
  const { principal, ...rest } = client;
  const encoded = encodeJsonValue(principal, { strict: true }).toString('base64');
  return JSON.stringify({ ...rest, [PRINCIPAL_BYTES]: encoded });
}

/** An entry as {@link encodeEntry} stored it. */
export function decodeEntry(raw: string): ClusterClient {
  const parsed = JSON.parse(raw) as Record<string, unknown>;
  const encoded = parsed[PRINCIPAL_BYTES];
  if (typeof encoded !== 'string') return parsed as unknown as ClusterClient;
  const { [PRINCIPAL_BYTES]: _encoded, ...rest } = parsed;
  return {
    ...(rest as unknown as ClusterClient),
    principal: decodeJsonValue(Buffer.from(encoded, 'base64')),
  };
}

/** The entry to list for `client` on `node`, checked; only the fields the port defines. */
function entryOf(client: ClusterClient, node: string): ClusterClient {
  if (typeof client !== 'object' || client === null)
    throw new TypeError('a cluster client must be an object');
  checkId(client.id, 'client id');
  if (typeof client.connectedAt !== 'number' || !Number.isFinite(client.connectedAt))
    throw new TypeError('a cluster client needs a finite connectedAt');
  if (client.user !== undefined && typeof client.user !== 'string')
    throw new TypeError("a cluster client's user must be a string or undefined");
  if (client.parked !== undefined && typeof client.parked !== 'boolean')
    throw new TypeError("a cluster client's parked must be a boolean or undefined");
  const entry: { -readonly [K in keyof ClusterClient]: ClusterClient[K] } = {
    id: client.id,
    node,
    connectedAt: client.connectedAt,
  };
  if (client.user !== undefined) entry.user = client.user;
  if (client.parked !== undefined) entry.parked = client.parked;
  // Checked as a packet's data is: a TypeError for anything JSON (with bytes) does not carry.
  if (client.principal !== undefined) {
    stringifyWithBytes(client.principal, true);
    entry.principal = client.principal;
  }
  return entry;
}

function checkId(id: unknown, what: string): asserts id is string {
  if (typeof id !== 'string' || id === '')
    throw new TypeError(`a ${what} must be a non-empty string`);
}

function checkTopic(topic: unknown): asserts topic is string {
  if (typeof topic !== 'string') throw new TypeError('a topic must be a string');
}
