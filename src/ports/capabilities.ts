/**
 * What a transport can do. Each adapter declares its manifest once, as `supports`; the domain
 * degrades by it and the contract suite gates optional tests on it, never on an adapter's name.
 */
export interface TransportCapabilities {
  /**
   * Binary frames (`Uint8Array`) arrive intact, as binary (never as text), both ways. Without it,
   * sending a `Uint8Array` throws a `TypeError`.
   */
  readonly binary: boolean;
  /**
   * Transport-level ping/pong, both ways: `server.ping(conn)` is answered by the server's `pong`
   * event for that connection, and a client socket's `ping()` by its `pong` event. Without it the
   * domain probes liveness with the protocol's `ping` frames instead.
   */
  readonly ping: boolean;
  /** `ConnectOptions.headers` reach the server as `Handshake.headers`. */
  readonly handshakeHeaders: boolean;
  /** `ConnectOptions.query` reaches the server as `Handshake.query`. */
  readonly handshakeQuery: boolean;
  /** `ConnectOptions.auth` reaches the server as `Handshake.auth`. */
  readonly handshakeAuth: boolean;
  /** The peer's address is reported as `Handshake.remoteAddress`. */
  readonly remoteAddress: boolean;
  /**
   * Structured frames (`StructuredFrame`, arrays of JSON values) travel natively, in both
   * directions: sent as an array, they arrive as an equal array, carried as JSON would carry it
   * (a `Date` element arrives as its ISO string, `NaN` as `null`). Elements JSON has no form for
   * (a `Uint8Array`, say) are not part of the contract. The domain then encodes envelopes with a
   * codec that makes arrays (`CompactCodec`) instead of JSON text. Text and binary frames still
   * work. Without it, sending an array throws a `TypeError`.
   */
  readonly structured: boolean;
}

/** The names of all capabilities, in a stable order (used for validation and reports). */
export const CAPABILITY_NAMES: readonly (keyof TransportCapabilities)[] = [
  'binary',
  'ping',
  'handshakeHeaders',
  'handshakeQuery',
  'handshakeAuth',
  'remoteAddress',
  'structured',
];

/**
 * Throws `TypeError` for a frame of a kind the transport does not declare: a structured frame
 * (an array) without `supports.structured`, a binary frame (`Uint8Array`) without
 * `supports.binary`. Sending one is a programming error, so the ports' `send`, `sendMany` and
 * `prepare` throw rather than report it, and adapters' hooks only ever see frames they can carry.
 * @internal
 */
export function assertCarried(frame: unknown, supports: TransportCapabilities): void {
  if (typeof frame !== 'object') return;
  if (Array.isArray(frame)) {
    if (!supports.structured) {
      throw new TypeError(
        'this transport does not carry structured frames (supports.structured is false)',
      );
    }
  } else if (!supports.binary) {
    throw new TypeError('this transport does not carry binary frames (supports.binary is false)');
  }
}
