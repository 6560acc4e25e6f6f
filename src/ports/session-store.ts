import { unref } from '../shared/unref.js';
import type { AnyFrame } from './types.js';

/**
 * A session as a server hands it over: everything another server (the next process, or another
 * node) needs to resume it. Written when the server that held it shuts down; read once, by the
 * server the client resumes on. The values are plain data but for `principal`, which is whatever
 * the `AuthorizationStrategy` returned (a store that serializes must be able to encode it, or
 * leave it out: the resuming server verifies the client's credentials again and uses the fresh
 * principal, checking only that `principalKey` matches).
 */
export interface SessionRecord {
  /** The client id, kept across the resume. */
  readonly id: string;
  /** The secret half of the resume token; only a client presenting it may resume. */
  readonly secret: string;
  /** The secret before the last renewal, also accepted (its welcome may not have arrived). */
  readonly previousSecret?: string | undefined;
  /** The principal the session was admitted as. */
  readonly principal: unknown;
  /** The principal's id (see the server's `principalId`), or undefined for anonymous clients. */
  readonly principalKey: string | undefined;
  /** The topics the client was in. */
  readonly topics: readonly string[];
  /** What middleware and handlers stored with `client.set`. */
  readonly data: readonly (readonly [string, unknown])[];
  /** Stream frames the server took from the client in this session. */
  readonly received: number;
  /** Stream position of `log[0]`; `log.length` more make what the server sent. */
  readonly logStart: number;
  /** What the server sent and the client had not acknowledged, oldest first, as encoded. */
  readonly log: readonly AnyFrame[];
  /** When the resume window ends, in ms since the epoch. */
  readonly expiresAt: number;
  /**
   * On a cluster: how far the saving node had read each node's messages (node id → sequence
   * number), so the node that resumes the session can add what was sent after the save. A store
   * keeps it as it keeps `data`; absent on a single server.
   */
  readonly position?: Readonly<Record<string, number>> | undefined;
}

/**
 * The port where sessions wait to be resumed by another server than the one that held them: the
 * next process after a restart, or (with a shared store) another node. A server keeps the
 * sessions of its own lost connections in memory and resumes them there; it writes to the store
 * when it shuts down, and reads from it when a client presents a session it does not hold.
 *
 * Both calls may return a promise. `take` must be atomic: of two servers taking the same id at
 * once, at most one gets the record, and a record `accept` refuses (a forged or stale token) stays
 * where it is for its owner. A record past `ttl` must not be returned.
 *
 * A record holds no credentials: not the handshake, whose `auth`, headers and query may carry
 * secrets — the resuming server has the new connection's. It does hold `principal`.
 */
export interface SessionStore {
  /** Keeps `record` for `ttl` milliseconds (replacing one with the same id). */
  save(record: SessionRecord, ttl: number): void | Promise<void>;
  /**
   * Removes and returns the record of session `id` when `accept(record)` is true; undefined when
   * there is none (or it expired) or `accept` refused it, which then stays stored.
   */
  take(
    id: string,
    accept: (record: SessionRecord) => boolean,
  ): SessionRecord | undefined | Promise<SessionRecord | undefined>;
}

/**
 * The default {@link SessionStore}: records in a `Map`, each dropped when its time is up. It
 * lives as long as the object: one made per server loses its sessions with the process, and a
 * client of a restarted process is told `resumed: false` (`expired`). Give the same instance to a
 * server you stop and start again in one process to resume across the restart.
 */
export class MemorySessionStore implements SessionStore {
  readonly #records = new Map<
    string,
    { record: SessionRecord; timer: ReturnType<typeof setTimeout> | undefined }
  >();

  /** Records held now. */
  get size(): number {
    return this.#records.size;
  }

  save(record: SessionRecord, ttl: number): void {
    if (typeof record?.id !== 'string') throw new TypeError('a session record needs a string id');
    if (typeof ttl !== 'number' || !(ttl > 0)) return;
    this.#drop(record.id);
    const until = Date.now() + ttl;
    const entry = { record, timer: undefined as ReturnType<typeof setTimeout> | undefined };
    // A timer fires at most 2^31 - 1 ms on: a longer ttl is checked again then.
    const arm = (): void => {
      const left = until - Date.now();
      if (left <= 0) {
        this.#drop(record.id);
        return;
      }
      entry.timer = setTimeout(arm, Math.min(left, 2 ** 31 - 1));
      // A waiting record must not keep a process alive.
      unref(entry.timer);
    };
    this.#records.set(record.id, entry);
    arm();
  }

  take(id: string, accept: (record: SessionRecord) => boolean): SessionRecord | undefined {
    const entry = this.#records.get(id);
    if (entry === undefined) return undefined;
    if (entry.record.expiresAt <= Date.now()) {
      this.#drop(id);
      return undefined;
    }
    if (!accept(entry.record)) return undefined;
    this.#drop(id);
    return entry.record;
  }

  #drop(id: string): void {
    const entry = this.#records.get(id);
    if (entry === undefined) return;
    clearTimeout(entry.timer);
    this.#records.delete(id);
  }
}
