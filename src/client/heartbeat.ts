import { unref } from '../shared/unref.js';
import { PlugSocketError } from '../errors.js';
import { positive } from '../shared/options.js';
import { heartbeatPeriod } from '../shared/heartbeat-period.js';

/** What the client's heartbeat needs from the client it watches. */
export interface ClientHeartbeatHost {
  /** Sends a transport-level ping; false when the transport has none. */
  transportPing(): boolean;
  /** Sends the protocol's `ping` frame; false when it could not be sent. */
  protocolPing(): boolean;
  /** The server showed no sign of life in time: end the connection (the client reconnects). */
  dead(error: PlugSocketError): void;
}

/**
 * @internal The client's side of liveness: every `interval` it pings the server (a transport
 * ping where the adapter has one, the protocol's `ping` frame otherwise; never both), and ends
 * the connection when, within `timeout` of a ping, neither the pong nor any frame came: a
 * server that froze, a host that vanished, a route that drops everything look like that, and
 * none of them closes the connection. Each pong gives the round-trip time.
 *
 * One timer per client, running only while the client is open.
 */
export class ClientHeartbeat {
  #timer: ReturnType<typeof setInterval> | undefined;
  /** When the outstanding ping went (`Date.now()`), or -1. */
  #pingAt = -1;
  #lastPing = 0;
  /** Anything from the server since the outstanding ping. */
  #heard = false;
  /** Round trip of the last answered ping, ms; -1 before the first. */
  rtt = -1;
  /** When the last ping was sent; undefined before the first. */
  lastPing: number | undefined;
  /** When the last pong arrived; undefined before the first. */
  lastPong: number | undefined;
  /** Sum and count of the round trips measured, for an average. */
  rttSum = 0;
  rttCount = 0;

  constructor(
    private readonly host: ClientHeartbeatHost,
    readonly interval: number,
    readonly timeout: number,
  ) {}

  /** Starts watching a connection that just opened. */
  start(): void {
    this.stop();
    this.#pingAt = -1;
    this.#heard = false;
    this.#lastPing = Date.now();
    this.#timer = setInterval(this.#tick, heartbeatPeriod(this.interval, this.timeout));
    unref(this.#timer);
  }

  /** Stops watching (the connection closed). */
  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** A frame from the server: it is alive. Called per frame, so it is one field write. */
  heard(): void {
    this.#heard = true;
  }

  /** A pong, the transport's or the protocol's. */
  pong(): void {
    this.#heard = true;
    if (this.#pingAt < 0) return;
    const now = Date.now();
    this.rtt = now - this.#pingAt;
    this.rttSum += this.rtt;
    this.rttCount++;
    this.lastPong = now;
    this.#pingAt = -1;
  }

  readonly #tick = (): void => {
    const now = Date.now();
    if (this.#pingAt >= 0) {
      if (now - this.#pingAt < this.timeout) return;
      if (!this.#heard) {
        this.stop();
        this.host.dead(
          new PlugSocketError(
            'TIMEOUT',
            `the server showed no sign of life within ${this.timeout} ms of a ping: reconnecting`,
          ),
        );
        return;
      }
      // Frames came, the pong did not (yet): alive, behind a backlog. Ping again.
      this.#pingAt = -1;
    }
    if (now - this.#lastPing < this.interval) return;
    this.#heard = false;
    this.#lastPing = now;
    if (this.host.transportPing() || this.host.protocolPing()) {
      this.#pingAt = now;
      this.lastPing = now;
    }
  };
}

/**
 * @internal The heartbeat `heartbeatInterval` and `heartbeatTimeout` ask for (25 s and 20 s by
 * default); undefined when the interval is `Infinity`.
 * @throws {RangeError} / {TypeError} for a value that is not a positive number.
 */
export function createClientHeartbeat(
  host: ClientHeartbeatHost,
  interval: number | undefined,
  timeout: number | undefined,
): ClientHeartbeat | undefined {
  const every = positive(interval, 25_000, 'heartbeatInterval');
  const within = positive(timeout, 20_000, 'heartbeatTimeout');
  return every === Infinity ? undefined : new ClientHeartbeat(host, every, within);
}
