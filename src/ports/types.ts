/**
 * A frame as transports carry it: a string is a text frame, a `Uint8Array` a binary frame.
 * Adapters deliver text frames as strings and binary frames as `Uint8Array` (a Node `Buffer` is
 * one). Frames arrive complete, each once, and in the order they were sent.
 *
 * - **Text** is Unicode text, whatever its characters (NUL and other controls, line separators, a
 *   leading BOM, U+FFFD). A lone surrogate cannot travel as UTF-8: `send()` must not refuse text
 *   that has one, and it may arrive as U+FFFD.
 * - **Sending binary:** the caller may change or reuse its buffer as soon as `send()`,
 *   `sendMany()` or `prepare()` returned; what arrives is the bytes as they were at the call. An
 *   adapter whose transport keeps the buffer to write it later copies it.
 * - **Received binary belongs to the receiver:** the adapter never writes to its memory again, so
 *   it may be kept as it is. It may be a view into a larger buffer: respect its `byteOffset` and
 *   `byteLength`.
 */
export type Frame = string | Uint8Array;

/**
 * A frame that is a JSON array carried as a value, by transports that declare
 * `supports.structured` (Socket.IO, whose events carry JSON arguments). It arrives as an equal
 * array, without ever being text at the port, so nothing is encoded twice. It carries JSON values
 * only, and arrives as JSON would carry it (`NaN` as `null`, a `Date` as its ISO string). Elements
 * JSON has no form for, such as a `Uint8Array`, are not part of the contract: transports may
 * carry them differently (Socket.IO as a binary attachment, JSON as an object of indices); send
 * bytes as a binary frame. A receiver must treat the elements as untrusted input, like a text
 * frame.
 */
export type StructuredFrame = readonly unknown[];

/** Any frame a port may carry: text, binary, or (where declared) structured. */
export type AnyFrame = Frame | StructuredFrame;

/**
 * How a connection ended. Codes follow RFC 6455 §7.4. The side that started a close reports the
 * code and reason it sent; the peer reports the ones it received. A connection that ended without
 * a close (dropped, terminated, timed out) is reported as 1006 on the side that saw it drop.
 */
export interface CloseInfo {
  /** 1000–1015 as RFC 6455 defines them, or 3000–4999 for libraries and applications. */
  readonly code: number;
  /**
   * A short human-readable reason: any Unicode text of at most 123 bytes of UTF-8, arriving
   * exactly as sent; `''` when none was given.
   */
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
  /**
   * The request path and query as the client sent it, e.g. `/chat?room=1`, without parameters
   * the transport adds for itself (Socket.IO's `EIO`, `transport`). The path is the transport's
   * request path (for Socket.IO its engine path, `/socket.io/`, not the namespace). `''` if none.
   */
  readonly url: string;
  /** Request headers, keys lower-cased, repeated headers joined with `', '`. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * Query parameters, decoded once; the first value wins when a key repeats. Only the client's
   * own: parameters the transport adds (or credentials it carries in the url) are left out.
   */
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
  /**
   * Query parameters merged into the URL's own: a key in both takes the value given here, and a
   * key repeated in the URL keeps its first value. They reach the server as `Handshake.query`
   * (where the transport declares `supports.handshakeQuery`), any key (even `__proto__`) as data.
   */
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
