import { debugLogger, type Logger } from '../../src/index.js';
import type { RedisConnection } from './redis-connection.js';

/** Options of {@link RedisBackplane}. */
export interface RedisBackplaneOptions {
  /**
   * Where Redis is: an ioredis client, or the options or `redis://` URL to make one from. The
   * backplane makes its own two connections with `duplicate()` (one for commands and publishing,
   * one for subscribing), with its own settings for them (no offline queue, `commandTimeout`,
   * no `keyPrefix`: name keys with `prefix`); the client itself serves
   * {@link RedisBackplane.sessions}. A client you pass is never closed unless `closeClient` is
   * true; one made from options is closed by `close()`.
   * Redis 7 or later is expected; Redis Cluster is not supported (Sentinel is).
   * @default 'redis://127.0.0.1:6379'
   */
  readonly redis?: RedisConnection;
  /**
   * Also close the client passed as `redis` when the backplane closes.
   * @default false
   */
  readonly closeClient?: boolean;
  /**
   * What every key and channel name starts with (`<prefix>:…`), so that clusters (or test runs)
   * sharing one Redis never see each other. Every node of a cluster uses the same prefix. Note
   * that pub/sub channels ignore the database number: two clusters in different databases still
   * need different prefixes.
   * @default 'plugsocket'
   */
  readonly prefix?: string;
  /**
   * How often, in ms, the node renews its liveness key and checks the other nodes'.
   * @default 5000
   */
  readonly heartbeatInterval?: number;
  /**
   * How long, in ms, a node's liveness key lives after its last renewal: a node that stopped
   * without `close()` is cleaned up by a survivor this long (plus up to one `heartbeatInterval`)
   * after its last heartbeat. Must exceed `heartbeatInterval`; three times it or more rides out
   * a missed heartbeat.
   * @default 15000
   */
  readonly nodeTimeout?: number;
  /**
   * How long, in ms, a Redis command may take before it fails (and a connection that answers
   * nothing for that long is dropped and dialled again), so that no call hangs on a dead link.
   * @default 5000
   */
  readonly commandTimeout?: number;
  /**
   * Sharded pub/sub (SPUBLISH / SSUBSCRIBE): `'auto'` uses it when the server is Redis 7 or
   * later, `true` and `false` force it on or off. Every node of a cluster must end up with the
   * same choice: sharded and classic channels do not hear each other.
   * @default 'auto'
   */
  readonly sharded?: boolean | 'auto';
  /**
   * Where diagnostics go (malformed packets, outages, failed clean-ups).
   * @default debugLogger('plugsocket:redis')
   */
  readonly logger?: Logger;
}

/** Counters of one backplane's traffic, from {@link RedisBackplane.stats}. */
export interface RedisBackplaneStats {
  /** Packets handed to Redis (the adapter's own included). */
  readonly packetsOut: number;
  /** Packets from other nodes handed to the domain (`BackplaneNode.receive`). */
  readonly packetsIn: number;
  /** Bytes of the packets handed to Redis. */
  readonly bytesOut: number;
  /** Bytes of every pub/sub message received (a node hears its own broadcasts too). */
  readonly bytesIn: number;
  /**
   * Packets lost at this node: published while the link was down (or whose publish failed), or
   * received while it was down.
   */
  readonly dropped: number;
  /** Messages refused as malformed (each is logged). */
  readonly invalid: number;
  /** Times the link went down after being up (`state('disconnected')` calls). */
  readonly outages: number;
}

/** The options with their defaults, checked. */
export interface ResolvedRedisBackplaneOptions {
  readonly prefix: string;
  readonly heartbeatInterval: number;
  readonly nodeTimeout: number;
  readonly commandTimeout: number;
  readonly sharded: boolean | 'auto';
  readonly closeClient: boolean;
  readonly logger: Logger;
}

export function resolveOptions(options: RedisBackplaneOptions): ResolvedRedisBackplaneOptions {
  const prefix = options.prefix ?? 'plugsocket';
  if (typeof prefix !== 'string' || prefix === '')
    throw new TypeError('prefix must be a non-empty string');
  const heartbeatInterval = positive(options.heartbeatInterval ?? 5000, 'heartbeatInterval');
  const nodeTimeout = positive(options.nodeTimeout ?? 15000, 'nodeTimeout');
  if (nodeTimeout <= heartbeatInterval)
    throw new RangeError(
      `nodeTimeout (${nodeTimeout} ms) must exceed heartbeatInterval (${heartbeatInterval} ms)`,
    );
  const commandTimeout = positive(options.commandTimeout ?? 5000, 'commandTimeout');
  const sharded = options.sharded ?? 'auto';
  if (sharded !== 'auto' && typeof sharded !== 'boolean')
    throw new TypeError("sharded must be 'auto', true or false");
  return {
    prefix,
    heartbeatInterval,
    nodeTimeout,
    commandTimeout,
    sharded,
    closeClient: options.closeClient === true,
    logger: options.logger ?? debugLogger('plugsocket:redis'),
  };
}

function positive(value: unknown, name: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2 ** 31 - 1)
    throw new RangeError(`${name} must be a number of ms between 1 and 2^31 - 1`);
  return Math.ceil(value);
}
