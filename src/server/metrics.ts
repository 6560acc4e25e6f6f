/**
 * What {@link ServerMetricsSnapshot.refusals} counts: things the server turned away to protect
 * itself, by reason.
 */
export interface ServerRefusals {
  /**
   * Connections refused during admission for want of valid credentials: refused by connection
   * middleware, denied by the `AuthorizationStrategy` (4401/4403), admitted with credentials
   * already expired (4419), a first frame that was not an `auth` frame, admission not finished
   * within `handshakeTimeout` / `authTimeout` (4408), and addresses the auth throttle blocks
   * (4429). A strategy or middleware that throws is an error (1011), counted in `errors`, not
   * here; neither is a refused credential refresh of an admitted client (a `nack`).
   */
  readonly auth: number;
  /**
   * Frames from admitted clients refused by the per-connection rate limit (`rateLimit`), each
   * one, including those that arrive after the client was cut off and before its connection
   * closes.
   */
  readonly rateLimit: number;
  /**
   * Frames refused for their size: over `maxPayload` from an admitted client
   * (`PAYLOAD_TOO_LARGE`), and, during admission, a credentials frame over `maxPendingBytes` or
   * frames held past `maxPendingFrames` / `maxPendingBytes` / `maxPendingBytesTotal` (1008).
   */
  readonly payload: number;
  /** Connections refused at accept by `maxConnections` or `maxConnectionsPerAddress` (1013). */
  readonly capacity: number;
}

/**
 * A point-in-time copy of a server's counters, as {@link SocketServer.getMetrics} returns it: a
 * plain frozen object, safe to keep, compare or serialise. Counters only grow over the server's
 * life (they are not reset by `getMetrics`); `connections`, `topics` and `uptime` are current
 * values.
 *
 * @example
 * ```ts
 * const before = server.getMetrics();
 * // …
 * const after = server.getMetrics();
 * console.log('messages/s', (after.messagesIn - before.messagesIn) / ((after.uptime - before.uptime) / 1000));
 * ```
 */
export interface ServerMetricsSnapshot {
  /** Clients admitted and connected now (past authorization; those still in admission are not). */
  readonly connections: number;
  /** Clients admitted since the server was made (each `welcome` sent). */
  readonly connectionsTotal: number;
  /**
   * Frames received from clients, admitted or in admission, of every kind (messages, requests,
   * answers, joins, …), counted as they arrive, before any check: refused frames included.
   */
  readonly messagesIn: number;
  /**
   * Frames the transport accepted for sending (its `send` returned true; for a broadcast, the
   * number of connections `sendMany` took it for): application messages and protocol frames
   * (`welcome`, answers, errors, requests, …). A broadcast to N clients counts N.
   */
  readonly messagesOut: number;
  /**
   * Size of the frames in `messagesIn`: a text frame's length in UTF-16 code units (equal to its
   * UTF-8 size for ASCII text; the transports hand over decoded strings, so the exact byte count
   * would cost a walk of each frame), a binary frame's `byteLength`. Structured frames (the
   * values a transport such as Socket.IO carries without a text encoding) are not measured,
   * as that would walk each of them: they add 0.
   */
  readonly bytesIn: number;
  /** Size of the frames in `messagesOut`, measured as `bytesIn` is; a broadcast counts its frame once per recipient. */
  readonly bytesOut: number;
  /** Errors reported on `onError` (each call, whatever its code; refusals reported there count in both). */
  readonly errors: number;
  /** What the server refused, by reason. */
  readonly refusals: ServerRefusals;
  /** Clients ended for missing their heartbeat (as `onClientTimeout` reports them). */
  readonly timeouts: number;
  /**
   * Volatile messages skipped for a recipient whose backlog was over the transport's
   * `highWaterMark` (one per recipient); see docs/backpressure.md.
   */
  readonly volatileDropped: number;
  /**
   * Subscribers of each topic that has any, built from the server's topic index when the
   * snapshot is taken (never counted on the hot path). Every topic name, `__proto__` included,
   * is an own key.
   */
  readonly topics: Readonly<Record<string, number>>;
  /** Milliseconds since `listen()` was called; 0 before, and fixed once shutdown has completed. */
  readonly uptime: number;
  /** The link to the other nodes (all 0 without a `backplane`); see docs/scaling.md. */
  readonly backplane: BackplaneMetrics;
}

/** What {@link ServerMetricsSnapshot.backplane} counts. */
export interface BackplaneMetrics {
  /** 1 while the backplane is reachable, 0 while it is not (and without one). */
  readonly up: number;
  /** Times it became unreachable. */
  readonly outages: number;
  /** Packets this node handed to the backplane (broadcasts, requests, answers, presence). */
  readonly packetsOut: number;
  /** Packets other nodes sent this node. */
  readonly packetsIn: number;
  /**
   * Packets this node did not send because the backplane was unreachable: what other nodes'
   * clients missed meanwhile (the `state` event tells the application when it is back).
   */
  readonly packetsDropped: number;
  /** Directory writes that failed and packets that could not be handled. */
  readonly errors: number;
}

/**
 * @internal The server's live counters. Plain numeric fields, bumped with `++` / `+=` where the
 * event happens: no map, no clock and no allocation per message. `SocketServer.getMetrics()`
 * copies them into a frozen {@link ServerMetricsSnapshot}.
 */
export class ServerMetrics {
  connectionsTotal = 0;
  messagesIn = 0;
  messagesOut = 0;
  bytesIn = 0;
  bytesOut = 0;
  errors = 0;
  refusedAuth = 0;
  refusedRateLimit = 0;
  refusedPayload = 0;
  refusedCapacity = 0;
  /** Heartbeat timeouts: bumped from the heartbeat's timed-out callback. */
  timeouts = 0;
  backplaneUp = 0;
  backplaneOutages = 0;
  backplaneOut = 0;
  backplaneIn = 0;
  backplaneDropped = 0;
  backplaneErrors = 0;
  /** `Date.now()` at `listen()`, or -1 before. */
  startedAt = -1;
  /** `Date.now()` once shutdown completed, or -1 while running. */
  stoppedAt = -1;

  /** A frozen copy, with the current connections and per-topic subscriber counts given by the caller. */
  snapshot(
    connections: number,
    topics: Iterable<readonly [string, { readonly size: number }]>,
    volatileDropped: number,
  ): ServerMetricsSnapshot {
    const entries: [string, number][] = [];
    for (const [topic, members] of topics) entries.push([topic, members.size]);
    const end = this.stoppedAt >= 0 ? this.stoppedAt : Date.now();
    return Object.freeze({
      connections,
      connectionsTotal: this.connectionsTotal,
      messagesIn: this.messagesIn,
      messagesOut: this.messagesOut,
      bytesIn: this.bytesIn,
      bytesOut: this.bytesOut,
      errors: this.errors,
      refusals: Object.freeze({
        auth: this.refusedAuth,
        rateLimit: this.refusedRateLimit,
        payload: this.refusedPayload,
        capacity: this.refusedCapacity,
      }),
      timeouts: this.timeouts,
      volatileDropped,
      // `fromEntries` defines own data properties, so a topic named `__proto__` is a key like any other.
      topics: Object.freeze(Object.fromEntries(entries)),
      uptime: this.startedAt < 0 ? 0 : end - this.startedAt,
      backplane: Object.freeze({
        up: this.backplaneUp,
        outages: this.backplaneOutages,
        packetsOut: this.backplaneOut,
        packetsIn: this.backplaneIn,
        packetsDropped: this.backplaneDropped,
        errors: this.backplaneErrors,
      }),
    });
  }
}

/**
 * @internal The size a frame adds to `bytesIn` / `bytesOut`: UTF-16 length of text, byte length
 * of binary, 0 for a structured frame (measuring one would walk it).
 */
export function countedSize(frame: unknown): number {
  if (typeof frame === 'string') return frame.length;
  return Array.isArray(frame) ? 0 : (frame as Uint8Array).byteLength;
}
