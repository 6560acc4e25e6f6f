import {
  assertValidClose,
  type AnyFrame,
  type CloseInfo,
  type Frame,
  type StructuredFrame,
} from '../../src/index.js';

/**
 * The Socket.IO events plugsocket reserves on its namespace, shared by both halves of the
 * adapter. Names are one letter because every frame carries its event name on the wire
 * (`42["m","hello"]`). An application sharing a namespace with plugsocket must not use them.
 *
 * - `m` — one frame: a string (text) or binary (`Buffer` / `Uint8Array` / `ArrayBuffer`).
 * - `v` — one structured frame from a client: the event's arguments are the frame's elements, so
 *   `["chat", {…}]` travels as `42["v","chat",{…}]`, what the server parses as cheaply as a plain
 *   `socket.emit('chat', {…})`.
 * - `l` — one structured frame as a single array argument (`42["l",["chat",{…}]]`): every frame
 *   from the server, because Socket.IO's connection state recovery appends an offset argument
 *   to the server's events, and a client's frames longer than {@link MAX_SPREAD_ELEMENTS}
 *   elements (receivers bound the arguments of a packet, see `MAX_SOCKET_IO_ARGUMENTS`). Both
 *   sides read both `v` and `l`.
 * - `c` — `(code, reason)`: Socket.IO has no close codes, so a close is a handshake of its own.
 *   The side that closes announces it with `c`. When the peer advertised that it answers `c`
 *   (see below), the closing side keeps reading and the peer answers by disconnecting (Socket.IO's
 *   disconnect packet), which follows everything it sent before, so no frame in flight is lost; a
 *   peer that advertised but never answers is dropped after `closeTimeout` (1006). When the peer
 *   did not advertise (a plain Socket.IO peer, an older plugsocket), the closing side sends `c`
 *   and disconnects at once, as before the handshake existed. Either way each side reports the
 *   announced `{ code, reason }` (its own, when both closed at once).
 * - `a` — no arguments: the server advertises that it answers `c`, sent to every client as soon as
 *   it joins the namespace, before any frame (clients ignore events they do not know). A client
 *   advertises the same with the query parameter {@link SOCKET_IO_ANSWERS_CLOSE_QUERY}`=1` of its
 *   handshake, which the server leaves out of the handshake's `query` and `url`, as Engine.IO's
 *   own parameters.
 * - `p` — a ping, answered at once with `o` (pong), in either direction: the server pings a client
 *   (`AbstractSocketServer.ping`) and the client adapter answers; a client adapter pings the server
 *   (its own transport-level liveness check) and the server adapter answers. Neither the ping nor
 *   the answer reaches the domain as a frame, so both stay free for the application's own events.
 */
export const SOCKET_IO_EVENTS = Object.freeze({
  /** A text or binary frame, in both directions. */
  FRAME: 'm',
  /** A structured frame, spread over the event's arguments (sent by clients). */
  STRUCTURED: 'v',
  /** A structured frame as one array argument (sent by servers, and for long frames). */
  STRUCTURED_LIST: 'l',
  /** `(code, reason)`, announced by the side that closes and answered by a disconnect. */
  CLOSE: 'c',
  /** The server answers `CLOSE`: sent once, before any frame. */
  ANSWERS_CLOSE: 'a',
  /** A liveness probe, from either side. */
  PING: 'p',
  /** The answer to `PING`, from the side that was pinged. */
  PONG: 'o',
} as const);

/**
 * The handshake query parameter by which a client advertises that it answers the close event
 * `c` (value `1`); see {@link SOCKET_IO_EVENTS}. Reserved: the server strips it from the
 * handshake's `query` and `url`.
 */
export const SOCKET_IO_ANSWERS_CLOSE_QUERY = 'plugsocket-close';

/**
 * Turns a received event argument into a frame, or `undefined` when it is neither text nor binary.
 * Binary arrives as a `Buffer` in Node and as an `ArrayBuffer` in browsers; both become a plain
 * `Uint8Array` view over the same memory (no copy), so receivers see one type on every runtime.
 */
export function toFrame(data: unknown): Frame | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/**
 * The frame as Socket.IO may keep it: binary is copied, because Socket.IO (and Engine.IO under it)
 * queues a binary attachment by reference until its transport writes it, while the caller may
 * change or reuse its buffer as soon as `send()` returned. Text and structured frames are
 * returned as they are (Socket.IO serialises them at once).
 */
export function ownFrame(frame: AnyFrame): AnyFrame {
  return frame instanceof Uint8Array ? new Uint8Array(frame) : frame;
}

/** Longest structured frame a client sends as the `v` event's arguments; longer ones go as `l`. */
export const MAX_SPREAD_ELEMENTS = 1024;

/** Anything with Socket.IO's `emit`: a socket on either side, or a room broadcast. */
interface Emits {
  emit(event: string, ...args: unknown[]): unknown;
}

/**
 * Emits one frame on the event its kind travels as; `spread` (clients) sends structured frames of
 * up to {@link MAX_SPREAD_ELEMENTS} elements as `v`, everything else structured goes as `l`.
 */
export function emitFrame(target: Emits, frame: AnyFrame, spread: boolean): void {
  if (!Array.isArray(frame)) target.emit(SOCKET_IO_EVENTS.FRAME, frame);
  else if (spread && frame.length <= MAX_SPREAD_ELEMENTS) {
    target.emit(SOCKET_IO_EVENTS.STRUCTURED, ...(frame as unknown[]));
  } else target.emit(SOCKET_IO_EVENTS.STRUCTURED_LIST, frame);
}

/**
 * The structured frame carried by a received `v` event's arguments. A trailing function is the
 * acknowledgement callback Socket.IO adds when the sender asked for one; plugsocket does not
 * acknowledge frames, so it is left out.
 */
export function toStructuredFrame(args: unknown[]): StructuredFrame {
  if (args.length > 0 && typeof args[args.length - 1] === 'function') args.pop();
  return args;
}

/**
 * Reads the arguments of a received close event. A peer that sends a code or reason it may not
 * send (see `assertValidClose`) is treated as if it had sent none, so the disconnect reason decides.
 */
export function parseCloseEvent(code: unknown, reason: unknown): CloseInfo | undefined {
  if (typeof code !== 'number') return undefined;
  const text = typeof reason === 'string' ? reason : '';
  try {
    assertValidClose(code, text);
  } catch {
    return undefined;
  }
  return { code, reason: text };
}
