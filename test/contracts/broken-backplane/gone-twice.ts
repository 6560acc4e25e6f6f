import { MemoryBackplane, type BackplaneNode } from 'plugsocket';

/** Flaw: a node learns of a departure twice (a leave message and the liveness sweep), and says so twice. */
export class GoneTwiceBackplane extends MemoryBackplane {
  override open(node: BackplaneNode): Promise<void> {
    return super.open({
      id: node.id,
      receive: (packet, from) => node.receive(packet, from),
      state: (state, error) => node.state(state, error),
      nodeGone: (gone, removed) => {
        node.nodeGone(gone, removed);
        node.nodeGone(gone, undefined);
      },
    });
  }
}
