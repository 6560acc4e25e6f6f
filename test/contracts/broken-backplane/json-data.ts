import { MemoryBackplane, type BackplanePacket } from 'plugsocket';

/** Flaw: data goes through JSON, so a Uint8Array in it arrives as `{ "0": …, "1": … }`. */
export class JsonDataBackplane extends MemoryBackplane {
  override publish(packet: BackplanePacket): void {
    super.publish(viaJson(packet));
  }

  override publishTo(node: string, packet: BackplanePacket): void {
    super.publishTo(node, viaJson(packet));
  }
}

function viaJson(packet: BackplanePacket): BackplanePacket {
  if (packet.data === undefined) return packet;
  return { ...packet, data: JSON.parse(JSON.stringify(packet.data)) as unknown };
}
