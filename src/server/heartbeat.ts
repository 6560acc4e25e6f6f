import { unref } from '../shared/unref.js';
import { PlugSocketError } from '../errors.js';
import type { AnyFrame } from '../ports/types.js';
import type { ServerCore } from './core.js';
import { heartbeatPeriod } from '../shared/heartbeat-period.js';
import type { Session } from './session.js';

/** Heartbeat settings, as the facade resolved them. */
export interface HeartbeatSettings {
  /** Milliseconds between two pings of a client. */
  readonly interval: number;
  /** Milliseconds a client has to show it is alive after a ping. */
  readonly timeout: number;
}

/** Clients a sweep visits before it lets the event loop run. */
const SLICE = 1000;

/**
 * @internal Server heartbeats: one timer for every client, not one per client. Each sweep pings
 * the clients whose last ping is `interval` old, and ends, at once and without a close
 * handshake, those that showed no sign of life within `timeout` of their ping: no pong and no
 * frame, which is what a frozen process, a vanished host or a dropped route look like. The ping
 * is the transport's where its manifest declares one (`supports.ping`), the protocol's `ping`
 * frame otherwise; never both. A pong gives the round-trip time.
 */
export class Heartbeat<P> {
  /** Times are kept as milliseconds since this, small enough to stay small integers. */
  readonly #start = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;
  /** The protocol's `ping` frame, encoded once; undefined when the transport pings. */
  #pingFrame: AnyFrame | undefined;
  /** The sweep in progress: where it is among the clients, and the time it started at. */
  #cursor: Iterator<Session<P>> | undefined;
  #sweepAt = 0;
  #sliceTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly core: ServerCore<P>,
    private readonly settings: HeartbeatSettings,
    /** A client that missed its pong: this is called, then its connection is terminated. */
    private readonly timedOut: (session: Session<P>) => void,
  ) {}

  /** Starts the sweep (on listen). Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setInterval(
      this.#sweep,
      heartbeatPeriod(this.settings.interval, this.settings.timeout),
    );
    unref(this.#timer);
  }

  /** Stops the sweep (on shutdown). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#sliceTimer !== undefined) clearTimeout(this.#sliceTimer);
    this.#timer = undefined;
    this.#sliceTimer = undefined;
    this.#cursor = undefined;
  }

  /** A pong from `session`, the transport's or the protocol's: alive, and the round trip. */
  pong(session: Session<P>): void {
    session.hbSeen = true;
    if (session.hbPingAt >= 0) {
      session.hbRtt = this.#now() - session.hbPingAt;
      session.hbPingAt = -1;
    }
  }

  #now(): number {
    return Date.now() - this.#start;
  }

  readonly #sweep = (): void => {
    // A sweep still going through its slices is not started again.
    if (this.#cursor !== undefined) return;
    if (!this.core.adapter.supports.ping)
      this.#pingFrame ??= this.core.router.encodeEnvelope({ k: 'ping' });
    this.#sweepAt = this.#now();
    this.#cursor = this.core.registry.byId.values();
    this.#slice();
  };

  /**
   * Visits the next {@link SLICE} clients of the sweep, then yields to the event loop until the
   * next slice: pinging 10,000 clients in one go would hold the loop for as long as their pings
   * take to write. A Map iterator sees the clients admitted meanwhile and skips those gone.
   */
  readonly #slice = (): void => {
    const cursor = this.#cursor;
    if (cursor === undefined) return;
    const now = this.#sweepAt;
    for (let visited = 0; visited < SLICE; visited++) {
      const next = cursor.next();
      if (next.done === true) {
        this.#cursor = undefined;
        return;
      }
      this.#visit(next.value, now);
    }
    this.#sliceTimer = setTimeout(this.#slice, 0);
    unref(this.#sliceTimer);
  };

  #visit(session: Session<P>, now: number): void {
    if (session.status !== 'open') return;
    const { interval, timeout } = this.settings;
    if (session.hbLastPing < 0) {
      // Admitted since the last sweep: its first ping comes an interval on.
      session.hbLastPing = now;
      return;
    }
    if (session.hbPingAt >= 0) {
      if (now - session.hbPingAt < timeout) return;
      if (!session.hbSeen) {
        this.#expire(session);
        return;
      }
      // Frames came, the pong did not (yet): alive, behind a backlog. Ping again.
      session.hbPingAt = -1;
    }
    if (now - session.hbLastPing < interval) return;
    session.hbSeen = false;
    session.hbLastPing = now;
    const pingFrame = this.#pingFrame;
    const sent =
      pingFrame === undefined
        ? this.core.adapter.ping(session.connection)
        : this.core.router.control(session, pingFrame);
    if (sent) session.hbPingAt = now;
  }

  #expire(session: Session<P>): void {
    this.core.logger.debug('heartbeat timeout', { clientId: session.id });
    this.core.report(
      session.id,
      new PlugSocketError(
        'TIMEOUT',
        `no pong and no frame within ${this.settings.timeout} ms of a ping: connection ended`,
      ),
    );
    this.timedOut(session);
    this.core.adapter.terminateConnection(session.connection);
  }
}
