// Topics across nodes: a client joins on its node, a message to the topic sent on another node
// reaches it (and only the topic's members); server-side subscribe on the client's node; leaving
// stops delivery; a member of several topics gets a broadcast to them once.
import { expect } from 'chai';
import { cleanUpNodes, connectTo, idOf, inbox, settle, startNodes, until } from './support.js';

describe('cluster: topics', () => {
  afterEach(cleanUpNodes);

  it('sendToSubscribers on node a reaches a client that joined on node b, and no one else', async () => {
    const { a, b, c } = await startNodes();
    const member = await connectTo(b, { topics: ['room'] });
    const outsiderB = await connectTo(b);
    const outsiderA = await connectTo(a, { topics: ['other'] });
    const memberC = await connectTo(c, { topics: ['room'] });
    const got = inbox(member);
    const gotC = inbox(memberC);
    const noise = [inbox(outsiderB), inbox(outsiderA)];
    expect(a.server.sendToSubscribers('room', { type: 'say', payload: 'hello' }), 'on a').to.equal(
      0,
    );
    await until(() => got.length === 1 && gotC.length === 1, 'the members on b and c');
    await settle();
    expect(got).to.deep.equal([{ type: 'say', payload: 'hello' }]);
    expect(gotC).to.deep.equal([{ type: 'say', payload: 'hello' }]);
    expect(noise).to.deep.equal([[], []]);
  });

  it("sendToSubscribers' except leaves out a member on another node", async () => {
    const { a, b, c } = await startNodes();
    const m1 = await connectTo(b, { topics: ['room'] });
    const m2 = await connectTo(c, { topics: ['room'] });
    const m3 = await connectTo(a, { topics: ['room'] });
    const [g1, g2, g3] = [inbox(m1), inbox(m2), inbox(m3)];
    a.server.sendToSubscribers('room', { type: 'x', payload: 1 }, { except: idOf(m2) });
    a.server.sendToSubscribers('room', { type: 'x', payload: 2 }, { except: [idOf(m1), idOf(m3)] });
    await until(() => g1.length === 1 && g2.length === 1, 'b and c');
    await settle();
    expect(g1.map((m) => m.payload)).to.deep.equal([1]);
    expect(g2.map((m) => m.payload)).to.deep.equal([2]);
    expect(g3.map((m) => m.payload)).to.deep.equal([1]);
  });

  it("server.subscribe() on the client's node puts it in the topic for every node; unsubscribe() takes it out", async () => {
    const { a, b, c } = await startNodes();
    const client = await connectTo(b);
    const got = inbox(client);
    expect(b.server.subscribe(idOf(client), 'alerts')).to.equal(true);
    a.server.sendToSubscribers('alerts', { type: 'alert', payload: 1 });
    c.server.to('alerts').emit('alert', 2);
    await until(() => got.length === 2, 'both alerts on b');
    expect(b.server.unsubscribe(idOf(client), 'alerts')).to.equal(true);
    a.server.sendToSubscribers('alerts', { type: 'alert', payload: 3 });
    c.server.to('alerts').emit('alert', 4);
    await settle();
    // One order per sending node: a's and c's messages may interleave either way.
    expect(got.map((m) => m.payload).sort()).to.deep.equal([1, 2]);
    expect(got.every((m) => m.type === 'alert')).to.equal(true);
  });

  it('client.leave() stops delivery from the other nodes', async () => {
    const { a, b, c } = await startNodes();
    const client = await connectTo(b, { topics: ['t', 'u'] });
    const got = inbox(client);
    a.server.sendToSubscribers('t', { type: 'm', payload: 'before' });
    await until(() => got.length === 1, 'the first message');
    await client.leave('t');
    a.server.sendToSubscribers('t', { type: 'm', payload: 'after' });
    c.server.to('t').emit('m', 'after, from c');
    c.server.to('u').emit('m', 'still in u');
    await until(() => got.length === 2, 'the message to u');
    await settle();
    expect(got).to.deep.equal([
      { type: 'm', payload: 'before' },
      { type: 'm', payload: 'still in u' },
    ]);
  });

  it('a client in two topics gets a broadcast to both once, from every node', async () => {
    const { a, b, c } = await startNodes();
    const client = await connectTo(b, { topics: ['t1', 't2'] });
    const got = inbox(client);
    a.server.to(['t1', 't2']).emit('m', 'from a');
    c.server.to(['t2', 't1']).emit('m', 'from c');
    b.server.to(['t1', 't2']).emit('m', 'from b');
    await until(() => got.length >= 3, 'the three broadcasts');
    await settle();
    expect(got.map((m) => m.payload).sort()).to.deep.equal(['from a', 'from b', 'from c']);
  });

  it('a client that disconnected gets nothing more, and its node does not fail on the packet', async () => {
    const { a, b } = await startNodes();
    const gone = await connectTo(b, { topics: ['room'] });
    const stays = await connectTo(b, { topics: ['room'] });
    const got = inbox(stays);
    const goneGot = inbox(gone);
    await gone.disconnect();
    await until(() => b.server.getSubscribers('room').length === 1, 'b drops the client');
    a.server.sendToSubscribers('room', { type: 'm', payload: 1 });
    await until(() => got.length === 1, 'the remaining member');
    await settle();
    expect(goneGot).to.deep.equal([]);
    expect(b.server.getMetrics().backplane.errors).to.equal(0);
  });
});
