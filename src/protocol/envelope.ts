// The envelopes of protocol v1: what every frame holds once decoded. Their kinds, fields and
// compact order are in the kinds table (kinds.ts); this module also gathers the protocol's
// entry points for the domain.
import type { SerializedError } from '../errors.js';

export { PROTOCOL_VERSION, MAX_NAME_LENGTH, MAX_NESTING_DEPTH } from './limits.js';
export { parseClientEnvelope, parseServerEnvelope } from './parse.js';
export { requestIdOf, RefusedRequestError, type RequestKind } from './refused-request.js';
export {
  assertHeadersToSend,
  assertName,
  messageEnvelope,
  type OutgoingMessage,
} from './outbound.js';

/** An application message, in both directions. */
export interface MessageEnvelope {
  /** Frame kind. */
  k: 'msg';
  /** Message type, 1–256 characters. */
  type: string;
  /** Any JSON value; absent means undefined. */
  payload?: unknown;
  /** Optional metadata object. */
  headers?: Record<string, unknown>;
  /**
   * Server → client only: the id of the client whose message this is, on messages the server
   * relays from one client to others.
   */
  from?: string;
}
/** Client → server: join a topic; answered by `ack` or `nack` with the same `id`. */
export interface JoinEnvelope {
  /** Frame kind. */
  k: 'join';
  /** Client-chosen request id, echoed by the answer. */
  id: number;
  /** Topic name, 1–256 characters. */
  topic: string;
}
/** Client → server: leave a topic; answered by `ack` with the same `id`. */
export interface LeaveEnvelope {
  /** Frame kind. */
  k: 'leave';
  /** Client-chosen request id, echoed by the answer. */
  id: number;
  /** Topic name, 1–256 characters. */
  topic: string;
}
/** Server → client: the connection is accepted; `id` is the client's server-assigned id. */
export interface WelcomeEnvelope {
  /** Frame kind. */
  k: 'welcome';
  /** Protocol version ({@link PROTOCOL_VERSION}). */
  v: number;
  /** The client's server-assigned id. */
  id: string;
  /** The principal id the connection was admitted as, when the server tells it. */
  user?: string;
  /**
   * The token to present (as the `plugsocket-resume` query parameter) to resume this session on
   * a later connection; absent when the server does not resume sessions. Single-use: each
   * `welcome` brings a new one.
   */
  session?: string;
  /**
   * Set when the client asked to resume: true when this connection continues the session it
   * named, false when it could not (then {@link reason} says why and this is a new session).
   */
  resumed?: boolean;
  /**
   * With `resumed: true`: how many stream frames of the client's the server has taken in this
   * session. The client sends again those it sent from that position on.
   */
  received?: number;
  /** With `resumed: false`: why the session could not be resumed (see {@link ResumeFailure}). */
  reason?: string;
}

/**
 * Why a session could not be resumed: `expired` (its resume window ended, or the server no longer
 * knows it — a restart with an in-memory store), `overflow` (the server's log of what it sent had
 * already dropped frames the client had not received), `denied` (the token or the principal did
 * not match), `disabled` (the server does not resume sessions).
 */
export type ResumeFailure = 'expired' | 'overflow' | 'denied' | 'disabled';

/**
 * Either direction: "I have taken the first `n` stream frames you sent in this session" (every
 * frame after `welcome` but `ping`, `pong` and `got`). The other side drops what it kept to
 * resume up to there. Sent every 32 stream frames taken.
 */
export interface GotEnvelope {
  /** Frame kind. */
  k: 'got';
  /** Stream frames taken so far in this session. */
  n: number;
}
/** Either direction: the request `id` (a `join`, `leave` or `req`) succeeded. */
export interface AckEnvelope {
  /** Frame kind. */
  k: 'ack';
  /** The request id being answered. */
  id: number;
  /** A `req` handler's result; absent means undefined (and for `join`/`leave`). */
  result?: unknown;
}
/** Either direction: the request `id` failed. */
export interface NackEnvelope {
  /** Frame kind. */
  k: 'nack';
  /** The request id being answered. */
  id: number;
  /** Why it failed. */
  error: SerializedError;
}
/** Server → client: a frame the client sent was rejected; the connection stays open. */
export interface ErrorEnvelope {
  /** Frame kind. */
  k: 'error';
  /** What was wrong with the frame. */
  error: SerializedError;
}

/** The target of a client-to-client request: a client id, or every connection of a principal. */
export type RequestTarget = string | { user: string };

/**
 * Either direction: call the handler `name` on the other side, answered by `ack` (with the result)
 * or `nack` (with an error) carrying the same `id`.
 */
export interface RequestEnvelope {
  /** Frame kind. */
  k: 'req';
  /** Sender-chosen request id, echoed by the answer. */
  id: number;
  /** Handler name, 1–256 characters. */
  name: string;
  /** Any JSON value; absent means undefined. */
  payload?: unknown;
  /** Optional metadata object. */
  headers?: Record<string, unknown>;
  /** Client → server only: forward the request to another client (client-to-client). */
  to?: RequestTarget;
  /** Server → client only: the id of the client that made a forwarded request. */
  from?: string;
}

/** Either direction: the sender no longer waits for the answer to its request `id`. */
export interface CancelEnvelope {
  /** Frame kind. */
  k: 'cancel';
  /** The request id being given up. */
  id: number;
}

/**
 * Client → server: credentials, in-band. As the connection's first frame it authenticates a
 * client whose server expects it (answered by `welcome`, or a close with 4401); on an admitted
 * connection it refreshes the credentials (answered by `ack`, whose result lists the topics the
 * client left because the new principal may not hold them, or by `nack`).
 */
export interface AuthEnvelope {
  /** Frame kind. */
  k: 'auth';
  /** Client-chosen request id, echoed by the answer. */
  id: number;
  /** The credentials: a JSON object, which the server's strategy reads as `handshake.auth`. */
  credentials: Record<string, unknown>;
}

/**
 * Either direction: a liveness probe, answered at once by `pong`. Sent by a side whose transport
 * has no ping of its own (or whose adapter cannot send one); any frame from the peer also proves
 * it alive.
 */
export interface PingEnvelope {
  /** Frame kind. */
  k: 'ping';
}

/** Either direction: the answer to `ping`. */
export interface PongEnvelope {
  /** Frame kind. */
  k: 'pong';
}

/** Frames a client may send. */
export type ClientEnvelope =
  | MessageEnvelope
  | AuthEnvelope
  | JoinEnvelope
  | LeaveEnvelope
  | RequestEnvelope
  | AckEnvelope
  | NackEnvelope
  | CancelEnvelope
  | PingEnvelope
  | PongEnvelope
  | GotEnvelope;
/** Frames a server may send. */
export type ServerEnvelope =
  | MessageEnvelope
  | WelcomeEnvelope
  | AckEnvelope
  | NackEnvelope
  | ErrorEnvelope
  | RequestEnvelope
  | CancelEnvelope
  | PingEnvelope
  | PongEnvelope
  | GotEnvelope;
