import { MemoryBackplane, type BackplaneNode, type BackplanePacket } from 'plugsocket';

/** Flaw: a broadcast is also handed back to its sender, as a broker subscription to its own channel does. */
export class EchoingBackplane extends MemoryBackplane {
  #node: BackplaneNode | undefined;

  override open(node: BackplaneNode): Promise<void> {
    this.#node = node;
    return super.open(node);
  }

  override publish(packet: BackplanePacket): void {
    super.publish(packet);
    const node = this.#node;
    if (node !== undefined) queueMicrotask(() => node.receive(structuredClone(packet), node.id));
  }
}
