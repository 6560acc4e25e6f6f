import { MemoryCluster, MemoryBackplane, type ClusterClient } from 'plugsocket';

/** A node's entries and memberships, read through the cluster's internal hooks. */
function entriesOf(cluster: MemoryCluster, node: string): [ClusterClient, string[]][] {
  const topics = [...cluster._topicSizes().keys()];
  return cluster
    ._getClients()
    .filter((client) => client.node === node)
    .map((client) => [
      client,
      topics.filter((t) => cluster._getClients({ topic: t }).some((c) => c.id === client.id)),
    ]);
}

function writeBack(cluster: MemoryCluster, entries: [ClusterClient, string[]][]): void {
  for (const [client, topics] of entries) {
    cluster._addClient(client);
    for (const topic of topics) cluster._joinTopic(client.id, topic);
  }
}

/**
 * Flaw: a crashed node's entries outlive it. Survivors are told it is gone (with the list), but
 * nothing is removed, as when the cleanup deletes the wrong keys.
 */
export class NoCrashCleanupCluster extends MemoryCluster {
  override crash(id: string): void {
    const entries = entriesOf(this, id);
    super.crash(id);
    writeBack(this, entries);
  }
}

/** Flaw: close() leaves the node's directory entries behind (only its liveness goes). */
export class EntriesKeptOnCloseBackplane extends MemoryBackplane {
  override async close(): Promise<void> {
    const entries = entriesOf(this.cluster, this.nodeId);
    await super.close();
    writeBack(this.cluster, entries);
  }
}
