import type { Backplane, BackplanePacket, BackplaneState } from '../ports/backplane.js';
import type { ServerMetrics } from './metrics.js';

/** Packet kinds: one character each, never read by a backplane. */
export const K = {
  broadcast: 'b',
  client: 'c',
  user: 'u',
  request: 'q',
  answer: 'a',
  cancel: 'x',
  many: 'm',
  manyAnswer: 'M',
  kick: 'k',
  handOff: 'h',
  hello: 'H',
  restate: 'R',
  leaving: 'L',
  hi: 'i',
  adopt: 'o',
  done: 'd',
  presence: 'p',
} as const;

/**
 * @internal The cluster link's way onto the backplane, shared by its parts (stream, calls,
 * presence): a packet goes out only between the link's open and close, and only while the link
 * is up; one published while it is down is counted as dropped.
 */
export class ClusterWire {
  /** True between the link's open and close. */
  open = false;
  /** The link's state now. */
  state: BackplaneState = 'connected';

  constructor(
    private readonly backplane: Backplane,
    private readonly metrics: ServerMetrics,
  ) {}

  /** Publishes a packet to every other node. */
  publish(packet: BackplanePacket): void {
    if (!this.open) return;
    const metrics = this.metrics;
    if (this.state !== 'connected') {
      metrics.backplaneDropped++;
      return;
    }
    metrics.backplaneOut++;
    this.backplane.publish(packet);
  }

  /** Sends a packet to node `node`. */
  send(node: string, packet: BackplanePacket): void {
    if (!this.open) return;
    const metrics = this.metrics;
    if (this.state !== 'connected') {
      metrics.backplaneDropped++;
      return;
    }
    metrics.backplaneOut++;
    this.backplane.publishTo(node, packet);
  }
}

/** Undefined, or an array of strings. */
export function isNames(value: unknown): boolean {
  return (
    value === undefined ||
    (Array.isArray(value) && (value as unknown[]).every((item) => typeof item === 'string'))
  );
}
