import { MemoryBackplane, type BackplanePacket } from 'plugsocket';

/**
 * Flaw: packets to one node travel on a lane of their own (a per-node channel read by another
 * connection), a macrotask behind broadcasts, so a sender's publishTo() and publish() lose their
 * relative order.
 */
export class LaneReorderingBackplane extends MemoryBackplane {
  override publishTo(node: string, packet: BackplanePacket): void {
    setTimeout(() => super.publishTo(node, packet), 0);
  }
}
