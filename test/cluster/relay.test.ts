// Event relay across nodes: with relay rules on every node, a client's event on node a reaches the
// clients of b and c (to all, or to a topic's subscribers), marked with the sender's id, once, and
// never back to the sender unless echo is on.
import { expect } from 'chai';
import {
  cleanUpNodes,
  connectTo,
  idOf,
  inbox,
  settle,
  startNodes,
  until,
  type Nodes,
} from './support.js';

describe('cluster: event relay', () => {
  afterEach(cleanUpNodes);

  /** The same relay rules on every node, as an application would set them up. */
  function relayEverywhere(nodes: Nodes): void {
    for (const { server } of nodes.all) {
      server.relay('chat');
      server.relay('say', { to: { topic: 'room' } });
      server.relay('shout', { to: { topic: ['room', 'hall'] }, echo: true });
    }
  }

  it("relay('chat'): an event on node a reaches every other client on a, b and c once, with from", async () => {
    const nodes = await startNodes();
    relayEverywhere(nodes);
    const sender = await connectTo(nodes.a);
    const others = [
      await connectTo(nodes.a),
      await connectTo(nodes.b),
      await connectTo(nodes.c),
      await connectTo(nodes.c),
    ];
    const senderGot = inbox(sender);
    const got = others.map(inbox);
    const heard: [unknown, string][] = [];
    nodes.a.server.onEvent('chat', (payload, clientId) => heard.push([payload, clientId]));
    const elsewhere: unknown[] = [];
    nodes.b.server.onEvent('chat', (payload) => elsewhere.push(payload));
    sender.emit('chat', { text: 'hello' });
    sender.emit('chat', { text: 'again' });
    await until(() => got.every((g) => g.length === 2), 'every other client gets both');
    await settle();
    const expected = [
      { type: 'chat', payload: { text: 'hello' }, from: idOf(sender) },
      { type: 'chat', payload: { text: 'again' }, from: idOf(sender) },
    ];
    for (const g of got) expect(g).to.deep.equal(expected);
    expect(senderGot, 'never back to the sender').to.deep.equal([]);
    expect(heard).to.deep.equal([
      [{ text: 'hello' }, idOf(sender)],
      [{ text: 'again' }, idOf(sender)],
    ]);
    expect(elsewhere, "other nodes' listeners do not see a client event of node a").to.deep.equal(
      [],
    );
  });

  it("relay(type, { to: { topic } }): reaches the topic's subscribers on the other nodes only", async () => {
    const nodes = await startNodes();
    relayEverywhere(nodes);
    const sender = await connectTo(nodes.a, { topics: ['room'] });
    const inRoomB = await connectTo(nodes.b, { topics: ['room'] });
    const inRoomC = await connectTo(nodes.c, { topics: ['room'] });
    const outB = await connectTo(nodes.b, { topics: ['hall'] });
    const outA = await connectTo(nodes.a);
    const [gs, gb, gc, gob, goa] = [sender, inRoomB, inRoomC, outB, outA].map(inbox);
    sender.emit('say', 'in the room');
    await until(() => gb.length === 1 && gc.length === 1, 'the room members on b and c');
    await settle();
    const said = [{ type: 'say', payload: 'in the room', from: idOf(sender) }];
    expect(gb).to.deep.equal(said);
    expect(gc).to.deep.equal(said);
    expect(gs).to.deep.equal([]);
    expect(gob).to.deep.equal([]);
    expect(goa).to.deep.equal([]);
  });

  it('echo: true sends it back to the sender once, and to members of either topic on every node once', async () => {
    const nodes = await startNodes();
    relayEverywhere(nodes);
    const sender = await connectTo(nodes.b, { topics: ['room', 'hall'] });
    const both = await connectTo(nodes.c, { topics: ['room', 'hall'] });
    const hall = await connectTo(nodes.a, { topics: ['hall'] });
    const none = await connectTo(nodes.a);
    const [gs, gboth, ghall, gnone] = [sender, both, hall, none].map(inbox);
    sender.emit('shout', 'HEY');
    await until(() => gs.length === 1 && gboth.length === 1 && ghall.length === 1, 'all three');
    await settle();
    const shout = [{ type: 'shout', payload: 'HEY', from: idOf(sender) }];
    expect(gs).to.deep.equal(shout);
    expect(gboth).to.deep.equal(shout);
    expect(ghall).to.deep.equal(shout);
    expect(gnone).to.deep.equal([]);
  });

  it("a relay rule on the sender's node alone is enough; an event without a rule there is not relayed", async () => {
    const nodes = await startNodes();
    nodes.a.server.relay('only-a');
    nodes.b.server.relay('only-b');
    const onA = await connectTo(nodes.a);
    const onB = await connectTo(nodes.b);
    const onC = await connectTo(nodes.c);
    const [ga, gb, gc] = [onA, onB, onC].map(inbox);
    onA.emit('only-a', 1);
    onA.emit('only-b', 2);
    await until(() => gc.length === 1, 'c');
    await settle();
    expect(gb).to.deep.equal([{ type: 'only-a', payload: 1, from: idOf(onA) }]);
    expect(gc).to.deep.equal([{ type: 'only-a', payload: 1, from: idOf(onA) }]);
    expect(ga).to.deep.equal([]);
  });

  it("a function `to` sees only the clients of the sender's node (docs/scaling.md)", async () => {
    const nodes = await startNodes();
    const seen: string[] = [];
    for (const { server } of nodes.all)
      server.relay('cursor', {
        to: (client) => {
          seen.push(client.id);
          return true;
        },
      });
    const sender = await connectTo(nodes.a);
    const sameNode = await connectTo(nodes.a);
    const remote = await connectTo(nodes.b);
    const [gSame, gRemote] = [sameNode, remote].map(inbox);
    sender.emit('cursor', { x: 1 });
    await until(() => gSame.length === 1, 'the client on a');
    await settle();
    expect(gSame).to.deep.equal([{ type: 'cursor', payload: { x: 1 }, from: idOf(sender) }]);
    expect(gRemote).to.deep.equal([]);
    expect(seen).to.deep.equal([idOf(sameNode)]);
  });

  it('a namespace relay rule relays its events to the other nodes, prefixed', async () => {
    const nodes = await startNodes();
    for (const { server } of nodes.all) server.ns('/game').relay('*');
    const sender = await connectTo(nodes.c);
    const other = await connectTo(nodes.a);
    const got = inbox(other);
    sender.ns('/game').emit('move', { x: 1 });
    sender.emit('outside', 0);
    await until(() => got.length === 1, 'the move on a');
    await settle();
    expect(got).to.deep.equal([{ type: 'game/move', payload: { x: 1 }, from: idOf(sender) }]);
  });
});
