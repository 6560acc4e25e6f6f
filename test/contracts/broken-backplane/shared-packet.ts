import { MemoryBackplane, type BackplanePacket } from 'plugsocket';

/** The one copy of the packet being published, per cluster, while its receivers are handed it. */
const sharing = new WeakMap<object, BackplanePacket>();

/**
 * Flaw: a broadcast is copied once and that one object is handed to every receiver, so a receiver
 * that changes its packet (a field of its data, a byte of its frame) changes the others'.
 */
export class SharedPacketBackplane extends MemoryBackplane {
  override publish(packet: BackplanePacket): void {
    // The cluster hands each receiver its copy synchronously, through _receive below.
    sharing.set(this.cluster, structuredClone(packet));
    try {
      super.publish(packet);
    } finally {
      sharing.delete(this.cluster);
    }
  }

  override _receive(packet: BackplanePacket, from: string): void {
    super._receive(sharing.get(this.cluster) ?? packet, from);
  }
}
