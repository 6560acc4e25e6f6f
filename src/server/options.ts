import type { Logger } from '../logger.js';
import type { AuthorizationStrategy } from '../ports/authorization-strategy.js';
import type { Codec } from '../ports/codec.js';
import type { SessionStore } from '../ports/session-store.js';
import type { Backplane } from '../ports/backplane.js';
import type { AuthThrottleOptions } from './auth-throttle.js';
import type { RateLimitOptions } from './rate-limit.js';
import type { ConnectedClient } from './session.js';

/**
 * Who may do what, decided with the principal in hand. Each hook may be async; a refusal is
 * answered with `UNAUTHORIZED` (a `nack` for a request or join, an `error` frame for a message)
 * and nothing is delivered. A hook that throws refuses too, and is reported on `onError`.
 */
export interface AccessHooks<P = unknown> {
  /** Whether `client` may join `topic` (`client.join`). Server-side `subscribe()` is not subject to it. */
  join?: (client: ConnectedClient<P>, topic: string) => boolean | Promise<boolean>;
  /** Whether `client` may send a message of `type` (`client.send`/`emit`) to the server. */
  message?: (client: ConnectedClient<P>, type: string) => boolean | Promise<boolean>;
  /** Whether `client` may call the server's handler `name` (`client.request`). */
  request?: (client: ConnectedClient<P>, name: string) => boolean | Promise<boolean>;
  /**
   * Whether `from` may send request `name` to client `to` (`client.requestClient`, by id or by
   * user); the target never sees a refused request.
   */
  address?: (
    from: ConnectedClient<P>,
    to: ConnectedClient<P>,
    name: string,
  ) => boolean | Promise<boolean>;
}

/** Options of `SocketServer`. */
export interface SocketServerOptions<P = unknown> {
  /** Decides who may connect. @default allow everyone (`AllowAllAuthorization`) */
  authorization?: AuthorizationStrategy<P>;
  /**
   * Frame format. @default `CompactCodec` on transports that declare `supports.structured`,
   * `JsonCodec` on the others
   */
  codec?: Codec;
  /**
   * Authorization hooks, all in one place: who may join which topic, send which message type,
   * call which handler, address which client. @default everything allowed
   */
  access?: AccessHooks<P>;
  /** The same as `access.join` (which wins when both are given). */
  canSubscribe?: (client: ConnectedClient<P>, topic: string) => boolean | Promise<boolean>;
  /** The same as `access.address` (which wins when both are given). */
  canRequest?: (
    from: ConnectedClient<P>,
    to: ConnectedClient<P>,
    name: string,
  ) => boolean | Promise<boolean>;
  /**
   * The id of a principal, for client-to-client requests addressed to a user
   * (`requestClient({ user }, …)`): connections whose principals share an id are one user's.
   * @default a string principal itself, or a principal's string or number `id` property
   */
  principalId?: (principal: P) => string | undefined;
  /**
   * Milliseconds the server waits for a client's answer (`server.request`, broadcast requests
   * without `.timeout()`, and client-to-client requests it forwards).
   * @default 10000
   */
  requestTimeout?: number;
  /**
   * Requests in flight per client, each way: a client's requests being handled (more are answered
   * with `TOO_MANY_REQUESTS`), and the server's requests waiting on that client's answers (more
   * reject with `TOO_MANY_REQUESTS`). Messages waiting behind an asynchronous middleware are
   * bounded by it too (more are refused with `RATE_LIMITED`).
   * @default 256
   */
  maxRequestsInFlight?: number;
  /**
   * Largest frame accepted from a client, in bytes: UTF-8 for text, the JSON text of a structured
   * frame (see `docs/protocol.md`). A larger frame is dropped and answered with a
   * `PAYLOAD_TOO_LARGE` error frame; the connection stays open. This is the domain's limit: a
   * transport has its own, larger one, past which it closes the connection (1009). Every
   * transport's default carries frames of up to 2 MiB, whatever their characters (see
   * `docs/writing-an-adapter.md`, limits), so a frame just over this default always meets the
   * error frame; raise the transport's limit too before raising this one past it.
   * @default 1048576 (1 MiB)
   */
  maxPayload?: number;
  /**
   * Milliseconds admission may take — connection middleware and the `AuthorizationStrategy` —
   * after which the connection is closed with 4408.
   * @default 10000
   */
  handshakeTimeout?: number;
  /**
   * Milliseconds a client whose strategy expects credentials in the first frame
   * (`FirstFrameAuthorization`) has to send its `auth` frame; then 4408.
   * @default 10000
   */
  authTimeout?: number;
  /**
   * Frames a client may send while it is still being admitted; more close it with 1008.
   * @default 100
   */
  maxPendingFrames?: number;
  /**
   * Bytes of frames held for one client while it is being admitted (see `maxPayload` for how
   * frames are measured); more close it with 1008. `maxPendingBytesTotal` bounds them all.
   * @default `maxPayload`
   */
  maxPendingBytes?: number;
  /**
   * Bytes of frames held for all clients being admitted together; the client whose frame would
   * pass it is closed with 1008. Bounds what many connections waiting on a slow authorization
   * can hold. @default 16777216 (16 MiB)
   */
  maxPendingBytesTotal?: number;
  /**
   * Connections at once, admitted or being admitted; more are closed with 1013 ("try again
   * later") as they arrive. @default 100000
   */
  maxConnections?: number;
  /**
   * Connections at once from one remote address; more are closed with 1013. Behind a proxy that
   * hides client addresses every client shares one: raise it, or set `Infinity`. @default 1000
   */
  maxConnectionsPerAddress?: number;
  /** Topics one client may be in; a `join` past it is answered with `LIMIT_EXCEEDED`. @default 1000 */
  maxTopicsPerClient?: number;
  /**
   * The per-connection rate limit (see {@link RateLimitOptions}): a frame past it is not
   * processed and gets `RATE_LIMITED`; a client that keeps at it is disconnected with 4429.
   * `false` turns it off. @default 1000 frames and 16 MiB per second, burst 1000
   */
  rateLimit?: RateLimitOptions | false;
  /**
   * Throttling of failed authentications per remote address (see {@link AuthThrottleOptions}).
   * `false` turns it off. @default delay after 5 failures a minute, refuse for 5 minutes after 20
   */
  authThrottle?: AuthThrottleOptions | false;
  /**
   * Milliseconds between two heartbeat pings of a client (a transport ping, on transports that
   * declare `supports.ping`; the others are not pinged). One timer serves every client. `Infinity`
   * turns heartbeats off. @default 25000
   */
  heartbeatInterval?: number;
  /**
   * Milliseconds a client has, after a ping, to show it is alive — its pong, or any frame. One
   * that does not is reported on `onClientTimeout` and its connection is ended at once (no close
   * handshake: the peer is presumed gone), so a frozen or vanished client is noticed within about
   * `heartbeatInterval + heartbeatTimeout`. @default 20000
   */
  heartbeatTimeout?: number;
  /**
   * Milliseconds a client's session outlives a lost connection: a client that reconnects within
   * it resumes the session — same id, principal, topics and data, what it missed replayed, what
   * it sent counted once — and is told `resumed: true`; later it gets a new session and
   * `resumed: false` (docs/delivery-guarantees.md). A close either side meant (1000, a kick, a
   * policy or credentials close) ends the session at once. `0` turns resume off: no log, no
   * counting. @default 120000
   */
  resumeWindow?: number;
  /**
   * What each session keeps of what it sent, for a resume: at most `maxMessages` frames and
   * `maxBytes` bytes (a broadcast frame is kept once in memory and counted in every session it
   * went to). Frames the client acknowledged are dropped (it does every 32); past a limit the
   * oldest go, and a client that had not received them gets `resumed: false`, `overflow`.
   * @default { maxMessages: 1000, maxBytes: 1048576 }
   */
  resumeLog?: { maxMessages?: number; maxBytes?: number };
  /**
   * Where sessions go when the server shuts down, or when another node asks for one a client
   * resumes there, for the next server (or another node) to resume. @default the backplane's
   * `sessions` with a `backplane`; else a `MemorySessionStore` of this server's own: sessions do
   * not outlive the process (pass one instance to servers you restart in one process)
   */
  sessionStore?: SessionStore;
  /**
   * The link to the other nodes of a cluster (docs/scaling.md): broadcasts, topics, messages and
   * requests to clients on other nodes, presence, and sessions resuming on another node all go
   * through it. `listen()` joins the cluster and `shutdown()` leaves it.
   * @default none: the server is a cluster of one (`server.cluster` answers from its own clients)
   */
  backplane?: Backplane;
  /**
   * This server's id in the cluster: unique among the nodes. @default random
   */
  nodeId?: string;
  /**
   * Makes client ids. Must return unique, non-empty strings.
   * @default 16 random base64url characters (96 bits)
   */
  generateId?: () => string;
  /**
   * Where diagnostics go. A logger you pass (pino, winston, console…) receives everything, each
   * call from a part of the server with that part (`'admission'`, `'heartbeat'`, `'events'`) in
   * its context as `part`.
   * @default `debugLogger('plugsocket:server')`: the `debug` package, silent unless `DEBUG`
   *   enables `plugsocket:server*` (parts under `plugsocket:server:<part>`; see docs/observability.md).
   */
  logger?: Logger;
}
