// The layer contract's basic tests of a connected client (L-CORE-01..07): admission with an id and
// a handshake, messages to the server in order, sendToClient, broadcast with except, topics, a
// server-side subscribe and a refused join.
import { expect } from '../assert.js';
import { type ConnectedClient, type SocketMessage } from '../../src/index.js';
import { delay, rejectionOf, waitFor } from '../helpers.js';
import type { LayerHarness } from './layer-harness.js';
import { expectCode, received } from './layer-helpers.js';

/** Registers L-CORE-01..07 at the top of the layer contract. */
export function describeCoreMessageTests(h: LayerHarness): void {
  h.test(
    {
      id: 'L-CORE-01',
      level: 'MUST',
      title: 'admits a client with a server-assigned id and its handshake',
    },
    async () => {
      const { server, url } = await h.server();
      const connections: ConnectedClient[] = [];
      server.onConnection((c) => void connections.push(c));
      const a = await h.connected(url);
      const b = await h.connected(url);
      expect(a.id, 'the id the server assigned to the first client')
        .to.be.a('string')
        .and.not.equal(b.id, 'it must differ from the second client’s id');
      expect(
        server.getClients().map((c) => c.id),
        'ids of the clients server.getClients() lists after two connected',
      ).to.have.members([a.id, b.id]);
      expect(
        server.getClient(a.id!)?.handshake,
        'the handshake server.getClient(id) keeps for an admitted client',
      ).to.be.an('object');
      await waitFor(
        () => connections.length >= 2,
        h.wait,
        'onConnection to be called for both admitted clients',
      );
      expect(connections, 'calls of onConnection for two admitted clients').to.have.length(2);
    },
  );

  h.test(
    {
      id: 'L-CORE-02',
      level: 'MUST',
      title: 'delivers client messages to onMessage with type, payload and headers, in order',
    },
    async () => {
      const { server, url } = await h.server();
      const got: [string, SocketMessage][] = [];
      server.onMessage((id, m) => void got.push([id, m]));
      const client = await h.connected(url);
      for (let i = 0; i < 100; i++)
        client.emit('n', { i, text: 'héllo 👋' }, i === 0 ? { trace: 'x' } : undefined);
      await waitFor(
        () => got.length >= 100,
        h.wait,
        'onMessage to get all 100 messages the client emitted',
      );
      await delay(h.quiet);
      expect(
        got[0],
        'the first message onMessage got, as [client id, { type, payload, headers }]',
      ).to.deep.equal([
        client.id,
        { type: 'n', payload: { i: 0, text: 'héllo 👋' }, headers: { trace: 'x' } },
      ]);
      expect(
        got.map(([, m]) => (m.payload as { i: number }).i),
        'the counters onMessage got, in arrival order (the client emitted 0..99 in order)',
      ).to.deep.equal([...Array(100).keys()]);
    },
  );

  h.test(
    {
      id: 'L-CORE-03',
      level: 'MUST',
      title: 'sendToClient reaches only that client, and is false for an unknown id',
    },
    async () => {
      const { server, url } = await h.server();
      const a = await h.connected(url);
      const b = await h.connected(url);
      const toA = received(a, 'direct');
      const toB = received(b, 'direct');
      expect(
        server.sendToClient(a.id!, { type: 'direct', payload: 1 }),
        'sendToClient(id of a connected client) returns whether it sent',
      ).to.equal(true);
      expect(
        server.sendToClient('no-such-client', { type: 'direct', payload: 2 }),
        'sendToClient(an unknown id) returns whether it sent',
      ).to.equal(false);
      await waitFor(() => toA.length >= 1, h.wait, 'the direct message at the addressed client');
      await delay(h.quiet);
      expect(toA, 'payloads the addressed client received (once each)').to.deep.equal([1]);
      expect(
        toB,
        'payloads the other client received from sendToClient to the first one',
      ).to.deep.equal([]);
    },
  );

  h.test(
    {
      id: 'L-CORE-04',
      level: 'MUST',
      title: 'broadcast reaches every client but those in except',
    },
    async () => {
      const { server, url } = await h.server();
      const clients = await Promise.all([1, 2, 3].map(() => h.connected(url)));
      const got = clients.map((c) => received(c, 'news'));
      expect(
        server.broadcast({ type: 'news', payload: 'all' }),
        'clients broadcast() reports it sent to, with 3 connected',
      ).to.equal(3);
      expect(
        server.broadcast({ type: 'news', payload: 'not-first' }, { except: clients[0].id }),
        'clients broadcast(…, { except: first }) reports it sent to, with 3 connected',
      ).to.equal(2);
      await waitFor(
        () => got[1].length >= 2 && got[2].length >= 2 && got[0].length >= 1,
        h.wait,
        'both broadcasts at the clients not excepted, and the first at the excepted one',
      );
      await delay(h.quiet);
      expect(
        got[0],
        'payloads the excepted client received (the broadcast without except only)',
      ).to.deep.equal(['all']);
      expect(got[1], 'payloads a client not in except received, in order').to.deep.equal([
        'all',
        'not-first',
      ]);
      expect(got[2], 'payloads another client not in except received (once each)').to.have.length(
        2,
      );
    },
  );

  h.test(
    {
      id: 'L-CORE-05',
      level: 'MUST',
      title: 'topics: join, sendToSubscribers, to().except().emit() and leave',
    },
    async () => {
      const { server, url } = await h.server();
      const [a, b, c] = await Promise.all([1, 2, 3].map(() => h.connected(url)));
      await Promise.all([a.join('room'), b.join('room')]);
      expect(
        a.topics.has('room'),
        `client.topics after join("room") has "room" (it holds ${JSON.stringify([...a.topics])})`,
      ).to.equal(true);
      expect(
        server.getSubscribers('room'),
        'subscribers of "room" after two clients joined it',
      ).to.have.members([a.id, b.id]);
      const [ga, gb, gc] = [a, b, c].map((x) => received(x, 'room-msg'));
      expect(
        server.sendToSubscribers('room', { type: 'room-msg', payload: 1 }),
        'clients sendToSubscribers("room") reports it sent to, with 2 subscribers',
      ).to.equal(2);
      expect(
        server.to('room').except(a.id!).emit('room-msg', 2),
        'clients to("room").except(first subscriber).emit() reports it sent to',
      ).to.equal(1);
      await waitFor(
        () => gb.length >= 2 && ga.length >= 1,
        h.wait,
        'both topic messages at the second subscriber and the first at the excepted one',
      );
      expect(ga, 'payloads the excepted subscriber received (once each)').to.have.length(1);
      await b.leave('room');
      expect(
        server.getSubscribers('room'),
        'subscribers of "room" after the second client left it',
      ).to.deep.equal([a.id]);
      server.to('room').emit('room-msg', 3);
      await waitFor(
        () => ga.length >= 2,
        h.wait,
        'the message to "room" after the leave, at the remaining subscriber',
      );
      await delay(h.quiet);
      expect(ga, 'payloads the remaining subscriber of "room" received (once each)').to.have.length(
        2,
      );
      expect(
        gb,
        'payloads the client that left "room" received (none sent after its leave)',
      ).to.deep.equal([1, 2]);
      expect(gc, 'payloads the client that never joined "room" received').to.deep.equal([]);
    },
  );

  h.test(
    { id: 'L-CORE-06', level: 'MUST', title: 'a server-side subscribe works like a join' },
    async () => {
      const { server, url } = await h.server();
      const a = await h.connected(url);
      const got = received(a, 'm');
      expect(
        server.subscribe(a.id!, 't'),
        'server.subscribe(id of a connected client, "t") returns whether it subscribed',
      ).to.equal(true);
      server.to('t').emit('m', 'x');
      await waitFor(
        () => got.length >= 1,
        h.wait,
        'the message to "t" at the client the server subscribed to it',
      );
      expect(got, 'payloads at the client the server subscribed to "t" (once each)').to.have.length(
        1,
      );
    },
  );

  h.test(
    {
      id: 'L-CORE-07',
      level: 'MUST',
      title: 'a join the server refuses rejects with UNAUTHORIZED',
    },
    async () => {
      const { server, url } = await h.server({
        canSubscribe: (_client, topic) => topic !== 'secret',
      });
      const a = await h.connected(url);
      const error = await rejectionOf(a.join('secret'), h.wait, 'join("secret")');
      expectCode(error, 'UNAUTHORIZED', 'join("secret"), which canSubscribe refuses');
      expect(
        server.getSubscribers('secret'),
        'subscribers of "secret" after the refused join',
      ).to.deep.equal([]);
    },
  );
}
