/**
 * A frame as transports carry it: a string is a text frame, a `Uint8Array` a binary frame.
 * Adapters deliver text frames as strings and binary frames as `Uint8Array` (a Node `Buffer` is
 * one). A received `Uint8Array` may be a view into a larger buffer: respect its `byteOffset` and
 * `byteLength`, and copy it before keeping it beyond the event (adapters, like `ws`, do not copy).
 */
export type Frame = string | Uint8Array;

/**
 * A frame that is a JSON array carried as a value, by transports that declare
 * `supports.structured` (Socket.IO, whose events carry JSON arguments). It arrives as an equal
 * array, without ever being text at the port, so nothing is encoded twice. Its elements are
 * JSON-compatible values; a receiver must treat them as untrusted input, like a text frame.
 */
export type StructuredFrame = readonly unknown[];

/** Any frame a port may carry: text, binary, or (where declared) structured. */
export type AnyFrame = Frame | StructuredFrame;

/** How a connection ended, seen by both sides. Codes follow RFC 6455 §7.4. */
export interface CloseInfo {
  /** 1000–1015 as RFC 6455 defines them, or 3000–4999 for libraries and applications. */
  readonly code: number;
  /** A short human-readable reason (at most 123 bytes of UTF-8), `''` when none was given. */
  readonly reason: string;
}

/**
 * What a client presented when it connected, as a plain value. No transport object (such as
 * Node's `IncomingMessage`) ever leaks through the ports. The records are frozen plain objects
 * (a client's `__proto__` key is kept as own data); look names chosen by the client up with
 * `Object.hasOwn(handshake.query, name)`, not `handshake.query[name]`, which would also see
 * inherited members such as `constructor`.
 */
export interface Handshake {
  /** The request path and query as the client sent it, e.g. `/chat?room=1`. `''` if none. */
  readonly url: string;
  /** Request headers, keys lower-cased, repeated headers joined with `', '`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Query parameters; the first value wins when a key repeats. */
  readonly query: Readonly<Record<string, string>>;
  /** The credentials object the client sent with the handshake; `{}` when none. */
  readonly auth: Readonly<Record<string, unknown>>;
  /** The peer's address when the transport knows it. */
  readonly remoteAddress?: string;
}

/** A handshake as an adapter reports it; the base class fills in the defaults. */
export interface HandshakeInit {
  /** The request path and query. @default '' */
  url?: string;
  /** Headers as the transport has them (any case; arrays are joined with `', '`). */
  headers?: Record<string, string | string[] | undefined>;
  /** Query parameters (arrays: the first value is kept). */
  query?: Record<string, string | string[] | undefined>;
  /** The credentials object, if the transport carries one. @default {} */
  auth?: Record<string, unknown> | null;
  /** The peer's address, if known. */
  remoteAddress?: string;
}

/** Everything a client adapter needs to open one connection. */
export interface ConnectOptions {
  /** Where to connect, e.g. `ws://127.0.0.1:8080/rt` or `memory://chat`. */
  url: string;
  /** Extra handshake headers (where the transport supports them, see `supports.handshakeHeaders`). */
  headers?: Record<string, string>;
  /** Query parameters merged into the URL. */
  query?: Record<string, string>;
  /** Credentials delivered to the server as `Handshake.auth`. */
  auth?: Record<string, unknown>;
  /**
   * Milliseconds before a connect attempt that has not opened fails with `CONNECTION_FAILED`.
   * @default 10000
   */
  timeout?: number;
}

/** Where a server listens. */
export interface ListenAddress {
  /** A URL a client adapter of the same transport can connect to; absent when not yet known. */
  readonly url?: string;
  /** The bound TCP port, for network transports. */
  readonly port?: number;
  /** The bound host, for network transports. */
  readonly host?: string;
}

/** A function that removes the listener or subscription it was returned for. */
export type Unsubscribe = () => void;
