import { MemoryBackplane, type BackplanePacket } from 'plugsocket';

/** Flaw: publishTo() broadcasts, leaving receivers to filter by a target they are never told. */
export class BroadcastingPublishToBackplane extends MemoryBackplane {
  override publishTo(_node: string, packet: BackplanePacket): void {
    super.publish(packet);
  }
}
