// A node's backplane link goes down and comes back (cluster.cut('a') / cluster.restore('a')):
// node a is told (state event, metrics), keeps serving its own clients, and what it publishes
// meanwhile is dropped and counted; once restored it says how long it was down, the directory
// lists exactly its clients again (those admitted, gone, joined or left during the outage
// included), and traffic crosses again.
import { expect } from 'chai';
import { expectCode, rejectionOf } from '../unit/support.js';
import {
  balancedClient,
  cleanUpNodes,
  dropConnection,
  connectTo,
  idOf,
  ids,
  inbox,
  recordEvents,
  settle,
  sleep,
  sorted,
  startNodes,
  until,
} from './support.js';

describe('cluster: backplane outage of one node', () => {
  afterEach(cleanUpNodes);

  it('cut: a gets state disconnected, its backplane metrics say down; the others are told nothing', async () => {
    const nodes = await startNodes();
    const logs = nodes.all.map(recordEvents);
    expect(nodes.a.server.getMetrics().backplane.up).to.equal(1);
    nodes.cluster.cut('a');
    await settle();
    expect(logs[0].state).to.have.length(1);
    expect(logs[0].state[0]).to.include({ state: 'disconnected', downFor: 0 });
    expect(logs[1].state).to.deep.equal([]);
    expect(logs[2].state).to.deep.equal([]);
    const metrics = nodes.a.server.getMetrics().backplane;
    expect(metrics.up).to.equal(0);
    expect(metrics.outages).to.equal(1);
    expect(nodes.b.server.getMetrics().backplane.up).to.equal(1);
    for (const log of logs) expect(log.nodeGone).to.deep.equal([]);
  });

  it('during the outage a still serves its own clients: broadcasts, topics, requests', async () => {
    const nodes = await startNodes();
    const { a } = nodes;
    const one = await connectTo(a, { topics: ['room'] });
    const two = await connectTo(a);
    const [g1, g2] = [one, two].map(inbox);
    a.server.handle('echo', (payload) => payload);
    nodes.cluster.cut('a');
    expect(a.server.broadcast({ type: 'local', payload: 1 })).to.equal(2);
    expect(a.server.sendToSubscribers('room', { type: 'room', payload: 2 })).to.equal(1);
    expect(a.server.sendToClient(idOf(two), { type: 'dm', payload: 3 })).to.equal(true);
    expect(await two.request('echo', 'still answering')).to.equal('still answering');
    two.handle('ping', () => 'pong');
    expect(await a.server.request(idOf(two), 'ping', null)).to.equal('pong');
    const late = await connectTo(a, { topics: ['room'] });
    const gl = inbox(late);
    a.server.sendToSubscribers('room', { type: 'room', payload: 4 });
    await until(() => g1.length === 3 && gl.length === 1, 'local deliveries');
    expect(g1.map((m) => m.payload)).to.deep.equal([1, 2, 4]);
    expect(g2.map((m) => m.payload)).to.deep.equal([1, 3]);
    expect(gl.map((m) => m.payload)).to.deep.equal([4]);
  });

  it("during the outage a's broadcasts do not reach the other nodes (counted as dropped), nor theirs a's clients", async () => {
    const nodes = await startNodes();
    const onA = await connectTo(nodes.a);
    const onB = await connectTo(nodes.b);
    const onC = await connectTo(nodes.c);
    const [ga, gb, gc] = [onA, onB, onC].map(inbox);
    nodes.cluster.cut('a');
    const dropped = nodes.a.server.getMetrics().backplane.packetsDropped;
    const out = nodes.a.server.getMetrics().backplane.packetsOut;
    nodes.a.server.broadcast({ type: 'from-a', payload: 1 });
    nodes.a.server.sendToClient(idOf(onB), { type: 'from-a', payload: 2 });
    nodes.b.server.broadcast({ type: 'from-b', payload: 3 });
    nodes.b.server.sendToClient(idOf(onA), { type: 'from-b', payload: 4 });
    await until(() => gc.length === 1, "c gets b's broadcast");
    await settle();
    expect(ga).to.deep.equal([{ type: 'from-a', payload: 1 }]);
    expect(gb).to.deep.equal([{ type: 'from-b', payload: 3 }]);
    expect(gc).to.deep.equal([{ type: 'from-b', payload: 3 }]);
    const metrics = nodes.a.server.getMetrics().backplane;
    expect(metrics.packetsDropped - dropped).to.equal(2);
    expect(metrics.packetsOut).to.equal(out);
  });

  it("during the outage a request from a to another node's client fails NOT_CONNECTED at once, and one in flight too", async () => {
    const nodes = await startNodes();
    const onB = await connectTo(nodes.b);
    let running = false;
    onB.handle('slow', () => {
      running = true;
      return new Promise(() => undefined);
    });
    onB.handle('fast', () => 1);
    const inFlight = nodes.a.server.request(idOf(onB), 'slow', null, { timeout: 5000 });
    inFlight.catch(() => undefined);
    await until(() => running, 'the handler runs on b');
    const started = Date.now();
    nodes.cluster.cut('a');
    expectCode(await rejectionOf(inFlight), 'NOT_CONNECTED');
    expectCode(
      await rejectionOf(nodes.a.server.request(idOf(onB), 'fast', null, { timeout: 5000 })),
      'NOT_CONNECTED',
    );
    expect(Date.now() - started).to.be.below(1000);
  });

  it("during the outage a's cluster-wide questions reject; the other nodes' still answer", async () => {
    const nodes = await startNodes();
    await connectTo(nodes.b, { user: 'bob', topics: ['room'] });
    nodes.cluster.cut('a');
    const q = nodes.a.server.cluster;
    for (const ask of [
      () => q.getClients(),
      () => q.getClient('x'),
      () => q.getSubscribers('room'),
      () => q.topicSizes(),
      () => q.getTopicSize('room'),
      () => q.getUserClients('bob'),
      () => q.isOnline('bob'),
      () => q.nodes(),
    ])
      expect(await rejectionOf(ask())).to.be.instanceOf(Error);
    expect(await nodes.b.server.cluster.getTopicSize('room')).to.equal(1);
  });

  it('during the outage a client of another node that comes back to a gets a new session (expired)', async () => {
    const nodes = await startNodes();
    const { client, balancer } = balancedClient(nodes.b.url);
    const outcomes: unknown[] = [];
    client.onReconnected((outcome) => outcomes.push(outcome));
    await client.connect();
    const id = idOf(client);
    balancer.hold();
    dropConnection(nodes.b.server, id);
    await until(
      async () => (await nodes.c.server.cluster.getClient(id))?.parked === true,
      'parked on b',
    );
    nodes.cluster.cut('a');
    const started = Date.now();
    balancer.routeTo(nodes.a.url);
    await until(() => outcomes.length === 1, 'the reconnect');
    expect(Date.now() - started).to.be.below(1000);
    expect(outcomes).to.deep.equal([{ resumed: false, reason: 'expired' }]);
    expect(client.id).to.not.equal(id);
    expect(nodes.a.server.getClient(client.id!)).to.not.equal(undefined);
  });

  it('restore: state connected with downFor, up again, and traffic crosses both ways', async () => {
    const nodes = await startNodes();
    const onA = await connectTo(nodes.a);
    const onB = await connectTo(nodes.b);
    const [ga, gb] = [onA, onB].map(inbox);
    const log = recordEvents(nodes.a);
    const cutAt = Date.now();
    nodes.cluster.cut('a');
    await sleep(30);
    nodes.cluster.restore('a');
    const restoredAt = Date.now();
    await until(() => log.state.length === 2, 'the connected state');
    expect(log.state.map((s) => s.state)).to.deep.equal(['disconnected', 'connected']);
    const downFor = log.state[1].downFor;
    expect(downFor).to.be.at.least(25);
    expect(downFor).to.be.at.most(restoredAt - cutAt + 5);
    expect(log.state[1].error).to.equal(undefined);
    const metrics = nodes.a.server.getMetrics().backplane;
    expect(metrics.up).to.equal(1);
    expect(metrics.outages).to.equal(1);
    nodes.a.server.broadcast({ type: 'm', payload: 'a again' });
    nodes.b.server.sendToClient(idOf(onA), { type: 'm', payload: 'b again' });
    await until(() => ga.length === 2 && gb.length === 1, 'both ways');
    expect(gb).to.deep.equal([{ type: 'm', payload: 'a again' }]);
    expect(ga.map((m) => m.payload)).to.deep.equal(['a again', 'b again']);
    expect(
      await nodes.b.server.request(idOf(onA), 'nope', null).catch((e: Error) => e),
    ).to.have.property('code', 'HANDLER_NOT_FOUND');
  });

  it("restore: the directory lists a's clients again, also one admitted during the outage, and not one that left meanwhile", async () => {
    const nodes = await startNodes();
    const stays = await connectTo(nodes.a, { user: 'ann', topics: ['room'] });
    const leaves = await connectTo(nodes.a, { user: 'lou', topics: ['room'] });
    const onB = await connectTo(nodes.b, { topics: ['room'] });
    const leavesId = idOf(leaves);
    const log = recordEvents(nodes.a);
    nodes.cluster.cut('a');
    const admitted = await connectTo(nodes.a, { user: 'new', topics: ['room', 'hall'] });
    await leaves.disconnect();
    await until(() => nodes.a.server.getClient(leavesId) === undefined, 'lou gone from a');
    nodes.cluster.restore('a');
    await until(() => log.state.length === 2, 'connected again');
    for (const { server } of nodes.all) {
      const q = server.cluster;
      expect(ids(await q.getClients()), `clients, asked on ${q.nodeId}`).to.deep.equal(
        sorted([idOf(stays), idOf(admitted), idOf(onB)]),
      );
      expect((await q.getClient(idOf(admitted)))?.node).to.equal('a');
      expect(await q.getClient(leavesId)).to.equal(undefined);
      expect(ids(await q.getSubscribers('room'))).to.deep.equal(
        sorted([idOf(stays), idOf(admitted), idOf(onB)]),
      );
      expect(ids(await q.getSubscribers('hall'))).to.deep.equal([idOf(admitted)]);
      expect(await q.isOnline('new')).to.equal(true);
      expect(await q.isOnline('lou')).to.equal(false);
    }
    // The client admitted during the outage gets what other nodes send its topics now.
    const got = inbox(admitted);
    nodes.c.server.sendToSubscribers('hall', { type: 'm', payload: 'to hall' });
    await until(() => got.length === 1, 'the message from c');
    expect(got).to.deep.equal([{ type: 'm', payload: 'to hall' }]);
  });

  it('restore: topics a client joined or left during the outage are what the directory lists', async () => {
    const nodes = await startNodes();
    const client = await connectTo(nodes.a, { topics: ['old', 'kept'] });
    const log = recordEvents(nodes.a);
    nodes.cluster.cut('a');
    await client.leave('old');
    await client.join('new');
    nodes.cluster.restore('a');
    await until(() => log.state.length === 2, 'connected again');
    const q = nodes.b.server.cluster;
    expect(ids(await q.getSubscribers('new'))).to.deep.equal([idOf(client)]);
    expect(ids(await q.getSubscribers('kept'))).to.deep.equal([idOf(client)]);
    expect(ids(await q.getSubscribers('old')), 'left during the outage').to.deep.equal([]);
    expect(Object.fromEntries(await q.topicSizes())).to.deep.equal({ kept: 1, new: 1 });
  });
});
