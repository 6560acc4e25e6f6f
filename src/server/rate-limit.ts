import type { ServerMetrics } from './metrics.js';

import { tickNow } from '../shared/tick-clock.js';

/**
 * A per-connection rate limit: a token bucket for frames and one for bytes. Each refills
 * continuously at its allowance per `interval` and holds at most `burst` frames (`burstBytes`
 * bytes), so a client may send a burst after a quiet spell but not more than its allowance on
 * average.
 */
export interface RateLimitOptions {
  /** Milliseconds the allowances are given for. @default 1000 */
  interval?: number;
  /** Frames a client may send per interval: messages, requests, joins, leaves, refreshes. @default 1000 */
  messages?: number;
  /**
   * Bytes a client may send per interval: the length of a text frame (in UTF-16 code units), the
   * bytes of a binary one, and for a structured one the length of its JSON text as measured while
   * it is decoded (string characters once each, numbers as 25). At least the server's `maxPayload`, so that a frame the
   * server accepts can pass. @default 16777216 (16 MiB)
   */
  bytes?: number;
  /** Frames the bucket holds: the largest burst after a quiet spell. @default `messages` */
  burst?: number;
  /**
   * Frames refused within one interval after which the client is disconnected with 4429
   * (`RATE_LIMITED`): a client that keeps sending past its limit is not served at all.
   * @default `messages`
   */
  maxViolations?: number;
}

/** @internal The limits, resolved. */
export interface RateLimitSettings {
  readonly interval: number;
  readonly messages: number;
  readonly bytes: number;
  readonly burst: number;
  readonly burstBytes: number;
  readonly maxViolations: number;
  /** Where refused frames are counted (`refusals.rateLimit`). */
  readonly metrics: ServerMetrics;
}

/** @internal One connection's buckets, made on its first frame. */
export interface RateState {
  frames: number;
  bytes: number;
  last: number;
  /** Frames refused in the window that began at `windowStart`. */
  refused: number;
  windowStart: number;
}

/** @internal What a frame may do: pass, be refused (first refusal of a window or not), or end the connection. */
export const RateVerdict = {
  Pass: 0,
  Refused: 1,
  /** Refused, and the first refusal in this interval: the client is told once. */
  RefusedFirst: 2,
  Disconnect: 3,
} as const;
/** @internal One of {@link RateVerdict}. */
export type RateVerdict = (typeof RateVerdict)[keyof typeof RateVerdict];

const OPTION_KEYS = new Set(['interval', 'messages', 'bytes', 'burst', 'maxViolations']);

/** @internal Validates `rateLimit` (`false` turns it off). */
export function rateLimitSettings(
  options: RateLimitOptions | false | undefined,
  maxPayload: number,
  metrics: ServerMetrics,
): RateLimitSettings | undefined {
  if (options === false) return undefined;
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new TypeError('rateLimit must be an object or false');
  }
  const o = options ?? {};
  for (const key of Object.keys(o)) {
    if (!OPTION_KEYS.has(key)) throw new TypeError(`rateLimit: unknown option "${key}"`);
  }
  const interval = positiveOr(o.interval, 1000, 'interval');
  const messages = positiveOr(o.messages, 1000, 'messages');
  const bytes = positiveOr(o.bytes, 16 * 1024 * 1024, 'bytes');
  if (bytes < maxPayload) {
    throw new RangeError(
      `rateLimit.bytes (${bytes}) must be at least maxPayload (${maxPayload}), or no frame of that size could pass`,
    );
  }
  const burst = positiveOr(o.burst, messages, 'burst');
  return {
    interval,
    messages,
    bytes,
    burst: Math.max(1, burst),
    burstBytes: bytes,
    maxViolations: positiveOr(o.maxViolations, messages, 'maxViolations'),
    metrics,
  };
}

function positiveOr(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || value === Infinity) {
    throw new RangeError(
      `rateLimit.${name} must be a positive finite number, got ${String(value)}`,
    );
  }
  return value;
}

/**
 * @internal Takes one frame of `size` bytes from a connection's buckets. Costs a few arithmetic
 * operations, and a clock read once per turn of the event loop ({@link tickNow}).
 */
export function takeFrame(
  settings: RateLimitSettings,
  holder: { rate: RateState | undefined },
  size: number,
): RateVerdict {
  const now = tickNow();
  let state = holder.rate;
  if (state === undefined) {
    state = holder.rate = {
      frames: settings.burst,
      bytes: settings.burstBytes,
      last: now,
      refused: 0,
      windowStart: now,
    };
  } else if (now > state.last) {
    const elapsed = now - state.last;
    state.last = now;
    state.frames = Math.min(
      settings.burst,
      state.frames + (elapsed * settings.messages) / settings.interval,
    );
    state.bytes = Math.min(
      settings.burstBytes,
      state.bytes + (elapsed * settings.bytes) / settings.interval,
    );
  }
  if (state.frames >= 1 && size <= state.bytes) {
    state.frames -= 1;
    state.bytes -= size;
    return RateVerdict.Pass;
  }
  if (now - state.windowStart >= settings.interval) {
    state.windowStart = now;
    state.refused = 0;
  }
  state.refused++;
  settings.metrics.refusedRateLimit++;
  if (state.refused > settings.maxViolations) return RateVerdict.Disconnect;
  return state.refused === 1 ? RateVerdict.RefusedFirst : RateVerdict.Refused;
}
