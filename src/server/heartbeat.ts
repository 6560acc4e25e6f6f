import { PlugSocketError } from '../errors.js';
import type { ServerCore } from './core.js';
import type { Session } from './session.js';

/** Heartbeat settings, as the facade resolved them. */
export interface HeartbeatSettings {
  /** Milliseconds between two pings of a client. */
  readonly interval: number;
  /** Milliseconds a client has to show it is alive after a ping. */
  readonly timeout: number;
}

/** A session's heartbeat state: made on its first ping. */
export interface HeartbeatState {
  /** When the outstanding ping was sent (ms since the heartbeat started), or -1. */
  pingAt: number;
  /** When the last ping was sent (ms since the heartbeat started). */
  lastPing: number;
  /** Whether anything (a frame, a pong) came from the client since the outstanding ping. */
  seen: boolean;
  /** The last measured round trip, in milliseconds, or -1. */
  rtt: number;
}

/**
 * @internal Server heartbeats: one timer for every client, not one per client. Each sweep pings
 * the clients whose last ping is `interval` old (a transport ping, answered by the transport's
 * pong), and ends, at once and without a close handshake, those that showed no sign of life
 * within `timeout` of their ping: no pong and no frame, which is what a frozen process, a
 * vanished host or a dropped route look like. A pong gives the round-trip time.
 */
export class Heartbeat<P> {
  readonly #start = Date.now();
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(
    private readonly core: ServerCore<P>,
    private readonly settings: HeartbeatSettings,
    /** A client that missed its pong: this is called, then its connection is terminated. */
    private readonly timedOut: (session: Session<P>) => void,
  ) {}

  /** Starts the sweep (on listen). Idempotent. */
  start(): void {
    if (this.#timer !== undefined) return;
    const period = Math.max(1, Math.min(this.settings.interval, this.settings.timeout));
    this.#timer = setInterval(this.#sweep, period);
    this.#timer.unref?.();
  }

  /** Stops the sweep (on shutdown). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** The transport's pong: alive, and the round trip of the outstanding ping. */
  pong(session: Session<P>): void {
    const state = session.heartbeat;
    if (state === undefined) return;
    state.seen = true;
    if (state.pingAt >= 0) {
      state.rtt = this.#now() - state.pingAt;
      state.pingAt = -1;
    }
  }

  #now(): number {
    return Date.now() - this.#start;
  }

  readonly #sweep = (): void => {
    const now = this.#now();
    const { interval, timeout } = this.settings;
    const adapter = this.core.adapter;
    for (const session of this.core.registry.byId.values()) {
      if (session.status !== 'open') continue;
      const state = session.heartbeat;
      if (state === undefined) {
        // Admitted since the last sweep: its first ping comes an interval on.
        session.heartbeat = { pingAt: -1, lastPing: now, seen: false, rtt: -1 };
        continue;
      }
      if (state.pingAt >= 0) {
        if (now - state.pingAt < timeout) continue;
        if (!state.seen) {
          this.#expire(session);
          continue;
        }
        // Frames came, the pong did not (yet): alive, behind a backlog. Ping again.
        state.pingAt = -1;
      }
      if (now - state.lastPing < interval) continue;
      state.seen = false;
      state.lastPing = now;
      if (adapter.ping(session.connection)) state.pingAt = now;
    }
  };

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
