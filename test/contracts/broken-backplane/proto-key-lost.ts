import { MemoryBackplane, type BackplanePacket } from 'plugsocket';

/**
 * Flaw: data is copied with plain assignment (`out[key] = value`), so a `"__proto__"` key sets the
 * copy's prototype instead of being a key: it is lost, and the copy is no plain object.
 */
export class ProtoLosingBackplane extends MemoryBackplane {
  override publish(packet: BackplanePacket): void {
    super.publish(assigned(packet));
  }

  override publishTo(node: string, packet: BackplanePacket): void {
    super.publishTo(node, assigned(packet));
  }
}

function assigned(packet: BackplanePacket): BackplanePacket {
  if (packet.data === undefined) return packet;
  return { ...packet, data: copy(packet.data) };
}

function copy(value: unknown): unknown {
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map(copy);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = copy(item);
  return out;
}
