// A server without a backplane is a cluster of one: server.cluster answers from its own clients
// (the same shape of answers as with a backplane) and emits the same presence events
// (join/leave/online/offline), with its own node id.
import { expect } from 'chai';
import { MemoryCluster } from '../../src/index.js';
import { startServer } from '../unit/support.js';
import {
  balancedClient,
  cleanUpNodes,
  connectTo,
  dropConnection,
  idOf,
  ids,
  recordEvents,
  settle,
  sorted,
  startNode,
  until,
  userAuth,
  type Node,
  type Principal,
} from './support.js';

/** A server with no backplane, node id `solo`. */
function startSolo(): Promise<Node> {
  return startServer<Principal>({
    authorization: userAuth(),
    heartbeatInterval: Infinity,
    nodeId: 'solo',
  });
}

describe('cluster: a single server without a backplane', () => {
  afterEach(cleanUpNodes);

  it('nodes() is itself; nodeId is the option', async () => {
    const solo = await startSolo();
    expect(solo.server.cluster.nodeId).to.equal('solo');
    expect(await solo.server.cluster.nodes()).to.deep.equal(['solo']);
  });

  it('answers getClients, getClient, getSubscribers, topicSizes, getTopicSize, getUserClients, isOnline from its clients', async () => {
    const solo = await startSolo();
    const before = Date.now();
    const ann = await connectTo(solo, { user: 'ann', topics: ['room', 'hall'] });
    const anon = await connectTo(solo, { topics: ['room'] });
    const ann2 = await connectTo(solo, { user: 'ann' });
    const q = solo.server.cluster;
    const clients = await q.getClients();
    expect(ids(clients)).to.deep.equal(sorted([idOf(ann), idOf(anon), idOf(ann2)]));
    expect(clients.every((client) => client.node === 'solo')).to.equal(true);
    const one = await q.getClient(idOf(ann));
    expect(one).to.include({ id: idOf(ann), node: 'solo', user: 'ann' });
    expect(one!.connectedAt).to.be.within(before - 1, Date.now() + 1);
    expect(one!.parked ?? false).to.equal(false);
    expect((await q.getClient(idOf(anon)))?.user).to.equal(undefined);
    expect(await q.getClient('nobody')).to.equal(undefined);
    expect(ids(await q.getSubscribers('room'))).to.deep.equal(sorted([idOf(ann), idOf(anon)]));
    expect(Object.fromEntries(await q.topicSizes())).to.deep.equal({ room: 2, hall: 1 });
    expect(await q.getTopicSize('room')).to.equal(2);
    expect(await q.getTopicSize('none')).to.equal(0);
    expect(ids(await q.getUserClients('ann'))).to.deep.equal(sorted([idOf(ann), idOf(ann2)]));
    expect(await q.isOnline('ann')).to.equal(true);
    expect(await q.isOnline('bob')).to.equal(false);
  });

  it("lists a client's principal as a cluster does", async () => {
    const solo = await startSolo();
    const cluster = new MemoryCluster();
    const node = await startNode(cluster, 'x');
    const here = await connectTo(solo, { user: 'ann' });
    const there = await connectTo(node, { user: 'ann' });
    const listedHere = await solo.server.cluster.getClient(idOf(here));
    const listedThere = await node.server.cluster.getClient(idOf(there));
    expect(listedThere?.principal).to.deep.equal({ id: 'ann', role: 'member' });
    // ClusterClient.principal: "Who it is, as its node's AuthorizationStrategy decided, when that
    // is a JSON value"; and ServerCluster: "code does not change when nodes are added".
    expect(listedHere?.principal).to.deep.equal({ id: 'ann', role: 'member' });
  });

  it('emits join and leave with its node id (also when a client disconnects, and server-side)', async () => {
    const solo = await startSolo();
    const log = recordEvents(solo);
    const ann = await connectTo(solo, { user: 'ann', topics: ['room'] });
    const anon = await connectTo(solo, { topics: ['room', 'hall'] });
    solo.server.subscribe(idOf(ann), 'vip');
    await ann.leave('room');
    const anonId = idOf(anon);
    await anon.disconnect();
    await until(() => log.leave.length === 3, 'three leaves');
    await settle();
    expect(log.join).to.deep.equal([
      { topic: 'room', clientId: idOf(ann), user: 'ann', node: 'solo' },
      { topic: 'room', clientId: anonId, node: 'solo' },
      { topic: 'hall', clientId: anonId, node: 'solo' },
      { topic: 'vip', clientId: idOf(ann), user: 'ann', node: 'solo' },
    ]);
    expect(log.leave.slice(0, 1)).to.deep.equal([
      { topic: 'room', clientId: idOf(ann), user: 'ann', node: 'solo' },
    ]);
    expect(log.leave.slice(1)).to.have.deep.members([
      { topic: 'room', clientId: anonId, node: 'solo' },
      { topic: 'hall', clientId: anonId, node: 'solo' },
    ]);
  });

  it('emits online once per user, and offline only when its last client goes', async () => {
    const solo = await startSolo();
    const log = recordEvents(solo);
    const first = await connectTo(solo, { user: 'ann' });
    const second = await connectTo(solo, { user: 'ann' });
    await connectTo(solo);
    await settle();
    expect(log.online).to.deep.equal([{ user: 'ann', clientId: idOf(first), node: 'solo' }]);
    await first.disconnect();
    await until(() => solo.server.clientCount === 2, 'first gone');
    await settle();
    expect(log.offline).to.deep.equal([]);
    expect(await solo.server.cluster.isOnline('ann')).to.equal(true);
    const secondId = idOf(second);
    await second.disconnect();
    await until(() => log.offline.length === 1, 'offline');
    await settle();
    expect(log.offline).to.deep.equal([{ user: 'ann', clientId: secondId, node: 'solo' }]);
    expect(log.online).to.have.length(1);
    expect(await solo.server.cluster.isOnline('ann')).to.equal(false);
    expect(log.state).to.deep.equal([]);
    expect(log.nodeGone).to.deep.equal([]);
  });

  it('a lost connection is offline and listed parked; its resume is online again', async () => {
    const solo = await startSolo();
    const log = recordEvents(solo);
    const { client, balancer } = balancedClient(solo.url, { auth: { user: 'fay' } });
    await client.connect();
    await client.join('room');
    const id = idOf(client);
    balancer.hold();
    dropConnection(solo.server, id);
    await until(() => log.offline.length === 1, 'offline');
    expect(log.offline).to.deep.equal([{ user: 'fay', clientId: id, node: 'solo' }]);
    const listed = await solo.server.cluster.getClient(id);
    expect(listed).to.include({ id, node: 'solo', user: 'fay', parked: true });
    expect(await solo.server.cluster.isOnline('fay')).to.equal(false);
    expect(ids(await solo.server.cluster.getSubscribers('room'))).to.deep.equal([id]);
    expect(log.leave, 'a parked session stays in its topics').to.deep.equal([]);
    balancer.routeTo(solo.url);
    await until(() => log.online.length === 2, 'online again');
    expect(client.id).to.equal(id);
    expect(log.online[1]).to.deep.equal({ user: 'fay', clientId: id, node: 'solo' });
    expect(log.join, 'no second join on resume').to.have.length(1);
    expect((await solo.server.cluster.getClient(id))?.parked ?? false).to.equal(false);
  });
});
