import { PlugSocketError } from '../errors.js';
import { ServerConnection } from '../ports/server-connection.js';
import type { AnyFrame, Handshake } from '../ports/types.js';
import type { PendingRequests } from '../shared/pending-requests.js';
import type { RateState } from './rate-limit.js';
import type { ResumeLog } from './resume-log.js';

/** A client the server has admitted, as applications see it. */
export interface ConnectedClient<P = unknown> {
  /** The server-assigned id, unique for the life of the server. */
  readonly id: string;
  /** What the client presented when it connected. */
  readonly handshake: Handshake;
  /** Who the client is, as the `AuthorizationStrategy` decided (undefined with allow-all). */
  readonly principal: P;
  /** The topics the client is subscribed to. */
  readonly topics: ReadonlySet<string>;
  /** When the client was admitted (on its current connection). */
  readonly connectedAt: Date;
  /**
   * True when the current connection resumed the client's session after a lost one: same id,
   * principal, topics and data, and what was sent meanwhile delivered (docs/delivery-guarantees.md).
   * `onConnection` is called again for it; check this to skip what a client needs only once.
   */
  readonly resumed: boolean;
  /**
   * The round trip of the last heartbeat ping, in milliseconds; undefined before the first pong
   * (or with heartbeats off).
   */
  readonly latency: number | undefined;
  /**
   * Bytes of memory this client's send backlog holds on the server, as the transport reports it
   * (0 where it cannot tell, and once the client is gone). See docs/backpressure.md.
   */
  readonly bufferedAmount: number;
  /**
   * False while the client is saturated: its backlog is above the transport's `highWaterMark`
   * (volatile messages to it are being dropped), or it is gone. A producer that sends much should
   * wait for {@link drained} then, rather than queue without limit until the client is dropped as
   * a slow consumer:
   * ```ts
   * for (const row of rows) {
   *   if (!client.writable) await client.drained();
   *   if (!server.sendToClient(client.id, { type: 'row', payload: row })) break; // gone
   * }
   * ```
   */
  readonly writable: boolean;
  /**
   * Resolves when the client's backlog has fallen to half of the `highWaterMark` or below, or when
   * it is disconnected (at once when either holds already). Never rejects.
   */
  drained(): Promise<void>;
  /** Reads a value stored on this client's session (by middleware, handlers or you). */
  get<T = unknown>(key: string): T | undefined;
  /**
   * Stores a value on this client's session; it lives as long as the session (across a lost
   * connection that is resumed, and to the next server through a shared `SessionStore`).
   */
  set(key: string, value: unknown): void;
}

const NO_TOPICS: ReadonlySet<string> = new Set<string>();
const EPOCH = Date.now();

/**
 * @internal The connection of a parked session (its client lost the connection and may resume): closed,
 * sending nothing, holding nothing of the transport's.
 */
export const PARKED: ServerConnection = (() => {
  const none = {
    send: () => false,
    closeConnection: () => Promise.resolve(),
    bufferedAmount: () => 0,
    isWritable: () => false,
    whenDrained: () => Promise.resolve(),
  };
  const handshake = Object.freeze({
    url: '',
    headers: Object.freeze({}),
    query: Object.freeze({}),
    auth: Object.freeze({}),
  });
  const connection = new ServerConnection(none, undefined, handshake);
  connection._state = 'closed';
  return connection;
})();

/** @internal A session's state while it is being admitted. */
export interface AdmissionState {
  /** Frames received before admission, once a timer bounds it (else they are refused). */
  pending: AnyFrame[] | undefined;
  /** Size of the frames in `pending` (see `frameSize`), bounded by `maxPendingBytes`. */
  bytes: number;
  /** Bounds admission; cleared when it settles or the connection goes. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** True while admission waits for a first-frame `auth`. */
  awaitingCredentials: boolean;
}

/**
 * @internal A client's identity and state: id, principal, per-connection data, topics, requests
 * in flight and timers. A transport connection attaches to it on accept; {@link dispose} releases
 * everything it holds in one place when the connection goes. Fields that most idle clients never
 * need are created on first use (memory per connection).
 */
export class Session<P = unknown> implements ConnectedClient<P> {
  /** Milliseconds since the module loaded: a small integer, not a boxed double, for weeks. */
  #connectedAt = Date.now() - EPOCH;
  principal = undefined as P;
  /** True when the current connection resumed this session. */
  resumed = false;
  /** True once presence (and, on a cluster, the directory) lists it; false again when it ends. */
  listed = false;
  /** The resume protocol's state (log, counters, token); undefined with resume off. */
  resume: ResumeLog | undefined;
  /** Ends a parked session when its resume window is over. */
  parkTimer: ReturnType<typeof setTimeout> | undefined;
  /** While parked: when the resume window ends (ms since the epoch). */
  parkedUntil = 0;
  /**
   * While parked: the stream position of the first frame sent after the connection was lost.
   * Once the log drops that one, the client can never resume (it missed it for sure).
   */
  parkedAt = 0;
  /** While parked: its log lost a frame its client missed, so it can only end (`overflow`). */
  doomed = false;
  /** The principal's id (see `principalId`), for client-to-client requests by user. */
  principalKey: string | undefined;
  /**
   * `authorizing` until admitted (frames that arrive meanwhile wait in `admission.pending`);
   * `parked` while its connection is lost and it may be resumed; `gone` once it ended.
   */
  status: 'authorizing' | 'open' | 'parked' | 'gone' = 'authorizing';
  /** What admission keeps while it runs; dropped once the client is admitted or gone. */
  admission: AdmissionState | undefined = {
    pending: undefined,
    bytes: 0,
    timer: undefined,
    awaitingCredentials: false,
  };
  /** Closes the connection when its credentials expire; made when they have an expiry. */
  expiryTimer: ReturnType<typeof setTimeout> | undefined;
  /** The rate limit's buckets; made on the first frame. */
  rate: RateState | undefined;
  /**
   * Heartbeat state, in the fields of the session rather than an object of its own (the times
   * are milliseconds since the heartbeat started, small integers): when the last ping went (-1
   * until the first sweep met the client), when the outstanding one went (-1 when none), whether
   * anything came since it, and the last round trip (-1 before the first pong).
   */
  hbLastPing = -1;
  hbPingAt = -1;
  hbSeen = false;
  hbRtt = -1;
  /** Created on the first subscription. */
  topicSet: Set<string> | undefined;
  /** Values middleware and handlers stored; created on the first `set`. */
  data: Map<string, unknown> | undefined;
  /** Requests from this client being handled now, by the client's request id. */
  incoming: Map<number, { abort(): void }> | undefined;
  /** Requests the server (or another client through it) made of this client. */
  outgoing: PendingRequests | undefined;
  /** Messages waiting while an asynchronous middleware handles an earlier one (keeps order). */
  queue: unknown[] | undefined;
  /** Aborts signals handed to message middleware when the client goes; made on first use. */
  #gone: AbortController | undefined;

  constructor(
    readonly id: string,
    /** The connection the session is on; a closed stand-in while parked. */
    public connection: ServerConnection,
    /** What the client presented on its current (or last) connection. */
    public handshake: Handshake,
  ) {}

  /** Open or parked: what is sent to it is delivered now or on resume. */
  get live(): boolean {
    const status = this.status;
    return status === 'open' || status === 'parked';
  }

  /**
   * The connection is lost but the session may be resumed: what belonged to the connection
   * (admission, credential expiry, heartbeat and rate state) is released; the rest — topics,
   * data, requests either way, the resume log — stays.
   */
  park(): void {
    this.status = 'parked';
    this.#stopTimers();
    this.rate = undefined;
    this.hbLastPing = -1;
    this.hbPingAt = -1;
    this.hbSeen = false;
    this.connection = PARKED;
  }

  /** Stops the timers of a connection: admission's, and the credentials' expiry. */
  #stopTimers(): void {
    const admission = this.admission;
    if (admission?.timer !== undefined) clearTimeout(admission.timer);
    this.admission = undefined;
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    this.expiryTimer = undefined;
  }

  /** A resuming connection takes the session over. */
  attach(connection: ServerConnection, handshake: Handshake): void {
    if (this.parkTimer !== undefined) clearTimeout(this.parkTimer);
    this.parkTimer = undefined;
    this.connection = connection;
    this.handshake = handshake;
    this.#connectedAt = Date.now() - EPOCH;
    this.resumed = true;
    this.hbRtt = -1;
  }

  get topics(): ReadonlySet<string> {
    return this.topicSet ?? NO_TOPICS;
  }

  get latency(): number | undefined {
    const rtt = this.hbRtt;
    return rtt < 0 ? undefined : rtt;
  }

  get connectedAt(): Date {
    return new Date(EPOCH + this.#connectedAt);
  }

  get bufferedAmount(): number {
    return this.connection.bufferedAmount;
  }

  get writable(): boolean {
    return this.connection.writable;
  }

  drained(): Promise<void> {
    return this.connection.drained();
  }

  get<T = unknown>(key: string): T | undefined {
    return this.data?.get(key) as T | undefined;
  }

  set(key: string, value: unknown): void {
    if (typeof key !== 'string') throw new TypeError('key must be a string');
    (this.data ??= new Map()).set(key, value);
  }

  /** A signal that aborts when this client goes. */
  get goneSignal(): AbortSignal {
    this.#gone ??= new AbortController();
    if (this.status === 'gone') this.#gone.abort();
    return this.#gone.signal;
  }

  /**
   * Ends the session: stops timers, aborts what its requests are doing, fails the requests made
   * of it with `NOT_CONNECTED`, and drops queued frames. Idempotent.
   */
  dispose(): void {
    this.status = 'gone';
    if (this.parkTimer !== undefined) clearTimeout(this.parkTimer);
    this.parkTimer = undefined;
    this.resume?.clear();
    this.#stopTimers();
    this.queue = undefined;
    this.#gone?.abort();
    if (this.incoming !== undefined) {
      for (const call of this.incoming.values()) call.abort();
      this.incoming = undefined;
    }
    this.outgoing?.failAll(
      new PlugSocketError('NOT_CONNECTED', 'the client disconnected before it answered'),
    );
    this.outgoing = undefined;
  }
}
