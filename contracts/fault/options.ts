// The public types of FaultProxy (its options, address, counters and fault directions) and the
// checks of the arguments it is given. No Node module is imported here: loading the package must
// not load node:net (see FaultProxy.listen).

/** The way bytes travel through the proxy: `up` is client → target, `down` is target → client. */
export type FlowDirection = 'up' | 'down';

/** A {@link FlowDirection}, or `both` for the two at once. */
export type DirectionOption = FlowDirection | 'both';

/** The end of a proxied pair a cut resets: the accepted `client`, the `target` side, or `both`. */
export type ProxySide = 'client' | 'target' | 'both';

/** Options of {@link FaultProxy}. */
export interface FaultProxyOptions {
  /** Where every accepted connection is forwarded to. */
  readonly target: { readonly host: string; readonly port: number };
  /** Loopback address to listen on (`127.x.x.x`, `::1` or `localhost`). Default `'127.0.0.1'`. */
  readonly host?: string;
  /** Port to listen on. Default `0`: a free port chosen by the system. */
  readonly port?: number;
  /**
   * When set, forwarded data is re-chunked: written in pieces of at most this many bytes, one
   * piece per event-loop turn, so that the receiver usually reads each piece on its own (TCP may
   * still merge some for a receiver in another process). Exercises an adapter's framing across
   * segment boundaries. Bytes and order are unchanged; throughput drops accordingly.
   */
  readonly chunkSize?: number;
}

/** Where a {@link FaultProxy} listens. */
export interface FaultProxyAddress {
  /** The address, as given in {@link FaultProxyOptions.host}. */
  readonly host: string;
  /** The port actually bound. */
  readonly port: number;
}

/** Counters of a {@link FaultProxy} since it was made. A snapshot: it does not update itself. */
export interface FaultProxyStats {
  /** TCP connections accepted by the listener, refused and blackholed ones included. */
  readonly accepted: number;
  /** Connections reset on arrival by {@link FaultProxy.refuse}. */
  readonly refused: number;
  /** Connections held without a target connection by {@link FaultProxy.blackhole}. */
  readonly blackholed: number;
  /**
   * Connections ended by a fault: {@link FaultProxy.cut}, {@link FaultProxy.cutAfter} or
   * {@link FaultProxy.cutAtRandom} (not by {@link FaultProxy.close}).
   */
  readonly cut: number;
  /** Bytes forwarded client → target. */
  readonly bytesUp: number;
  /** Bytes forwarded target → client. */
  readonly bytesDown: number;
  /** Socket errors seen and swallowed (`ECONNRESET`, `EPIPE`, `ECONNREFUSED` from the target…). */
  readonly errors: number;
}

/** Options of {@link FaultProxy.cutAtRandom}. */
export interface RandomCutOptions {
  /**
   * Seed of the generator, used as an unsigned 32-bit integer: the same seed draws the same
   * sequence of byte counts.
   */
  readonly seed: number;
  /** Smallest byte count drawn (inclusive, integer ≥ 0). */
  readonly minBytes: number;
  /** Largest byte count drawn (inclusive, integer ≥ `minBytes`). */
  readonly maxBytes: number;
  /** Which bytes count towards the drawn number. Default `'both'`: the two directions added up. */
  readonly direction?: DirectionOption;
}

/** A dotted-quad IPv4 address: four decimal octets 0-255, no leading zeros (as net.isIPv4). */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true;
  return IPV4.test(host) && host.startsWith('127.');
}

export function includes(option: DirectionOption, direction: FlowDirection): boolean {
  return option === 'both' || option === direction;
}

export function checkDirection(direction: unknown): DirectionOption {
  if (direction !== 'up' && direction !== 'down' && direction !== 'both')
    throw new TypeError(`direction must be 'up', 'down' or 'both', got ${String(direction)}`);
  return direction;
}

export function checkCount(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${what} must be an integer >= 0, got ${String(value)}`);
  return value;
}

export function checkPort(value: unknown, what: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 65535)
    throw new RangeError(`${what} must be an integer from ${min} to 65535, got ${String(value)}`);
  return value;
}
