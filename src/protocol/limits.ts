import { PlugSocketError } from '../errors.js';

/** The protocol version a server announces in its `welcome` frame. */
export const PROTOCOL_VERSION = 1;

/** Longest accepted message type, topic, request name or client id, in UTF-16 code units. */
export const MAX_NAME_LENGTH = 256;

/**
 * Deepest nesting of arrays and objects a received frame may have, counting the envelope itself
 * (so a payload of a `msg` may nest 127 levels); a deeper frame is refused with
 * `INVALID_MESSAGE`, by `JsonCodec` and `CompactCodec` alike, in text, binary and structured
 * frames.
 *
 * Why a limit: `JSON.parse` reads any depth, but `JSON.stringify` recurses and throws a
 * `RangeError` somewhere past 4,000 levels (fewer when it is called deep in a stack), so a frame
 * that decoded fine could not be encoded again: a server relaying it would fail. Decoding refuses
 * what encoding cannot carry. Why 128: far above what applications nest (a few dozen levels at
 * most), far below where any encoder on the path gives up (a margin of 30), and the default of
 * serde_json, so a Rust peer reads every frame plugsocket accepts. It also bounds the walks that
 * check received values, which therefore need no explicit stack.
 */
export const MAX_NESTING_DEPTH = 128;

/** The `INVALID_MESSAGE` error for a frame deeper than {@link MAX_NESTING_DEPTH}. */
export function nestingTooDeep(): PlugSocketError {
  return new PlugSocketError(
    'INVALID_MESSAGE',
    `frame nests deeper than ${MAX_NESTING_DEPTH} levels`,
  );
}
