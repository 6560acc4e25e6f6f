import { MemoryBackplane, type BackplaneNode, type RemovedClient } from 'plugsocket';

/**
 * Flaw: in a removed list, every entry of a user who went offline is marked `userOffline`, as when
 * it is computed per user rather than per entry: both of two online clients, and a parked one.
 */
export class OfflineEveryEntryBackplane extends MemoryBackplane {
  override open(node: BackplaneNode): Promise<void> {
    return super.open({
      id: node.id,
      receive: (packet, from) => node.receive(packet, from),
      state: (state, error) => node.state(state, error),
      nodeGone: (gone, removed) => node.nodeGone(gone, removed && markEveryEntry(removed)),
    });
  }
}

function markEveryEntry(removed: readonly RemovedClient[]): RemovedClient[] {
  const offline = new Set(removed.filter((c) => c.userOffline).map((c) => c.user));
  return removed.map((c) => ({ ...c, userOffline: c.user !== undefined && offline.has(c.user) }));
}
