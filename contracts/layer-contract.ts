import { expect } from './assert.js';
import { type CloseInfo, type ConnectedClient, type SocketMessage } from '../src/index.js';
import { ContractAudit } from './audit.js';
import { rejectionOf, waitFor, withTimeout } from './helpers.js';
import { describeClientRequestTests } from './layer/client-request-tests.js';
import { describeEventTests } from './layer/event-tests.js';
import { LayerHarness } from './layer/layer-harness.js';
import { describeMiddlewareTests } from './layer/middleware-tests.js';
import { expectCode } from './layer/layer-helpers.js';
import { describeRequestTests } from './layer/request-tests.js';
import {
  resolveTransportContractOptions,
  type TransportContractOptions,
} from './transport-options.js';

/** What {@link describeLayerContract} needs: the same factories as the transport contract. */
export type LayerContractOptions = TransportContractOptions;

/**
 * Registers the layer contract: `SocketServer` and `SocketClient` end to end over the transport
 * under test — messages both ways, broadcasts with `except`, topics, `sendToClient`, auth,
 * disconnect callbacks, bad input and shutdown; requests in every direction (client-to-client too),
 * typed errors, timeouts, disconnects mid-request, middleware, relay and namespaces. Call it inside a
 * mocha test file:
 *
 * @example
 * ```ts
 * import { describeLayerContract } from 'plugsocket/contracts';
 * describeLayerContract({
 *   name: 'tcp',
 *   createServer: () => new TcpSocketServer({ port: 0, host: '127.0.0.1' }),
 *   createClient: () => new TcpSocket(),
 *   supports: TCP_CAPABILITIES,
 * });
 * ```
 * @throws {TypeError} when an option is missing or malformed (at registration time).
 */
export function describeLayerContract(options: LayerContractOptions): void {
  const resolved = resolveTransportContractOptions(options);
  const audit = new ContractAudit(
    'layer',
    resolved.name,
    resolved.timeout,
    resolved.audit,
    resolved.supports as unknown as Record<string, boolean>,
  );
  audit.root(() => {
    const h = new LayerHarness(resolved, audit);
    audit.afterEach(() => h.teardown());

    const received = (
      client: { subscribe: (t: string, f: (p: unknown, m: SocketMessage) => void) => unknown },
      type: string,
    ) => {
      const got: unknown[] = [];
      client.subscribe(type, (payload) => void got.push(payload));
      return got;
    };

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
          () => connections.length === 2,
          h.wait,
          'onConnection to be called for both admitted clients',
        );
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
          () => got.length === 100,
          h.wait,
          'onMessage to get all 100 messages the client emitted',
        );
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
        await waitFor(() => toA.length === 1, h.wait, 'the direct message at the addressed client');
        expect(toA, 'payloads the addressed client received').to.deep.equal([1]);
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
          () => got[1].length === 2 && got[2].length === 2 && got[0].length >= 1,
          h.wait,
          'both broadcasts at the clients not excepted, and the first at the excepted one',
        );
        expect(
          got[0],
          'payloads the excepted client received (the broadcast without except only)',
        ).to.deep.equal(['all']);
        expect(got[1], 'payloads a client not in except received, in order').to.deep.equal([
          'all',
          'not-first',
        ]);
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
          () => gb.length === 2 && ga.length === 1,
          h.wait,
          'both topic messages at the second subscriber and the first at the excepted one',
        );
        await b.leave('room');
        expect(
          server.getSubscribers('room'),
          'subscribers of "room" after the second client left it',
        ).to.deep.equal([a.id]);
        server.to('room').emit('room-msg', 3);
        await waitFor(
          () => ga.length === 2,
          h.wait,
          'the message to "room" after the leave, at the remaining subscriber',
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
          () => got.length === 1,
          h.wait,
          'the message to "t" at the client the server subscribed to it',
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

    h.test(
      {
        id: 'L-CORE-08',
        level: 'MUST',
        title: 'client disconnect(code, reason) reaches onDisconnection and frees the client',
      },
      async () => {
        const { server, url } = await h.server();
        const gone: [string, CloseInfo][] = [];
        server.onDisconnection((id, info) => void gone.push([id, info]));
        const a = await h.connected(url);
        await a.join('room');
        const id = a.id!;
        await a.disconnect(4000, 'bye');
        await waitFor(
          () => gone.length === 1,
          h.wait,
          'server onDisconnection after the client’s disconnect(4000, "bye")',
        );
        expect(gone[0], 'what onDisconnection got, as [client id, { code, reason }]').to.deep.equal(
          [id, { code: 4000, reason: 'bye' }],
        );
        expect(
          server.getClient(id),
          'server.getClient(id) of the client that disconnected',
        ).to.equal(undefined);
        expect(
          server.getTopics(),
          'topics the server lists after their only subscriber disconnected',
        ).to.deep.equal([]);
        expect(
          a.adapter.listenerCount(),
          'listeners left on the client’s transport after disconnect()',
        ).to.equal(0);
      },
    );

    h.test(
      {
        id: 'L-CORE-09',
        level: 'MUST',
        title: 'server disconnect(id, code, reason) reaches the client onClose',
      },
      async () => {
        const { server, url } = await h.server();
        const a = await h.connected(url);
        const closes: CloseInfo[] = [];
        a.onClose((info) => void closes.push(info));
        await server.disconnect(a.id!, 4001, 'kicked');
        await waitFor(
          () => closes.length === 1,
          h.wait,
          'the client onClose after server.disconnect(id, 4001, "kicked")',
        );
        expect(closes[0], 'the close info the client onClose got').to.deep.equal({
          code: 4001,
          reason: 'kicked',
        });
        expect(a.isConnected, 'client.isConnected after the server disconnected it').to.equal(
          false,
        );
        expect(() => a.emit('x', 1), 'emit() on a client the server disconnected')
          .to.throw()
          .with.property('code', 'NOT_CONNECTED');
      },
    );

    h.test(
      {
        id: 'L-CORE-10',
        level: 'MUST',
        title: 'a bad frame gets an error back and the server keeps serving everyone',
      },
      async () => {
        const { server, url } = await h.server();
        const errors: string[] = [];
        server.onError((_id, e) => void errors.push(e.code));
        const bad = await h.connected(url);
        const good = await h.connected(url);
        const badErrors: string[] = [];
        bad.onError((e) => void badErrors.push(e.code));
        bad.adapter.send('{not json');
        bad.adapter.send('{"k":"nope"}');
        await waitFor(
          () => badErrors.length === 2,
          h.wait,
          'two error frames back at the client that sent two bad frames',
        );
        expect(
          badErrors,
          'error codes the sender’s onError got for a non-JSON frame and an unknown kind',
        ).to.deep.equal(['INVALID_MESSAGE', 'INVALID_MESSAGE']);
        expect(
          errors,
          'error codes server onError got for a non-JSON frame and an unknown kind',
        ).to.deep.equal(['INVALID_MESSAGE', 'INVALID_MESSAGE']);
        const got = received(good, 'still');
        server.broadcast({ type: 'still', payload: 'here' });
        await waitFor(
          () => got.length === 1,
          h.wait,
          'a broadcast after the bad input, at another client',
        );
        expect(
          bad.isConnected,
          'isConnected of the client that sent bad frames (bad input must not drop it)',
        ).to.equal(true);
      },
    );

    h.test(
      {
        id: 'L-CORE-11',
        level: 'MUST',
        title: 'authentication: a denial rejects connect with AUTHENTICATION_FAILED',
        requires: 'handshakeAuth',
      },
      async () => {
        const { server, url } = await h.server({
          authorization: {
            applyAuthorization: (o) => o,
            authorize: (hs) =>
              hs.auth.token === 'good'
                ? { ok: true, principal: 'p' }
                : { ok: false, reason: 'bad token' },
          },
        });
        const denied = await h.client(url, { auth: { token: 'bad' } });
        const error = await rejectionOf(denied.connect(), h.wait, 'connect with a bad token');
        expectCode(error, 'AUTHENTICATION_FAILED', 'connect() with a token authorize() denies');
        const admitted = await h.connected(url, { auth: { token: 'good' } });
        expect(
          server.getClient(admitted.id!)?.principal,
          'the admitted client’s principal, as authorize() returned it',
        ).to.equal('p');
        expect(
          server.clientCount,
          'clients the server counts after one denied and one admitted handshake',
        ).to.equal(1);
      },
    );

    h.test(
      {
        id: 'L-CORE-12',
        level: 'MUST',
        title:
          'authorization: an async refusal rejects connect with UNAUTHORIZED, and frames sent while authorizing are processed in order after admission',
        requires: 'handshakeAuth',
      },
      async () => {
        const { server, url } = await h.server({
          authorization: {
            applyAuthorization: (o) => o,
            authorize: async (hs) => {
              await new Promise((resolve) => setTimeout(resolve, 20));
              return hs.auth.role === 'banned'
                ? { ok: false, code: 'UNAUTHORIZED', reason: 'banned' }
                : { ok: true, principal: hs.auth.role };
            },
          },
        });
        const banned = await h.client(url, { auth: { role: 'banned' } });
        const error = await rejectionOf(banned.connect(), h.wait, 'connect as banned');
        expectCode(error, 'UNAUTHORIZED', 'connect() of a client the async authorize() bans');
        const got: unknown[] = [];
        server.onMessage((_id, m) => void got.push(m.payload));
        const member = await h.connected(url, { auth: { role: 'member' } });
        expect(
          server.getClient(member.id!)?.principal,
          'the admitted member’s principal, as the async authorize() returned it',
        ).to.equal('member');
        for (let i = 0; i < 5; i++) member.emit('n', i);
        await waitFor(
          () => got.length === 5,
          h.wait,
          'onMessage to get the five messages the member emitted right after admission',
        );
        expect(got, 'payloads onMessage got from the member, in order').to.deep.equal([
          0, 1, 2, 3, 4,
        ]);
        expect(
          server.clientCount,
          'clients the server counts after one refused and one admitted handshake',
        ).to.equal(1);
      },
    );

    h.test(
      {
        id: 'L-CORE-13',
        level: 'MUST',
        title: 'shutdown closes every client with 1001 and leaves nothing behind',
      },
      async () => {
        const { server, adapter, url } = await h.server();
        const clients = await Promise.all([1, 2, 3].map(() => h.connected(url)));
        await clients[0].join('room');
        const closes: CloseInfo[] = [];
        for (const c of clients) c.onClose((info) => void closes.push(info));
        await withTimeout(server.shutdown(), h.wait, 'shutdown()');
        await waitFor(
          () => closes.length === 3,
          h.wait,
          'onClose at all three clients after server.shutdown()',
        );
        expect(
          closes.map((c) => c.code),
          'close codes the three clients got from server.shutdown()',
        ).to.deep.equal([1001, 1001, 1001]);
        expect(server.clientCount, 'clients the server counts after shutdown()').to.equal(0);
        expect(server.getTopics(), 'topics the server lists after shutdown()').to.deep.equal([]);
        expect(
          adapter.listenerCount(),
          'listeners left on the server’s transport after shutdown()',
        ).to.equal(0);
        expect(
          adapter.connections.size,
          'connections the server’s transport still holds after shutdown()',
        ).to.equal(0);
        for (const [i, c] of clients.entries()) {
          expect(
            c.adapter.listenerCount(),
            `listeners left on client ${i + 1}’s transport after shutdown() closed it`,
          ).to.equal(0);
        }
      },
    );

    h.test(
      {
        id: 'L-CORE-14',
        level: 'MUST',
        title: 'a client can reconnect after a close and gets a fresh id',
      },
      async () => {
        const { server, url } = await h.server();
        const a = await h.connected(url);
        const first = a.id;
        await a.disconnect();
        await withTimeout(a.connect(), h.wait, 'reconnect');
        expect(a.id, 'the client id after reconnecting').to.not.equal(
          first,
          'a fresh id, not the one from before the close',
        );
        const got = received(a, 'again');
        server.sendToClient(a.id!, { type: 'again', payload: 1 });
        await waitFor(
          () => got.length === 1,
          h.wait,
          'a sendToClient message at the reconnected client',
        );
        await new Promise((r) => setTimeout(r, 20));
        expect(
          got,
          'payloads the reconnected client received for one sendToClient (no duplicates)',
        ).to.deep.equal([1]);
      },
    );

    describeRequestTests(h);
    describeClientRequestTests(h);
    describeMiddlewareTests(h);
    describeEventTests(h);
  });
}
