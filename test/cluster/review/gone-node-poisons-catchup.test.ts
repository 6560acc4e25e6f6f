// R1: a node that published anything and then left makes every later hand-over from a node that
// never heard of it fail with `overflow` (ClusterLink.catchUp: ring entries / #evicted of the gone
// origin are never forgotten, and the newcomer's cursor has no entry for it).
import { expect } from 'chai';
import type { ResumeOutcome } from '../../../src/index.js';
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
import { MemoryCluster } from '../../../src/index.js';

describe('R1 gone node poisons catch-up', () => {
  afterEach(cleanUpNodes);

  it('a session on a node that joined after x left resumes on b (x published one broadcast, then shut down)', async () => {
    const cluster = new MemoryCluster();
    const b = await startNode(cluster, 'b');
    const x = await startNode(cluster, 'x');
    x.server.broadcast({ type: 'hello', payload: 'from x' });
    await settle();
    await x.server.shutdown();
    await settle();
    // d joins after x left: it never heard of x.
    const d = await startNode(cluster, 'd');
    const { client, balancer } = balancedClient(d.url, { auth: { user: 'ann' } });
    const outcomes: ResumeOutcome[] = [];
    client.onReconnected((o) => outcomes.push(o));
    const got = inbox(client);
    await client.connect();
    await client.join('news');
    const id = idOf(client);
    balancer.hold();
    dropConnection(d.server, id);
    await until(async () => (await b.server.cluster.getClient(id))?.parked === true, 'parked on d');
    d.server.sendToSubscribers('news', { type: 'news', payload: 1 });
    await settle();
    balancer.routeTo(b.url);
    await until(() => outcomes.length === 1, 'the reconnect');
    expect(outcomes).to.deep.equal([{ resumed: true }]);
    await until(() => got.length === 1, 'the missed message');
  });

  it('the same after x’s entries fell out of b’s ring (#evicted keeps x forever)', async () => {
    const cluster = new MemoryCluster();
    const b = await startNode(cluster, 'b');
    const x = await startNode(cluster, 'x');
    x.server.broadcast({ type: 'hello', payload: 'from x' });
    await settle();
    await x.server.shutdown();
    for (let i = 0; i < 4100; i++) b.server.broadcast({ type: 'tick', payload: i });
    await settle();
    const d = await startNode(cluster, 'd');
    const { client, balancer } = balancedClient(d.url, { auth: { user: 'ann' } });
    const outcomes: ResumeOutcome[] = [];
    client.onReconnected((o) => outcomes.push(o));
    await client.connect();
    const id = idOf(client);
    balancer.hold();
    dropConnection(d.server, id);
    await until(async () => (await b.server.cluster.getClient(id))?.parked === true, 'parked on d');
    balancer.routeTo(b.url);
    await until(() => outcomes.length === 1, 'the reconnect');
    expect(outcomes).to.deep.equal([{ resumed: true }]);
  });

  it('control: without x having existed, the same resume succeeds', async () => {
    const cluster = new MemoryCluster();
    const b = await startNode(cluster, 'b');
    const d = await startNode(cluster, 'd');
    const { client, balancer } = balancedClient(d.url, { auth: { user: 'ann' } });
    const outcomes: ResumeOutcome[] = [];
    client.onReconnected((o) => outcomes.push(o));
    await client.connect();
    const id = idOf(client);
    balancer.hold();
    dropConnection(d.server, id);
    await until(async () => (await b.server.cluster.getClient(id))?.parked === true, 'parked on d');
    balancer.routeTo(b.url);
    await until(() => outcomes.length === 1, 'the reconnect');
    expect(outcomes).to.deep.equal([{ resumed: true }]);
  });

  it('rolling deploy: d (joined after x left) shuts down, hands its session to b, which dooms it', async () => {
    const cluster = new MemoryCluster();
    const b = await startNode(cluster, 'b');
    const x = await startNode(cluster, 'x');
    x.server.broadcast({ type: 'hello', payload: 'from x' });
    await settle();
    await x.server.shutdown();
    const d = await startNode(cluster, 'd');
    const { client, balancer } = balancedClient(d.url, { auth: { user: 'ann' } });
    const outcomes: ResumeOutcome[] = [];
    client.onReconnected((o) => outcomes.push(o));
    await client.connect();
    const id = idOf(client);
    balancer.hold();
    await d.server.shutdown();
    await until(async () => (await b.server.cluster.getClient(id)) !== undefined, 'adopted by b');
    balancer.routeTo(b.url);
    await until(() => outcomes.length === 1, 'the reconnect');
    expect(outcomes).to.deep.equal([{ resumed: true }]);
  });
});
