import type { Logger } from '../logger.js';
import type { AuthorizationStrategy } from '../ports/authorization-strategy.js';
import type { Codec } from '../ports/codec.js';
import type { QueueOverflow } from './outbox.js';
import type { ReconnectOptions } from './reconnect.js';

/** Options of `SocketClient`. */
export interface SocketClientOptions {
  /** Where the server listens, in the transport's scheme (`ws://…`, `http://…`, `memory://…`). */
  url: string;
  /** Extra handshake headers. */
  headers?: Record<string, string>;
  /** Extra query parameters. */
  query?: Record<string, string>;
  /** Credentials sent with the handshake (strategies may add to them). */
  auth?: Record<string, unknown>;
  /**
   * Resume the session after a lost connection: the client presents its session on reconnect
   * and, within the server's `resumeWindow`, nothing is lost or doubled either way — what it
   * missed is delivered, what the server had not taken is sent again, requests in flight are
   * still answered (docs/delivery-guarantees.md). `false` starts a new session on every connect.
   * Needs a transport that carries the handshake query (`supports.handshakeQuery`) and the
   * client's reconnection (with `reconnect: false` the client does not ask for it).
   * @default true
   */
  resume?: boolean;
  /** Adds credentials on every connect. @default none (`AllowAllAuthorization`) */
  authorization?: AuthorizationStrategy;
  /**
   * Frame format. @default `CompactCodec` on transports that declare `supports.structured`,
   * `JsonCodec` on the others. Both read text frames, so either side may differ.
   */
  codec?: Codec;
  /**
   * Milliseconds for the whole connect: transport handshake, authorization and the server's
   * welcome. After that `connect()` rejects with `CONNECTION_FAILED`.
   * @default 10000
   */
  connectTimeout?: number;
  /** Milliseconds `request`, `join` and `leave` wait for an answer before `TIMEOUT`. @default 10000 */
  requestTimeout?: number;
  /**
   * Requests in flight at once, each way: this client's own (more reject with
   * `TOO_MANY_REQUESTS`) and those it is handling (more are answered with it).
   * @default 256
   */
  maxRequestsInFlight?: number;
  /**
   * Largest frame accepted from the server, in bytes: UTF-8 for text, the JSON text of a
   * structured frame. A larger frame is dropped and reported as a `PAYLOAD_TOO_LARGE` error (a
   * request from the server is answered with it); the connection stays open. This is the domain's
   * limit on what the client receives, four times the server's (1 MiB): servers may send bigger
   * frames than they accept (a snapshot, an initial state), and no frame a client received before
   * this check existed is refused, since every client transport closed the connection past 4 MiB.
   * The client transports' own limits are above it (`WsSocketOptions.maxPayload`, 8 MiB), so a
   * frame just over it meets this check instead of a closed connection. Raise it together with
   * the transport's own client limit, which closes the connection past it.
   * @default 4194304 (4 MiB)
   */
  maxPayload?: number;
  /**
   * Frames this client sends per second at most (messages, requests, joins, leaves, refreshes;
   * not answers to the server's requests), with a burst of one second's worth. Past it, frames
   * wait in order and go out as the rate allows — nothing is dropped while connected, and no
   * busy loop runs. Set it to at most the server's `rateLimit.messages` per second to never meet
   * `RATE_LIMITED`. Frames still waiting when the connection closes are dropped (the requests
   * among them reject with `NOT_CONNECTED`). @default unlimited
   */
  maxRate?: number;
  /**
   * Reconnects by itself after a connection that was open is lost, with exponential backoff and
   * full jitter (see {@link ReconnectOptions}); `state` is `reconnecting` meanwhile. It
   * reconnects after 1001 (going away), 1005, 1006 (dropped), 1011, 1012, 1013, 1014, 4408,
   * 4419 (expired credentials, applied afresh) and 4429 (rate limited); not after
   * `disconnect()`, nor after any close the server meant (1000, 1008, 4401, 4403, 4426, an
   * application's own code), and it gives up when an attempt is refused for its credentials. Each attempt applies the
   * authorization strategy afresh and joins the client's topics again; requests in flight when
   * the connection was lost reject with `NOT_CONNECTED`. `false` turns it off.
   * @default on, unlimited retries, 1 s doubling to at most 30 s
   */
  reconnect?: boolean | ReconnectOptions;
  /** The same as `reconnect: { retries }` (which wins when both are given). */
  maxReconnectAttempts?: number;
  /**
   * Messages and requests made while the client is not open — before the first `connect()`,
   * while connecting or reconnecting — wait in an offline queue, in order, and are sent first
   * once it is open (a request's timeout counts from the call). This many at most; past it,
   * `queueOverflow` decides. `0` turns the queue off: sending while not open then throws
   * `NOT_CONNECTED`, as it always does after `disconnect()` or once reconnecting gave up (which
   * also fail what is still queued with `NOT_CONNECTED`).
   * @default 1000
   */
  messageQueueSize?: number;
  /**
   * What a full offline queue does with one more frame: `reject` throws (or rejects the request
   * with) `QUEUE_FULL`; `drop-oldest` drops the oldest queued frame (a request among them rejects
   * with `QUEUE_FULL`). @default 'reject'
   */
  queueOverflow?: QueueOverflow;
  /**
   * Diagnostics. By default they go to the `debug` package under `plugsocket:client` (warnings
   * and errors under `plugsocket:client:warn` / `:error`): silent unless `DEBUG=plugsocket:*`
   * is set. See docs/observability.md. @default debugLogger('plugsocket:client')
   */
  logger?: Logger;
  /**
   * Milliseconds between two heartbeat pings of the server while connected: a transport ping
   * where the adapter has one, the protocol's `ping` frame otherwise. Each pong gives the
   * round-trip time (`getConnectionInfo().latency`). `Infinity` turns the client's heartbeat off
   * (the server's own heartbeat is separate). @default 25000
   */
  heartbeatInterval?: number;
  /**
   * Milliseconds the server has, after a ping, to show it is alive — its pong, or any frame. A
   * server that does not is presumed gone (frozen, unreachable, or behind a route that drops
   * everything, none of which closes the connection): the client reports a `TIMEOUT` error, drops
   * the connection (close 1006) and reconnects as after any lost connection. @default 20000
   */
  heartbeatTimeout?: number;
  /**
   * Bytes the transport may hold unsent before the client counts as saturated: `send()` and
   * `emit()` then return false and `writable` is false until `drained()` resolves (at half of
   * it). Nothing is dropped: it tells a producer to wait instead of buffering without limit.
   * @default 1048576 (1 MiB)
   */
  highWaterMark?: number;
}
