// R3: a node restarted with the same nodeId (a StatefulSet pod name, a hostname) restarts its
// sequence at 0; the others' #seen / ring / #evicted still hold its previous life's numbers.
// A hand-over then replays the previous life's frames again (duplicates, out of order).
import { expect } from 'chai';
import type { ResumeOutcome } from '../../../src/index.js';
import { MemoryCluster } from '../../../src/index.js';
import {
  balancedClient,
  cleanUpNodes,
  dropConnection,
  idOf,
  inbox,
  settle,
  startNode,
  until,
} from '../support.js';

describe('R3 nodeId reused after a restart', () => {
  afterEach(cleanUpNodes);

  it('a client that got old-a’s messages live gets them again when it moves from c to b', async () => {
    const cluster = new MemoryCluster();
    const a1 = await startNode(cluster, 'a');
    const b = await startNode(cluster, 'b');
    const c = await startNode(cluster, 'c');
    const { client, balancer } = balancedClient(c.url, { auth: { user: 'ann' } });
    const outcomes: ResumeOutcome[] = [];
    client.onReconnected((o) => outcomes.push(o));
    const got = inbox(client);
    await client.connect();
    await client.join('news');
    const id = idOf(client);
    for (let i = 1; i <= 5; i++)
      a1.server.sendToSubscribers('news', { type: 'news', payload: `old-a ${i}` });
    await until(() => got.length === 5, 'old a’s five');
    await a1.server.shutdown();
    const a2 = await startNode(cluster, 'a'); // same id, new life
    a2.server.sendToSubscribers('news', { type: 'news', payload: 'new-a 1' });
    await until(() => got.length === 6, 'new a’s one');
    balancer.hold();
    dropConnection(c.server, id);
    await until(async () => (await b.server.cluster.getClient(id))?.parked === true, 'parked on c');
    balancer.routeTo(b.url);
    await until(() => outcomes.length === 1, 'the reconnect');
    await settle();
    console.log('outcomes', JSON.stringify(outcomes));
    console.log(
      'got',
      got.map((m) => m.payload),
    );
    expect(got.map((m) => m.payload)).to.deep.equal([
      'old-a 1',
      'old-a 2',
      'old-a 3',
      'old-a 4',
      'old-a 5',
      'new-a 1',
    ]);
  });
});
