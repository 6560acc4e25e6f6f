// One client on another node: sendToClient reaches it (and returns true), a nonexistent id reaches
// no one; disconnect(id, code, reason) closes it on its node with that code and reason.
import { expect } from 'chai';
import type { CloseInfo } from '../../src/index.js';
import {
  balancedClient,
  cleanUpNodes,
  dropConnection,
  connectTo,
  idOf,
  inbox,
  settle,
  startNodes,
  until,
} from './support.js';

describe('cluster: one client on another node', () => {
  afterEach(cleanUpNodes);

  describe('sendToClient()', () => {
    it('returns true and delivers to that client only, in order, with its headers', async () => {
      const { a, b, c } = await startNodes();
      const target = await connectTo(b);
      const sameNode = await connectTo(b);
      const elsewhere = [await connectTo(a), await connectTo(c)];
      const got = inbox(target);
      const noise = [inbox(sameNode), ...elsewhere.map(inbox)];
      for (let n = 1; n <= 3; n++)
        expect(a.server.sendToClient(idOf(target), { type: 'dm', payload: n })).to.equal(true);
      expect(
        c.server.sendToClient(idOf(target), {
          type: 'dm',
          payload: 'with headers',
          headers: { trace: 'x' },
        }),
      ).to.equal(true);
      const headers: unknown[] = [];
      target.onMessage((m) => headers.push(m.headers));
      await until(() => got.length === 4, 'the four messages');
      await settle();
      expect(got.slice(0, 3)).to.deep.equal([
        { type: 'dm', payload: 1 },
        { type: 'dm', payload: 2 },
        { type: 'dm', payload: 3 },
      ]);
      expect(got[3]).to.deep.equal({ type: 'dm', payload: 'with headers' });
      expect(headers).to.deep.equal([undefined, undefined, undefined, { trace: 'x' }]);
      expect(noise).to.deep.equal([[], [], []]);
    });

    it('a volatile message reaches a writable client on another node', async () => {
      const { a, b } = await startNodes();
      const target = await connectTo(b);
      const got = inbox(target);
      expect(
        a.server.sendToClient(idOf(target), { type: 'tick', payload: 1 }, { volatile: true }),
      ).to.equal(true);
      await until(() => got.length === 1, 'the tick');
      expect(got).to.deep.equal([{ type: 'tick', payload: 1 }]);
    });

    it('to an id no node holds: true, and delivered to no one', async () => {
      const { a, b, c } = await startNodes();
      const clients = [await connectTo(a), await connectTo(b), await connectTo(c)];
      const got = clients.map(inbox);
      expect(a.server.sendToClient('nobody-here', { type: 'dm', payload: 1 })).to.equal(true);
      await settle();
      expect(got).to.deep.equal([[], [], []]);
      for (const node of [a, b, c]) expect(node.server.getMetrics().backplane.errors).to.equal(0);
    });

    it("through a namespace: the type gets the namespace's prefix", async () => {
      const { a, b } = await startNodes();
      const target = await connectTo(b);
      const got = inbox(target);
      expect(
        a.server.ns('/chat').sendToClient(idOf(target), { type: 'dm', payload: 'p' }),
      ).to.equal(true);
      await until(() => got.length === 1, 'the message');
      expect(got).to.deep.equal([{ type: 'chat/dm', payload: 'p' }]);
    });
  });

  describe('disconnect()', () => {
    it('closes a client of another node with the code and reason, and resolves once it did', async () => {
      const { a, b } = await startNodes();
      const target = await connectTo(b);
      const other = await connectTo(b);
      const id = idOf(target);
      const closes: CloseInfo[] = [];
      target.onClose((info) => closes.push(info));
      const gone: [string, CloseInfo][] = [];
      b.server.onDisconnection((clientId, info) => gone.push([clientId, info]));
      await a.server.disconnect(id, 4000, 'bye');
      expect(b.server.getClient(id), 'gone from b once disconnect() resolved').to.equal(undefined);
      await until(() => closes.length === 1, 'the client sees its close');
      expect(closes[0]).to.include({ code: 4000, reason: 'bye' });
      expect(gone).to.have.length(1);
      expect(gone[0][0]).to.equal(id);
      expect(gone[0][1]).to.include({ code: 4000, reason: 'bye' });
      // An application code ends the session: no reconnect, no parked session.
      await settle();
      expect(target.state).to.equal('closed');
      expect(await a.server.cluster.getClient(id)).to.equal(undefined);
      expect(other.isConnected).to.equal(true);
      expect(b.server.clientCount).to.equal(1);
    });

    it('resolves at once for an id no node holds', async () => {
      const { a, b } = await startNodes();
      const client = await connectTo(b);
      await a.server.disconnect('nobody-here', 4000, 'bye');
      await settle();
      expect(client.isConnected).to.equal(true);
    });

    it('ends the parked session of a client of another node (1000): it can no longer resume', async () => {
      const { a, b } = await startNodes();
      const { client, balancer } = balancedClient(b.url);
      await client.connect();
      const id = idOf(client);
      // A lost connection parks the resumable session (its client cannot come back yet).
      balancer.hold();
      dropConnection(b.server, id);
      await until(
        async () => (await a.server.cluster.getClient(id))?.parked === true,
        'the session parked on b',
      );
      await a.server.disconnect(id);
      await until(
        async () => (await a.server.cluster.getClient(id)) === undefined,
        'the session gone from the directory',
      );
      // Its client comes back to b: the session is over, a new one starts.
      const outcomes: unknown[] = [];
      client.onReconnected((outcome) => outcomes.push(outcome));
      balancer.routeTo(b.url);
      await until(() => outcomes.length === 1, 'the reconnect');
      expect(outcomes).to.deep.equal([{ resumed: false, reason: 'expired' }]);
      expect(client.id).to.not.equal(id);
    });
  });
});
