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
  return Math.max(finest, Math.min(divisor, shorter));
}

function gcd(a: number, b: number): number {
  while (b > 0) [a, b] = [b, a % b];
  return a;
}
