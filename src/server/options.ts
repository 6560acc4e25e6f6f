import type { Logger } from '../logger.js';
import type { AuthorizationStrategy } from '../ports/authorization-strategy.js';
import type { Codec } from '../ports/codec.js';
import type { ConnectedClient } from './session.js';

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
   * Whether a client may join a topic it asked for with `client.join(topic)`. A refusal answers
   * the client with `UNAUTHORIZED`. Server-side `subscribe()` is not subject to it.
   * @default allow every topic
   */
  canSubscribe?: (client: ConnectedClient<P>, topic: string) => boolean | Promise<boolean>;
  /**
   * Whether client `from` may send request `name` to client `to` (`client.requestClient`). A
   * refusal answers the asking client with `UNAUTHORIZED`; the target never sees the request.
   * @default allow every client-to-client request
   */
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
   * Frames a client may send while it is still being admitted; more close it with 1008.
   * @default 100
   */
  maxPendingFrames?: number;
  /**
   * Makes client ids. Must return unique, non-empty strings.
   * @default 16 random base64url characters (96 bits)
   */
  generateId?: () => string;
  /** Diagnostics. @default silent */
  logger?: Logger;
}
