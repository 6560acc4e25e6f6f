import { CloseCodes } from '../ports/close.js';

/**
 * Automatic reconnection after a connection is lost: exponential backoff with full jitter, so
 * that clients dropped together (a server restart) do not come back together. The delay before
 * attempt n (from 0) is uniformly random in `[0, min(maxDelay, minDelay × factor^n))`.
 */
export interface ReconnectOptions {
  /** Attempts after a connection is lost before giving up; `Infinity` never gives up. @default Infinity */
  retries?: number;
  /** The ceiling of the first attempt's delay, in milliseconds. @default 1000 */
  minDelay?: number;
  /** The largest ceiling, in milliseconds. @default 30000 */
  maxDelay?: number;
  /** How much the ceiling grows per attempt. @default 2 */
  factor?: number;
  /** The same as `minDelay` (the `{ retries, delay }` shape). */
  delay?: number;
}

/** @internal The resolved options. */
export interface ReconnectSettings {
  readonly retries: number;
  readonly minDelay: number;
  readonly maxDelay: number;
  readonly factor: number;
}

const KEYS = new Set(['retries', 'minDelay', 'maxDelay', 'factor', 'delay']);

/**
 * @internal `reconnect` (and the older `maxReconnectAttempts`) resolved; undefined when off.
 * @throws {TypeError} for an unknown key or a value of the wrong type.
 * @throws {RangeError} for a negative or non-finite delay, or a factor below 1.
 */
export function reconnectSettings(
  reconnect: boolean | ReconnectOptions | undefined,
  maxReconnectAttempts: number | undefined,
): ReconnectSettings | undefined {
  if (reconnect === false) return undefined;
  if (
    reconnect !== undefined &&
    reconnect !== true &&
    (typeof reconnect !== 'object' || reconnect === null)
  ) {
    throw new TypeError('reconnect must be a boolean or { retries, minDelay, maxDelay, factor }');
  }
  const o: ReconnectOptions = typeof reconnect === 'object' ? reconnect : {};
  for (const key of Object.keys(o)) {
    if (!KEYS.has(key)) throw new TypeError(`reconnect: unknown option "${key}"`);
  }
  const retries = o.retries ?? maxReconnectAttempts ?? Infinity;
  if (typeof retries !== 'number' || !(retries >= 0)) {
    throw new RangeError(
      `reconnect.retries must be a number ≥ 0 or Infinity, got ${String(retries)}`,
    );
  }
  const minDelay = delayOf(o.minDelay ?? o.delay, 1000, 'minDelay');
  const maxDelay = delayOf(o.maxDelay, Math.max(30_000, minDelay), 'maxDelay');
  if (maxDelay < minDelay) throw new RangeError('reconnect.maxDelay must be at least minDelay');
  const factor = o.factor ?? 2;
  if (typeof factor !== 'number' || !(factor >= 1) || factor === Infinity) {
    throw new RangeError(`reconnect.factor must be a finite number ≥ 1, got ${String(factor)}`);
  }
  return { retries, minDelay, maxDelay, factor };
}

function delayOf(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || value === Infinity) {
    throw new RangeError(`reconnect.${name} must be a finite number ≥ 0, got ${String(value)}`);
  }
  return value;
}

/** @internal The delay before attempt `attempt` (from 0): full jitter under the ceiling. */
export function backoffDelay(
  settings: ReconnectSettings,
  attempt: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(settings.maxDelay, settings.minDelay * settings.factor ** attempt);
  return Math.floor(random() * ceiling);
}

/**
 * Close codes after which the client reconnects: the server went away or will be back (1001,
 * 1012 restart, 1013 try again later), the connection broke (1005 no code, 1006 dropped, 1011
 * server error, 1014 bad gateway), admission timed out (4408), the credentials expired (4419:
 * the next attempt applies the strategy afresh) or the client was cut off by the rate limit
 * (4429: the backoff slows it down). Any other close the server meant: a normal close (1000,
 * `server.disconnect(id)`), a policy violation (1008), refused or revoked credentials (4401,
 * 4403), another protocol version (4426), or an application's own code (3000–4999).
 */
const RECONNECT_AFTER: ReadonlySet<number> = new Set([
  CloseCodes.GOING_AWAY,
  1005,
  CloseCodes.ABNORMAL,
  CloseCodes.INTERNAL_ERROR,
  1012,
  CloseCodes.TRY_AGAIN_LATER,
  1014,
  CloseCodes.HANDSHAKE_TIMEOUT,
  CloseCodes.TOKEN_EXPIRED,
  CloseCodes.RATE_LIMITED,
]);

/** @internal Whether a lost connection is worth reconnecting to, by its close code. */
export function mayReconnectAfter(code: number): boolean {
  return RECONNECT_AFTER.has(code);
}
