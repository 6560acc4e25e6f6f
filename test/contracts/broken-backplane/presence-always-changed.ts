import { MemoryBackplane, type ClusterClient, type PresenceChange } from 'plugsocket';

/** Flaw: every directory write reports a presence change, as if each client were its user's only one. */
export class AlwaysChangedBackplane extends MemoryBackplane {
  override async addClient(client: ClusterClient): Promise<PresenceChange> {
    await super.addClient(client);
    return { changed: true };
  }

  override async removeClient(clientId: string): Promise<PresenceChange> {
    await super.removeClient(clientId);
    return { changed: true };
  }
}
