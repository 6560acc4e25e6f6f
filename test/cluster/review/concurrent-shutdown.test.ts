// R9: offerSessions spreads sessions over backplane.nodes(), which still lists nodes that
// announced they are leaving; such a node ignores the adopt (host.adopt: state !== 'listening').
// The session then sits in the store only: no node lists it or logs what is sent to it, contrary
// to "That node keeps it parked, with its topics, until its client comes back".
import { expect } from 'chai';
import type { ResumeOutcome } from '../../../src/index.js';
import { MemoryCluster } from '../../../src/index.js';
import {
  balancedClient,
  cleanUpNodes,
  connectTo,
  idOf,
  settle,
  sleep,
  startNode,
} from '../support.js';

describe('R9 two nodes shutting down at once (scale-in by 2, rolling deploy with surge)', () => {
  afterEach(cleanUpNodes);

  it('a’s session is kept parked by a node that stays', async () => {
    const cluster = new MemoryCluster();
    const a = await startNode(cluster, 'a');
    const b = await startNode(cluster, 'b');
    const c = await startNode(cluster, 'c');
    // b has a request in flight: its drain keeps it in the cluster a while after it announced leaving.
    b.server.handle('slow', () => sleep(300).then(() => 'done'));
    const busy = await connectTo(b);
    void busy.request('slow', null).catch(() => undefined);
    await settle();
    const { client, balancer } = balancedClient(a.url, { auth: { user: 'ann' } });
    const outcomes: ResumeOutcome[] = [];
    client.onReconnected((o) => outcomes.push(o));
    await client.connect();
    await client.join('news');
    const id = idOf(client);
    balancer.hold();
    const bDown = b.server.shutdown({ timeout: 1000 });
    await settle();
    await a.server.shutdown();
    await sleep(20);
    const entry = await c.server.cluster.getClient(id);
    console.log(
      'directory entry after a shut down:',
      JSON.stringify(entry),
      'nodes',
      await c.server.cluster.nodes(),
    );
    await bDown;
    const later = await c.server.cluster.getClient(id);
    console.log('after b left too:', JSON.stringify(later));
    expect(later, 'some node keeps the session parked').to.not.equal(undefined);
  });
});
