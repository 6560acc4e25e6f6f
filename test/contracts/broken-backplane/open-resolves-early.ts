import { MemoryBackplane, type BackplaneNode } from 'plugsocket';

/** Flaw: open() resolves before the node has joined (before its subscription is confirmed). */
export class EarlyOpenBackplane extends MemoryBackplane {
  override open(node: BackplaneNode): Promise<void> {
    setTimeout(() => void super.open(node).catch(() => undefined), 5);
    return Promise.resolve();
  }
}
