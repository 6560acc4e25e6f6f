import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  debugLogger,
  type AnyFrame,
  type Logger,
  type SessionRecord,
  type SessionStore,
} from '../../src/index.js';
import { decodeJsonValue, encodeJsonValue } from './codec.js';
import { RedisKeys } from './keys.js';
import { clientFor, closeClient, type RedisConnection } from './redis-connection.js';
import { TAKE_SESSION } from './scripts.js';

/** Options of {@link RedisSessionStore}. */
export interface RedisSessionStoreOptions {
  /**
   * An ioredis client (never closed by the store), or the options or URL to make one from
   * (closed by {@link RedisSessionStore.close}). A client's own `keyPrefix` is honoured.
   * @default 'redis://127.0.0.1:6379'
   */
  readonly redis?: RedisConnection;
  /**
   * What every key starts with: `<prefix>:session:<id>` holds a record, `<prefix>:session-log:<id>`
   * its log. Give two applications (or two test runs) on one Redis different prefixes.
   * @default 'plugsocket'
   */
  readonly prefix?: string;
  /** Where diagnostics go. @default debugLogger('plugsocket:redis') */
  readonly logger?: Logger;
}

/** The record as stored: all but the log, plus what checks it. */
interface StoredRecord extends Omit<SessionRecord, 'log'> {
  /** Format version. */
  readonly v: 1;
  /** Random per save, so that two saves of equal records still differ (see take). */
  readonly stamp: string;
  /** Frames in the log stream. */
  readonly logLength: number;
}

/** Field names of a log entry: text frame, binary frame, structured (JSON array) frame. */
const TEXT = 's';
const BYTES = 'b';
const STRUCTURED = 'j';

/**
 * A {@link SessionStore} in Redis, shared by every server that uses the same Redis and prefix:
 * sessions saved by a server that shuts down are resumed by the next process, or by another
 * node. It is the `sessions` of a `RedisBackplane`, and works on its own for a single server
 * that restarts.
 *
 * A record is a key `<prefix>:session:<id>` holding its fields as JSON, expiring after `ttl`;
 * its `log` is a stream `<prefix>:session-log:<id>` (one entry per frame, text and bytes kept
 * apart so each comes back as it went in) expiring with it. `take` reads both in one MULTI, runs
 * `accept`, then deletes them with a compare-and-delete script only if the record is the one it
 * read: of two servers taking one session at once, one gets it, the other `undefined`.
 *
 * **What a record may hold.** `data` values and `principal` are stored as JSON, with
 * `Uint8Array`s kept as bytes: they come back as `JSON.parse(JSON.stringify(value))` would give
 * them (a `Date` as its ISO string, a class instance as a plain object of its own fields). A
 * principal JSON cannot encode (a cycle, a bigint) is left out (the resuming server uses the
 * fresh principal its authorization returns); a `data` value JSON cannot encode makes `save`
 * reject with a `TypeError`.
 *
 * @example
 * ```ts
 * const sessions = new RedisSessionStore({ redis: 'redis://127.0.0.1:6379', prefix: 'chat' });
 * const server = new SocketServer(adapter, { sessionStore: sessions });
 * ```
 */
export class RedisSessionStore implements SessionStore {
  readonly #redis: Redis;
  readonly #owned: boolean;
  readonly #keys: RedisKeys;
  readonly #logger: Logger;

  constructor(options: RedisSessionStoreOptions = {}) {
    const prefix = options.prefix ?? 'plugsocket';
    if (typeof prefix !== 'string' || prefix === '')
      throw new TypeError('prefix must be a non-empty string');
    const { client, owned } = clientFor(options.redis);
    this.#redis = client;
    this.#owned = owned;
    this.#keys = new RedisKeys(prefix);
    this.#logger = options.logger ?? debugLogger('plugsocket:redis');
  }

  async save(record: SessionRecord, ttl: number): Promise<void> {
    if (typeof record?.id !== 'string') throw new TypeError('a session record needs a string id');
    if (!Array.isArray(record.log)) throw new TypeError('a session record needs a log array');
    if (typeof ttl !== 'number' || !(ttl > 0)) return;
    const { log, ...fields } = record;
    const stored: StoredRecord = {
      ...fields,
      principal: this.#encodablePrincipal(record),
      v: 1,
      stamp: randomUUID(),
      logLength: log.length,
    };
    const encoded = encodeJsonValue(stored);
    const px = Math.max(1, Math.ceil(ttl));
    const key = this.#keys.session(record.id);
    const logKey = this.#keys.sessionLog(record.id);
    const multi = this.#redis.multi().del(key, logKey).set(key, encoded, 'PX', px);
    for (const frame of log) {
      if (typeof frame === 'string') multi.xadd(logKey, '*', TEXT, frame);
      else if (frame instanceof Uint8Array) multi.xadd(logKey, '*', BYTES, toBuffer(frame));
      else if (Array.isArray(frame)) multi.xadd(logKey, '*', STRUCTURED, encodeJsonValue(frame));
      else throw new TypeError('a session log holds strings, Uint8Arrays and arrays');
    }
    if (log.length > 0) multi.pexpire(logKey, px);
    const results = await multi.exec();
    const failed = results?.find(([error]) => error !== null)?.[0];
    if (results === null || failed) throw failed ?? new Error('session save was aborted');
  }

  async take(
    id: string,
    accept: (record: SessionRecord) => boolean,
  ): Promise<SessionRecord | undefined> {
    if (typeof id !== 'string') return undefined;
    const key = this.#keys.session(id);
    const logKey = this.#keys.sessionLog(id);
    // One MULTI, so the record and its log are read as one save wrote them.
    const results = await this.#redis.multi().getBuffer(key).xrangeBuffer(logKey, '-', '+').exec();
    if (results === null) return undefined;
    const [[recordError, raw], [logError, entries]] = results as [
      [Error | null, Buffer | null],
      [Error | null, [Buffer, Buffer[]][]],
    ];
    if (recordError) throw recordError;
    if (logError) throw logError;
    if (raw === null) return undefined;
    const record = this.#decode(id, raw, entries);
    if (record === undefined || record.expiresAt <= Date.now()) return undefined;
    if (!accept(record)) return undefined;
    const taken = await TAKE_SESSION.run(this.#redis, key, logKey, raw);
    return taken === 1 ? record : undefined;
  }

  /** Closes the Redis client if the store made it; a client you passed is left open. */
  async close(): Promise<void> {
    if (this.#owned) await closeClient(this.#redis);
  }

  #encodablePrincipal(record: SessionRecord): unknown {
    try {
      encodeJsonValue(record.principal ?? null);
      return record.principal;
    } catch (error) {
      this.#logger.debug('session principal left out: JSON cannot encode it', {
        session: record.id,
        error,
      });
      return undefined;
    }
  }

  #decode(id: string, raw: Buffer, entries: [Buffer, Buffer[]][]): SessionRecord | undefined {
    try {
      const stored = decodeJsonValue(raw) as StoredRecord;
      if (stored?.v !== 1 || typeof stored.logLength !== 'number')
        throw new TypeError('not a record this version wrote');
      if (entries.length !== stored.logLength)
        throw new TypeError(`its log holds ${entries.length} of ${stored.logLength} frames`);
      const log: AnyFrame[] = entries.map(([, fields]) => decodeFrame(fields));
      const { v: _v, stamp: _stamp, logLength: _length, ...fields } = stored;
      return { ...fields, log };
    } catch (error) {
      this.#logger.warn('unreadable session record ignored', { session: id, error });
      return undefined;
    }
  }
}

function decodeFrame(fields: Buffer[]): AnyFrame {
  const name = fields[0]?.toString('latin1');
  const value = fields[1];
  if (value === undefined) throw new TypeError('a log entry without a value');
  if (name === TEXT) return value.toString('utf8');
  if (name === BYTES) return new Uint8Array(value);
  if (name === STRUCTURED) return decodeJsonValue(value) as readonly unknown[];
  throw new TypeError(`a log entry with an unknown field ${name}`);
}

/** A Buffer over the same memory, for ioredis (which writes Buffers as they are). */
export function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
