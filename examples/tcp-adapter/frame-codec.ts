import { assertValidClose, PlugSocketError, type Frame } from 'plugsocket';

// The wire format of the TCP example transport. TCP is a byte stream with no message boundaries,
// so every frame carries its own length:
//
//   +----------------+--------+------------------+
//   | length: uint32 | kind   | body             |
//   | big-endian     | 1 byte | `length` bytes   |
//   +----------------+--------+------------------+
//
// `length` counts the body only, so an empty text frame is 5 bytes on the wire.

/** The 1-byte kind of a frame on the wire. */
export const FrameKind = {
  /** UTF-8 text: an application text frame. */
  TEXT: 0x01,
  /** Raw bytes: an application binary frame. */
  BINARY: 0x02,
  /** Client → server, first frame: JSON `{ url, headers, query, auth }`. */
  HELLO: 0x03,
  /** Server → client, answers a valid hello; the connection is open from here on. Empty body. */
  ACCEPT: 0x04,
  /** Either way: 2-byte big-endian close code, then the UTF-8 reason. */
  CLOSE: 0x05,
  /** Either way: a liveness probe; the body (any bytes) is echoed in the pong. */
  PING: 0x06,
  /** Either way: the answer to a ping. */
  PONG: 0x07,
} as const;

/** The numeric kinds of {@link FrameKind}. */
export type FrameKindCode = (typeof FrameKind)[keyof typeof FrameKind];

/** Bytes before the body: the 4-byte length and the 1-byte kind. */
export const HEADER_SIZE = 5;

/**
 * Default largest body the decoder accepts, in bytes: 4 MiB, as the ws adapter.
 * @default 4194304
 */
export const DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024;

/**
 * Default largest body `TcpSocket` (the client) accepts, in bytes: 8 MiB, as the ws client,
 * above the client's domain limit `SocketClientOptions.maxPayload` (4 MiB).
 * @default 8388608
 */
export const DEFAULT_CLIENT_MAX_FRAME_SIZE = 8 * 1024 * 1024;

/** What a client presents in its hello frame. */
export interface Hello {
  /** Path and query, e.g. `/chat?room=1`. */
  readonly url: string;
  /** Handshake headers. */
  readonly headers: Record<string, string>;
  /** Query parameters (already merged into `url` as well). */
  readonly query: Record<string, string>;
  /** Credentials; `{}` when the client sent none. */
  readonly auth: Record<string, unknown>;
}

/** One decoded frame. */
export type TcpFrame =
  | { readonly kind: 'text'; readonly data: string }
  | { readonly kind: 'binary'; readonly data: Uint8Array }
  | { readonly kind: 'hello'; readonly hello: Hello }
  | { readonly kind: 'accept' }
  | { readonly kind: 'close'; readonly code: number; readonly reason: string }
  | { readonly kind: 'ping'; readonly data: Uint8Array }
  | { readonly kind: 'pong'; readonly data: Uint8Array };

/**
 * A violation of the wire format. Carries the close code the connection must be closed with:
 * 1002 for malformed frames, 1007 for text that is not UTF-8, 1009 for oversize frames.
 */
export class TcpProtocolError extends PlugSocketError {
  /** The close code to send to the peer. */
  readonly closeCode: number;

  constructor(closeCode: number, message: string) {
    super(closeCode === 1009 ? 'PAYLOAD_TOO_LARGE' : 'INVALID_MESSAGE', message);
    this.name = 'TcpProtocolError';
    this.closeCode = closeCode;
  }
}

// `fatal` rejects invalid UTF-8 instead of silently turning it into U+FFFD; `ignoreBOM` keeps a
// leading U+FEFF, which TextDecoder would otherwise strip from the application's text.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ---------------------------------------------------------------- encoding

/**
 * Encodes one frame into a single new buffer. The body is always copied, so the caller may reuse
 * or mutate its `Uint8Array` as soon as this returns, even before the socket has flushed it.
 */
export function encodeFrame(frame: TcpFrame): Buffer {
  switch (frame.kind) {
    case 'text':
      return encodeText(FrameKind.TEXT, frame.data);
    case 'binary':
      return encodeBytes(FrameKind.BINARY, frame.data);
    case 'hello':
      // JSON.stringify throws for BigInt or cycles in `auth`: the connect then fails, as it should.
      return encodeText(FrameKind.HELLO, JSON.stringify(frame.hello));
    case 'accept':
      return encodeBytes(FrameKind.ACCEPT, new Uint8Array(0));
    case 'close': {
      const reason = Buffer.from(frame.reason, 'utf8');
      const out = header(FrameKind.CLOSE, 2 + reason.byteLength);
      out.writeUInt16BE(frame.code, HEADER_SIZE);
      reason.copy(out, HEADER_SIZE + 2);
      return out;
    }
    case 'ping':
      return encodeBytes(FrameKind.PING, frame.data);
    case 'pong':
      return encodeBytes(FrameKind.PONG, frame.data);
  }
}

/** Encodes an application frame: a string as text, a `Uint8Array` as binary. */
export function encodeMessage(frame: Frame): Buffer {
  return typeof frame === 'string'
    ? encodeText(FrameKind.TEXT, frame)
    : encodeBytes(FrameKind.BINARY, frame);
}

function header(kind: FrameKindCode, length: number): Buffer {
  // allocUnsafe is fine: every byte is written before the buffer leaves this module.
  const out = Buffer.allocUnsafe(HEADER_SIZE + length);
  out.writeUInt32BE(length, 0);
  out[4] = kind;
  return out;
}

function encodeText(kind: FrameKindCode, text: string): Buffer {
  const out = header(kind, Buffer.byteLength(text, 'utf8'));
  out.write(text, HEADER_SIZE, 'utf8');
  return out;
}

function encodeBytes(kind: FrameKindCode, bytes: Uint8Array): Buffer {
  const out = header(kind, bytes.byteLength);
  out.set(bytes, HEADER_SIZE);
  return out;
}

// ---------------------------------------------------------------- decoding

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * Largest body accepted, in bytes; a bigger frame is rejected as soon as its header arrives.
   * @default 4194304 (4 MiB)
   */
  maxFrameSize?: number;
}

/**
 * Turns a byte stream back into frames. Feed it every chunk in order with {@link push}; it returns
 * the frames completed by that chunk, however the stream was cut: a frame may span many chunks and
 * one chunk may hold many frames.
 *
 * After it has thrown a {@link TcpProtocolError} the stream is out of sync, so every later `push`
 * throws the same error.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder({ maxFrameSize: 1024 });
 * socket.on('data', (chunk) => { for (const frame of decoder.push(chunk)) handle(frame); });
 * ```
 */
export class FrameDecoder {
  /** Largest body accepted, in bytes. May be raised after the handshake. */
  maxFrameSize: number;
  // Chunks not yet consumed, and how far into the first one we are. The decoder keeps references
  // to them across calls: fine for `net` sockets, which hand out a fresh buffer per read.
  readonly #chunks: Uint8Array[] = [];
  #offset = 0;
  #buffered = 0;
  // The header of the frame whose body is awaited; undefined while waiting for a header.
  #pending: { kind: FrameKindCode; length: number } | undefined;
  #failure: TcpProtocolError | undefined;

  /** @throws {RangeError} when `maxFrameSize` is not a positive integer below 2^32. */
  constructor(options: FrameDecoderOptions = {}) {
    const max = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isInteger(max) || max <= 0 || max > 0xffffffff) {
      throw new RangeError(`maxFrameSize must be a positive 32-bit integer, got ${max}`);
    }
    this.maxFrameSize = max;
  }

  /** Bytes received but not yet returned as frames. */
  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Adds one chunk of the stream and returns the frames it completed, in order.
   * @throws {TcpProtocolError} when the stream breaks the wire format.
   */
  push(chunk: Uint8Array): TcpFrame[] {
    if (this.#failure !== undefined) throw this.#failure;
    if (chunk.byteLength > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.byteLength;
    }
    const frames: TcpFrame[] = [];
    try {
      for (;;) {
        if (this.#pending === undefined) {
          if (this.#buffered < HEADER_SIZE) break;
          this.#pending = this.#readHeader(this.#take(HEADER_SIZE));
        }
        const { kind, length } = this.#pending;
        if (this.#buffered < length) break;
        this.#pending = undefined;
        frames.push(decodeBody(kind, this.#take(length)));
      }
    } catch (error) {
      this.#failure =
        error instanceof TcpProtocolError ? error : new TcpProtocolError(1002, String(error));
      // Nothing after a broken frame can be trusted; drop it rather than hold it.
      this.#chunks.length = 0;
      this.#buffered = 0;
      throw this.#failure;
    }
    return frames;
  }

  #readHeader(bytes: Uint8Array): { kind: FrameKindCode; length: number } {
    const length = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    const kind = bytes[4];
    if (!isFrameKind(kind)) {
      throw new TcpProtocolError(
        1002,
        `unknown frame kind 0x${kind.toString(16).padStart(2, '0')}`,
      );
    }
    // Checked on the header, before any of the body is buffered: a peer announcing 4 GiB must not
    // make us hold 4 GiB first.
    if (length > this.maxFrameSize) {
      throw new TcpProtocolError(
        1009,
        `frame of ${length} bytes exceeds the limit of ${this.maxFrameSize}`,
      );
    }
    return { kind, length };
  }

  /** Removes `n` buffered bytes. A view when they sit in one chunk, a fresh copy otherwise. */
  #take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first.byteLength - this.#offset >= n) {
      const view = first.subarray(this.#offset, this.#offset + n);
      this.#advance(first, n);
      return view;
    }
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0];
      const count = Math.min(chunk.byteLength - this.#offset, n - filled);
      out.set(chunk.subarray(this.#offset, this.#offset + count), filled);
      filled += count;
      this.#advance(chunk, count);
    }
    return out;
  }

  #advance(chunk: Uint8Array, count: number): void {
    this.#offset += count;
    if (this.#offset === chunk.byteLength) {
      this.#chunks.shift();
      this.#offset = 0;
    }
  }
}

function isFrameKind(kind: number): kind is FrameKindCode {
  return kind >= FrameKind.TEXT && kind <= FrameKind.PONG;
}

function decodeBody(kind: FrameKindCode, body: Uint8Array): TcpFrame {
  switch (kind) {
    case FrameKind.TEXT:
      return { kind: 'text', data: decodeUtf8(body, 'text frame') };
    case FrameKind.BINARY:
      // A copy with its own ArrayBuffer: `body` may be a view into a chunk that also holds other
      // frames, and the application must neither see those through `.buffer` nor pin the chunk.
      return { kind: 'binary', data: new Uint8Array(body) };
    case FrameKind.HELLO:
      return { kind: 'hello', hello: parseHello(decodeUtf8(body, 'hello')) };
    case FrameKind.ACCEPT:
      if (body.byteLength !== 0) throw new TcpProtocolError(1002, 'accept frame must be empty');
      return { kind: 'accept' };
    case FrameKind.CLOSE:
      return decodeClose(body);
    case FrameKind.PING:
      return { kind: 'ping', data: new Uint8Array(body) };
    case FrameKind.PONG:
      return { kind: 'pong', data: new Uint8Array(body) };
  }
}

function decodeUtf8(body: Uint8Array, what: string): string {
  try {
    return utf8.decode(body);
  } catch {
    // RFC 6455 §7.4.1: 1007 is "data inconsistent with the type of the message".
    throw new TcpProtocolError(1007, `${what} is not valid UTF-8`);
  }
}

function decodeClose(body: Uint8Array): TcpFrame {
  if (body.byteLength < 2) throw new TcpProtocolError(1002, 'close frame without a code');
  const code = (body[0] << 8) | body[1];
  const reason = decodeUtf8(body.subarray(2), 'close reason');
  try {
    // The same rule the ports apply to outgoing closes: 1006 and 1005 never travel on the wire.
    assertValidClose(code, reason);
  } catch {
    throw new TcpProtocolError(1002, `close frame with invalid code ${code} or an overlong reason`);
  }
  return { kind: 'close', code, reason };
}

function parseHello(json: string): Hello {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    throw new TcpProtocolError(1002, 'hello is not JSON');
  }
  if (!isPlainObject(value) || typeof value.url !== 'string') {
    throw new TcpProtocolError(1002, 'hello must be an object with a url string');
  }
  const { headers = {}, query = {}, auth = {} } = value;
  if (!isStringRecord(headers))
    throw new TcpProtocolError(1002, 'hello.headers must map strings to strings');
  if (!isStringRecord(query))
    throw new TcpProtocolError(1002, 'hello.query must map strings to strings');
  if (!isPlainObject(auth)) throw new TcpProtocolError(1002, 'hello.auth must be an object');
  // JSON.parse makes `__proto__` an own data property, never a prototype, and the ports copy
  // headers and query into null-prototype objects: a hostile hello cannot pollute prototypes.
  return { url: value.url, headers, query, auth };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return isPlainObject(value) && Object.values(value).every((v) => typeof v === 'string');
}
