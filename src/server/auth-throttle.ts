/**
 * Slows down and then refuses a source of failed authentications, so that guessing credentials
 * is not free. Failures are counted per source (the peer's address unless `key` says otherwise)
 * over a window; from `delayAfter` failures on, every further attempt from that source waits
 * before it is verified (doubling from 250 ms up to `maxDelay`), whatever its outcome, so the
 * delay tells nothing; from `blockAfter` failures on, the source is refused with 4429 for
 * `blockFor`, without its credentials being looked at.
 */
export interface AuthThrottleOptions {
  /** Milliseconds over which failures are counted, from a source's first failure. @default 60000 */
  window?: number;
  /** Failures after which each attempt from the source is delayed. @default 5 */
  delayAfter?: number;
  /** Longest delay, in milliseconds. @default 4000 */
  maxDelay?: number;
  /** Failures after which the source is refused outright. @default 20 */
  blockAfter?: number;
  /** Milliseconds a blocked source stays refused. @default 300000 (5 minutes) */
  blockFor?: number;
  /**
   * Sources tracked at once; past it the oldest is forgotten, so many addresses cannot exhaust
   * memory. @default 10000
   */
  maxTracked?: number;
}

interface Entry {
  failures: number;
  windowStart: number;
  blockedUntil: number;
}

const KEYS = new Set(['window', 'delayAfter', 'maxDelay', 'blockAfter', 'blockFor', 'maxTracked']);
const BASE_DELAY = 250;

/** @internal Failure counts by source, bounded in size. */
export class AuthThrottle {
  readonly #entries = new Map<string, Entry>();
  readonly window: number;
  readonly delayAfter: number;
  readonly maxDelay: number;
  readonly blockAfter: number;
  readonly blockFor: number;
  readonly maxTracked: number;

  constructor(options: AuthThrottleOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('authThrottle must be an object or false');
    }
    for (const key of Object.keys(options)) {
      if (!KEYS.has(key)) throw new TypeError(`authThrottle: unknown option "${key}"`);
    }
    this.window = count(options.window, 60_000, 'window');
    this.delayAfter = count(options.delayAfter, 5, 'delayAfter');
    this.maxDelay = count(options.maxDelay, 4000, 'maxDelay');
    this.blockAfter = count(options.blockAfter, 20, 'blockAfter');
    this.blockFor = count(options.blockFor, 300_000, 'blockFor');
    this.maxTracked = count(options.maxTracked, 10_000, 'maxTracked');
  }

  /** True while `source` is refused outright. */
  blocked(source: string): boolean {
    const entry = this.#current(source);
    return entry !== undefined && entry.blockedUntil > Date.now();
  }

  /** Milliseconds an attempt from `source` waits before it is verified (0: none). */
  delay(source: string): number {
    const entry = this.#current(source);
    if (entry === undefined || entry.failures < this.delayAfter) return 0;
    const exponent = Math.min(entry.failures - this.delayAfter, 16);
    return Math.min(this.maxDelay, BASE_DELAY * 2 ** exponent);
  }

  /** Counts a failed authentication from `source`. */
  failed(source: string): void {
    const now = Date.now();
    let entry = this.#current(source);
    if (entry === undefined) {
      if (this.#entries.size >= this.maxTracked) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
      entry = { failures: 0, windowStart: now, blockedUntil: 0 };
      this.#entries.set(source, entry);
    }
    entry.failures++;
    if (entry.failures >= this.blockAfter) entry.blockedUntil = now + this.blockFor;
  }

  /** Sources tracked now (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  /** The entry of `source`, forgotten once both its window and any block have passed. */
  #current(source: string): Entry | undefined {
    const entry = this.#entries.get(source);
    if (entry === undefined) return undefined;
    const now = Date.now();
    if (now - entry.windowStart >= this.window && entry.blockedUntil <= now) {
      this.#entries.delete(source);
      return undefined;
    }
    return entry;
  }
}

function count(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0) || Number.isNaN(value)) {
    throw new RangeError(`authThrottle.${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}
