// The backplane contract on MemoryCluster, the port's reference implementation, imported the way a
// third party imports the suite. Every gate is on (crash, cut and restore are MemoryCluster's own),
// so nothing is skipped; test/contracts/broken-backplane.test.ts checks that the suite rejects
// memory variants that each break one promise.
import { MemoryCluster, type MemoryBackplane } from 'plugsocket';
import { describeBackplaneContract } from 'plugsocket/contracts';

describeBackplaneContract({
  name: 'memory',
  cluster: () => {
    const cluster = new MemoryCluster();
    return { node: () => cluster.backplane() };
  },
  crash: (backplane, id) => (backplane as MemoryBackplane).cluster.crash(id),
  cut: (backplane, id) => (backplane as MemoryBackplane).cluster.cut(id),
  restore: (backplane, id) => (backplane as MemoryBackplane).cluster.restore(id),
  // Memory tells survivors at once: a short bound keeps a regression from stalling the run.
  timeouts: { nodeTimeout: 500, delivery: 1000, restore: 1000 },
});
