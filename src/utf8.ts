/**
 * The UTF-8 byte length of a frame without encoding it. Text frames only need an exact count when
 * they are close to a limit: a UTF-16 code unit is at most 3 bytes of UTF-8.
 */
export function exceedsBytes(frame: string | Uint8Array, limit: number): boolean {
  if (typeof frame !== 'string') return frame.byteLength > limit;
  if (frame.length * 3 <= limit) return false;
  if (frame.length > limit) return true;
  return utf8Length(frame) > limit;
}

/** Counts the UTF-8 bytes of `text` (lone surrogates count as 3, as `TextEncoder` writes U+FFFD). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}
