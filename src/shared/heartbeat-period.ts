/**
 * @internal How often a heartbeat timer checks its connections, for pings every `interval` ms
 * and a `timeout` ms to answer: often enough that a ping is due and a timeout is noticed within a
 * tenth of the shorter of the two (at the greatest common divisor of both when that is coarser),
 * so a 25 s interval really pings every 25 s, not at the next multiple of the timeout.
 */
export function heartbeatPeriod(interval: number, timeout: number): number {
  const shorter = Math.min(interval, timeout);
  const finest = Math.max(1, shorter / 10);
  const divisor = gcd(Math.round(interval), Math.round(timeout));
  // Timers take at most 2³¹−1 ms (about 24.8 days); a longer delay would fire every millisecond.
  return Math.min(MAX_TIMER, Math.max(finest, Math.min(divisor, shorter)));
}

const MAX_TIMER = 2 ** 31 - 1;

function gcd(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b)) return Number.isFinite(a) ? a : b;
  while (b > 0) [a, b] = [b, a % b];
  return a;
}
