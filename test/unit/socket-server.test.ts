import { expect } from 'chai';
import sinon from 'sinon';
import { MemorySocketServer } from '../../adapters/memory/index.js';
import {
  JsonCodec,
  SocketServer,
  type PlugSocketError,
  type AuthorizationResult,
  type AuthorizationStrategy,
  type Codec,
  type ConnectedClient,
  type DisconnectionEvent,
  type ErrorCode,
  type Handshake,
  type SocketClient,
  type SocketMessage,
} from '../../src/index.js';
import {
  cleanUp,
  connectClient,
  deferred,
  expectCode,
  flush,
  newClient,
  RawClient,
  rejectionOf,
  startServer,
  uniqueName,
  useFakeClock,
} from './support.js';

/** A connected `SocketClient` and everything it received. */
interface Peer {
  readonly client: SocketClient;
  readonly id: string;
  readonly inbox: SocketMessage[];
}

async function peer(url: string, options: Parameters<typeof newClient>[1] = {}): Promise<Peer> {
  const client = newClient(url, options);
  const inbox: SocketMessage[] = [];
  client.onMessage((message) => inbox.push(message));
  await client.connect();
  return { client, id: client.id ?? '', inbox };
}

async function peers(url: string, n: number): Promise<Peer[]> {
  return Promise.all(Array.from({ length: n }, () => peer(url)));
}

/** A JSON codec whose `encode` is a sinon spy. */
function spyCodec(): { codec: Codec; encode: sinon.SinonSpy<[unknown], string> } {
  const json = new JsonCodec();
  const encode = sinon.spy((value: unknown) => json.encode(value));
  return { codec: { name: 'spy-json', encode, decode: (frame) => json.decode(frame) }, encode };
}

/** A strategy whose server side is `authorize`; the client side adds nothing. */
function strategy<P = unknown>(
  authorize: (handshake: Handshake) => AuthorizationResult<P> | Promise<AuthorizationResult<P>>,
): AuthorizationStrategy<P> {
  return { applyAuthorization: (options) => options, authorize };
}

/** A raw protocol client that has been welcomed; returns it with its id. */
async function welcomedRaw(url: string): Promise<{ raw: RawClient; id: string }> {
  const raw = await new RawClient().open(url);
  await flush();
  const welcome = raw.ofKind('welcome')[0];
  expect(welcome, 'welcome frame').to.not.equal(undefined);
  return { raw, id: welcome.id as string };
}

function errorCodesOf(raw: RawClient): unknown[] {
  return raw.ofKind('error').map((frame) => (frame.error as { code: string }).code);
}

describe('SocketServer', () => {
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await cleanUp();
  });

  describe('constructor', () => {
    it('throws TypeError without an adapter', () => {
      expect(() => new SocketServer(undefined as never)).to.throw(TypeError);
      expect(() => new SocketServer({} as never)).to.throw(TypeError);
    });

    it('exposes its adapter', () => {
      const adapter = new MemorySocketServer();
      expect(new SocketServer(adapter).adapter).to.equal(adapter);
    });
  });

  describe('#listen()', () => {
    it('resolves with the transport address', async () => {
      const { url } = await startServer();
      expect(url).to.match(/^memory:\/\//);
    });

    it('rejects with INVALID_STATE when called twice', async () => {
      const { server } = await startServer();
      expectCode(await rejectionOf(server.listen()), 'INVALID_STATE');
    });
  });

  describe('client ids', () => {
    it('assigns each client a unique id, the one its SocketClient learns', async () => {
      const { server, url } = await startServer();
      const all = await peers(url, 20);
      const ids = all.map((p) => p.id);
      expect(new Set(ids).size).to.equal(20);
      for (const id of ids) expect(id).to.be.a('string').and.not.equal('');
      expect(server.getClients().map((c) => c.id)).to.have.members(ids);
    });

    it('uses a custom generateId', async () => {
      let n = 0;
      const { url } = await startServer({ generateId: () => `client-${++n}` });
      const [a, b] = await peers(url, 2);
      expect([a.id, b.id]).to.have.members(['client-1', 'client-2']);
    });

    it('retries when generateId returns an id in use or an empty one', async () => {
      const ids = ['a', 'a', '', 'b'];
      const generateId = sinon.spy(() => ids.shift() ?? 'z');
      const { server, url } = await startServer({ generateId });
      const first = await peer(url);
      const second = await peer(url);
      expect(first.id).to.equal('a');
      expect(second.id).to.equal('b');
      expect(generateId.callCount).to.equal(4);
      expect(server.getClients().map((c) => c.id)).to.have.members(['a', 'b']);
    });

    it('reports SERVER_ERROR and closes the connection when generateId never yields a fresh id', async () => {
      const { server, url } = await startServer({ generateId: () => 'same' });
      const errors: ErrorCode[] = [];
      server.onError((_id, error) => errors.push(error.code));
      await peer(url);
      const raw = await new RawClient().open(url);
      await flush();
      expect(errors).to.include('SERVER_ERROR');
      expect(server.clientCount).to.equal(1);
      // The connection can never be admitted: it must not be left open, hanging the client.
      expect(raw.closes, 'the unadmittable connection is closed').to.have.length(1);
    });
  });

  describe('welcome', () => {
    it('sends a welcome frame with v=1 and the client id as the very first frame', async () => {
      const { server, url } = await startServer();
      server.onConnection((client) =>
        server.sendToClient(client.id, { type: 'hello', payload: 1 }),
      );
      const raw = await new RawClient().open(url);
      await flush();
      const [first, second] = raw.messages;
      expect(first).to.deep.equal({ k: 'welcome', v: 1, id: server.getClients()[0].id });
      expect(second).to.deep.equal({ k: 'msg', type: 'hello', payload: 1 });
    });

    it('gives a client that asks for a resumable session a token: the id, a dot, a secret', async () => {
      const { server, url } = await startServer();
      const raw = await new RawClient().open(url, { query: { 'plugsocket-resume': 'new' } });
      await flush();
      const id = server.getClients()[0].id;
      const { session, ...rest } = raw.messages[0] as { session: string };
      expect(rest).to.deep.equal({ k: 'welcome', v: 1, id });
      expect(session).to.match(new RegExp(`^${id}\\.[A-Za-z0-9_-]{32}$`));
    });

    it('sends no session token with resumeWindow: 0, even to a client that asks', async () => {
      const { server, url } = await startServer({ resumeWindow: 0 });
      const raw = await new RawClient().open(url, { query: { 'plugsocket-resume': 'new' } });
      await flush();
      expect(raw.messages[0]).to.deep.equal({ k: 'welcome', v: 1, id: server.getClients()[0].id });
    });
  });

  describe('#getClients() / #getClient()', () => {
    it('lists admitted clients with their handshake, principal, topics and admission time', async () => {
      const { server, url } = await startServer({
        authorization: strategy((h) => ({ ok: true, principal: { user: h.auth.user } })),
      });
      const before = Date.now();
      const { id } = await peer(url, {
        auth: { user: 'ann' },
        headers: { 'X-App': 'test' },
        query: { room: 'r1' },
      });
      server.subscribe(id, 'news');
      const client = server.getClient(id);
      expect(client).to.not.equal(undefined);
      expect(server.getClients()).to.deep.equal([client]);
      expect(server.clientCount).to.equal(1);
      expect(client?.id).to.equal(id);
      expect(client?.handshake.auth).to.deep.equal({ user: 'ann' });
      expect(client?.handshake.headers['x-app']).to.equal('test');
      expect(client?.handshake.query.room).to.equal('r1');
      expect(client?.principal).to.deep.equal({ user: 'ann' });
      expect([...(client?.topics ?? [])]).to.deep.equal(['news']);
      expect(client?.connectedAt).to.be.instanceOf(Date);
      expect(client?.connectedAt.getTime()).to.be.at.least(before - 1);
    });

    it('returns undefined for an unknown id and forgets a client that left', async () => {
      const { server, url } = await startServer();
      const { client, id } = await peer(url);
      expect(server.getClient('nobody')).to.equal(undefined);
      await client.disconnect();
      await flush();
      expect(server.getClient(id)).to.equal(undefined);
      expect(server.getClients()).to.deep.equal([]);
      expect(server.clientCount).to.equal(0);
    });
  });

  describe('#sendToClient()', () => {
    it('delivers { type, payload, headers } to that client only and returns true', async () => {
      const { server, url } = await startServer();
      const [a, b] = await peers(url, 2);
      expect(
        server.sendToClient(a.id, { type: 'note', payload: { n: 1 }, headers: { trace: 't' } }),
      ).to.equal(true);
      await flush();
      expect(a.inbox).to.deep.equal([{ type: 'note', payload: { n: 1 }, headers: { trace: 't' } }]);
      expect(b.inbox).to.deep.equal([]);
    });

    it('returns false for an unknown id', async () => {
      const { server } = await startServer();
      expect(server.sendToClient('nobody', { type: 'x', payload: 1 })).to.equal(false);
    });

    it('returns false for a client that has left', async () => {
      const { server, url } = await startServer();
      const { client, id } = await peer(url);
      await client.disconnect();
      await flush();
      expect(server.sendToClient(id, { type: 'x', payload: 1 })).to.equal(false);
    });

    it('throws TypeError for an empty or too long type', async () => {
      const { server, url } = await startServer();
      const { id } = await peer(url);
      expect(() => server.sendToClient(id, { type: '', payload: 1 })).to.throw(TypeError);
      expect(() => server.sendToClient(id, { type: 'x'.repeat(257), payload: 1 })).to.throw(
        TypeError,
      );
    });
  });

  describe('#disconnect()', () => {
    it('closes one client with the code and reason given', async () => {
      const { server, url } = await startServer();
      const { client, id } = await peer(url);
      const closes: unknown[] = [];
      client.onClose((info) => closes.push(info));
      const departed: unknown[] = [];
      server.onDisconnection((clientId, info) => departed.push([clientId, info]));
      await server.disconnect(id, 4000, 'kicked');
      await flush();
      expect(closes).to.deep.equal([{ code: 4000, reason: 'kicked' }]);
      expect(departed).to.deep.equal([[id, { code: 4000, reason: 'kicked' }]]);
      expect(client.isConnected).to.equal(false);
    });

    it('resolves at once for an unknown id', async () => {
      const { server } = await startServer();
      await server.disconnect('nobody');
    });
  });

  describe('#broadcast()', () => {
    it('delivers to every admitted client and returns how many', async () => {
      const { server, url } = await startServer();
      const all = await peers(url, 3);
      expect(server.broadcast({ type: 'news', payload: 'hi' })).to.equal(3);
      await flush();
      for (const p of all) expect(p.inbox).to.deep.equal([{ type: 'news', payload: 'hi' }]);
    });

    it('leaves out one client given as a string', async () => {
      const { server, url } = await startServer();
      const [a, b, c] = await peers(url, 3);
      expect(server.broadcast({ type: 'news', payload: 1 }, { except: a.id })).to.equal(2);
      await flush();
      expect([a.inbox.length, b.inbox.length, c.inbox.length]).to.deep.equal([0, 1, 1]);
    });

    it('leaves out several clients given as an array or any iterable', async () => {
      const { server, url } = await startServer();
      const [a, b, c] = await peers(url, 3);
      expect(server.broadcast({ type: 'news', payload: 1 }, { except: [a.id, b.id] })).to.equal(1);
      expect(server.broadcast({ type: 'news', payload: 2 }, { except: new Set([c.id]) })).to.equal(
        2,
      );
      await flush();
      expect(a.inbox.map((m) => m.payload)).to.deep.equal([2]);
      expect(b.inbox.map((m) => m.payload)).to.deep.equal([2]);
      expect(c.inbox.map((m) => m.payload)).to.deep.equal([1]);
    });

    it('does not reach clients still being authorised', async () => {
      const verdict = deferred<AuthorizationResult>();
      let calls = 0;
      const { server, url } = await startServer({
        authorization: strategy(() =>
          ++calls === 1 ? { ok: true, principal: undefined } : verdict.promise,
        ),
      });
      const admitted = await peer(url);
      const raw = await new RawClient().open(url);
      await flush();
      expect(server.broadcast({ type: 'news', payload: 1 })).to.equal(1);
      await flush();
      expect(admitted.inbox).to.have.length(1);
      expect(raw.frames).to.have.length(0);
    });

    it('encodes the message once, however many recipients', async () => {
      const { codec, encode } = spyCodec();
      const { server, url } = await startServer({ codec });
      const all = await peers(url, 5);
      encode.resetHistory();
      expect(server.broadcast({ type: 'news', payload: { big: 'x'.repeat(100) } })).to.equal(5);
      expect(encode.callCount).to.equal(1);
      await flush();
      for (const p of all) expect(p.inbox).to.have.length(1);
    });
  });

  describe('topics', () => {
    it('subscribe() adds a client to a topic; getTopics() and getSubscribers() reflect it', async () => {
      const { server, url } = await startServer();
      const [a, b] = await peers(url, 2);
      expect(server.subscribe(a.id, 'red')).to.equal(true);
      expect(server.subscribe(b.id, 'red')).to.equal(true);
      expect(server.subscribe(b.id, 'blue')).to.equal(true);
      expect(server.getTopics()).to.have.members(['red', 'blue']);
      expect(server.getSubscribers('red')).to.have.members([a.id, b.id]);
      expect(server.getSubscribers('blue')).to.deep.equal([b.id]);
      expect(server.getSubscribers('green')).to.deep.equal([]);
      expect([...(server.getClient(b.id)?.topics ?? [])]).to.have.members(['red', 'blue']);
    });

    it('subscribe() returns false for an unknown client or a topic it is already in', async () => {
      const { server, url } = await startServer();
      const { id } = await peer(url);
      expect(server.subscribe('nobody', 'red')).to.equal(false);
      expect(server.subscribe(id, 'red')).to.equal(true);
      expect(server.subscribe(id, 'red')).to.equal(false);
      expect(server.getTopics()).to.deep.equal(['red']);
    });

    it('subscribe() throws TypeError for an empty or too long topic', async () => {
      const { server, url } = await startServer();
      const { id } = await peer(url);
      expect(() => server.subscribe(id, '')).to.throw(TypeError);
      expect(() => server.subscribe(id, 't'.repeat(257))).to.throw(TypeError);
    });

    it('unsubscribe() removes the client, drops an emptied topic, and returns false when it was not in it', async () => {
      const { server, url } = await startServer();
      const [a, b] = await peers(url, 2);
      server.subscribe(a.id, 'red');
      server.subscribe(b.id, 'red');
      expect(server.unsubscribe(a.id, 'red')).to.equal(true);
      expect(server.getSubscribers('red')).to.deep.equal([b.id]);
      expect(server.unsubscribe(a.id, 'red')).to.equal(false);
      expect(server.unsubscribe('nobody', 'red')).to.equal(false);
      expect(server.unsubscribe(b.id, 'red')).to.equal(true);
      expect(server.getTopics()).to.deep.equal([]);
    });

    it('sendToSubscribers() reaches the topic only, leaves out `except`, and returns how many', async () => {
      const { server, url } = await startServer();
      const [a, b, c] = await peers(url, 3);
      server.subscribe(a.id, 'red');
      server.subscribe(b.id, 'red');
      expect(server.sendToSubscribers('red', { type: 'r', payload: 1 })).to.equal(2);
      expect(server.sendToSubscribers('red', { type: 'r', payload: 2 }, { except: a.id })).to.equal(
        1,
      );
      expect(
        server.sendToSubscribers('red', { type: 'r', payload: 3 }, { except: [a.id, b.id] }),
      ).to.equal(0);
      expect(server.sendToSubscribers('nobody-here', { type: 'r', payload: 4 })).to.equal(0);
      await flush();
      expect(a.inbox.map((m) => m.payload)).to.deep.equal([1]);
      expect(b.inbox.map((m) => m.payload)).to.deep.equal([1, 2]);
      expect(c.inbox).to.deep.equal([]);
    });

    it('sendToSubscribers() encodes the message once for all subscribers', async () => {
      const { codec, encode } = spyCodec();
      const { server, url } = await startServer({ codec });
      const all = await peers(url, 4);
      for (const p of all) server.subscribe(p.id, 'red');
      encode.resetHistory();
      expect(server.sendToSubscribers('red', { type: 'r', payload: 1 })).to.equal(4);
      expect(encode.callCount).to.equal(1);
    });

    it('drops every subscription of a client that leaves', async () => {
      const { server, url } = await startServer();
      const [a, b] = await peers(url, 2);
      server.subscribe(a.id, 'red');
      server.subscribe(a.id, 'blue');
      server.subscribe(b.id, 'blue');
      await a.client.disconnect();
      await flush();
      expect(server.getTopics()).to.deep.equal(['blue']);
      expect(server.getSubscribers('blue')).to.deep.equal([b.id]);
      expect(server.sendToSubscribers('red', { type: 'r', payload: 1 })).to.equal(0);
    });

    it('forgets 1,000 clients that come and go: no clients, topics or connections remain', async () => {
      const { server, adapter, url } = await startServer();
      const all = await Promise.all(Array.from({ length: 1_000 }, () => connectClient(url)));
      expect(server.clientCount).to.equal(1_000);
      await Promise.all(
        all.map((client, i) =>
          Promise.all([client.join(`topic-${i % 10}`), client.join(`own-${i}`)]),
        ),
      );
      for (const client of all.slice(0, 500)) server.subscribe(client.id ?? '', 'server-side');
      expect(server.getTopics()).to.have.length(10 + 1_000 + 1);
      await Promise.all(all.map((client) => client.disconnect()));
      await flush();
      expect(server.getClients()).to.deep.equal([]);
      expect(server.clientCount).to.equal(0);
      expect(server.getTopics()).to.deep.equal([]);
      expect(adapter.connections.size).to.equal(0);
      for (const client of all) expect(client.adapter.listenerCount()).to.equal(0);
    });
  });

  describe('#to() / #except() fluent broadcasts', () => {
    it('to(topic).emit(type, payload) reaches the subscribers and returns how many', async () => {
      const { server, url } = await startServer();
      const [a, b] = await peers(url, 2);
      server.subscribe(a.id, 'red');
      expect(server.to('red').emit('r', { n: 1 })).to.equal(1);
      await flush();
      expect(a.inbox).to.deep.equal([{ type: 'r', payload: { n: 1 } }]);
      expect(b.inbox).to.deep.equal([]);
    });

    it('passes headers along', async () => {
      const { server, url } = await startServer();
      const a = await peer(url);
      server.subscribe(a.id, 'red');
      server.to('red').emit('r', 1, { trace: 'abc' });
      await flush();
      expect(a.inbox).to.deep.equal([{ type: 'r', payload: 1, headers: { trace: 'abc' } }]);
    });

    it('to(topic).except(id) leaves that client out', async () => {
      const { server, url } = await startServer();
      const [a, b, c] = await peers(url, 3);
      for (const p of [a, b, c]) server.subscribe(p.id, 'red');
      expect(server.to('red').except(a.id).emit('r', 1)).to.equal(2);
      expect(server.to('red').except([a.id, b.id]).emit('r', 2)).to.equal(1);
      expect(server.to('red').except(a.id).except(c.id).emit('r', 3)).to.equal(1);
      await flush();
      expect(a.inbox.map((m) => m.payload)).to.deep.equal([]);
      expect(b.inbox.map((m) => m.payload)).to.deep.equal([1, 3]);
      expect(c.inbox.map((m) => m.payload)).to.deep.equal([1, 2]);
    });

    it('delivers once to a client subscribed to several of the chosen topics', async () => {
      const { server, url } = await startServer();
      const [both, onlyRed, onlyBlue, neither] = await peers(url, 4);
      server.subscribe(both.id, 'red');
      server.subscribe(both.id, 'blue');
      server.subscribe(onlyRed.id, 'red');
      server.subscribe(onlyBlue.id, 'blue');
      expect(server.to('red').to('blue').emit('x', 1)).to.equal(3);
      expect(server.to(['red', 'blue']).emit('x', 2)).to.equal(3);
      await flush();
      expect(both.inbox.map((m) => m.payload)).to.deep.equal([1, 2]);
      expect(onlyRed.inbox.map((m) => m.payload)).to.deep.equal([1, 2]);
      expect(onlyBlue.inbox.map((m) => m.payload)).to.deep.equal([1, 2]);
      expect(neither.inbox).to.deep.equal([]);
    });

    it('is immutable: a stored prefix can be reused and is not changed by longer chains', async () => {
      const { server, url } = await startServer();
      const [a, b, c] = await peers(url, 3);
      server.subscribe(a.id, 'red');
      server.subscribe(b.id, 'red');
      server.subscribe(c.id, 'blue');
      const red = server.to('red');
      const redButA = red.except(a.id);
      const redAndBlue = red.to('blue');
      expect(redButA).to.not.equal(red);
      expect(redAndBlue).to.not.equal(red);
      expect(redButA.emit('x', 'redButA')).to.equal(1);
      expect(redAndBlue.emit('x', 'redAndBlue')).to.equal(3);
      expect(red.emit('x', 'red')).to.equal(2);
      await flush();
      expect(a.inbox.map((m) => m.payload)).to.deep.equal(['redAndBlue', 'red']);
      expect(b.inbox.map((m) => m.payload)).to.deep.equal(['redButA', 'redAndBlue', 'red']);
      expect(c.inbox.map((m) => m.payload)).to.deep.equal(['redAndBlue']);
    });

    it('except(id).emit() reaches every client but that one', async () => {
      const { server, url } = await startServer();
      const [a, b, c] = await peers(url, 3);
      expect(server.except(a.id).emit('x', 1)).to.equal(2);
      expect(server.except([a.id, b.id]).emit('x', 2)).to.equal(1);
      await flush();
      expect(a.inbox).to.deep.equal([]);
      expect(b.inbox.map((m) => m.payload)).to.deep.equal([1]);
      expect(c.inbox.map((m) => m.payload)).to.deep.equal([1, 2]);
    });

    it('encodes once for several topics and many recipients', async () => {
      const { codec, encode } = spyCodec();
      const { server, url } = await startServer({ codec });
      const all = await peers(url, 6);
      all.forEach((p, i) => server.subscribe(p.id, i % 2 === 0 ? 'red' : 'blue'));
      encode.resetHistory();
      expect(server.to('red').to('blue').except(all[0].id).emit('x', 1)).to.equal(5);
      expect(encode.callCount).to.equal(1);
    });
  });

  describe('callbacks', () => {
    it('onConnection is called with the admitted client, after its welcome', async () => {
      const { server, url } = await startServer();
      const seen: ConnectedClient[] = [];
      server.onConnection((client) => seen.push(client));
      const { id } = await peer(url);
      expect(seen.map((c) => c.id)).to.deep.equal([id]);
      expect(seen[0]).to.equal(server.getClient(id));
    });

    it('onDisconnection is called with the id and { code, reason } when a client leaves', async () => {
      const { server, url } = await startServer();
      const seen: unknown[] = [];
      server.onDisconnection((id, info) => seen.push([id, info]));
      const { client, id } = await peer(url);
      await client.disconnect(4001, 'bye');
      await flush();
      expect(seen).to.deep.equal([[id, { code: 4001, reason: 'bye' }]]);
    });

    it('onMessage is called with the sender id and { type, payload, headers }', async () => {
      const { server, url } = await startServer();
      const seen: unknown[] = [];
      server.onMessage((id, message) => seen.push([id, message]));
      const { client, id } = await peer(url);
      client.send({ type: 'say', payload: { text: 'hi' } });
      client.send({ type: 'say', payload: 2, headers: { h: 1 } });
      await flush();
      expect(seen).to.deep.equal([
        [id, { type: 'say', payload: { text: 'hi' } }],
        [id, { type: 'say', payload: 2, headers: { h: 1 } }],
      ]);
    });

    it('onError is called with the client id and a coded error', async () => {
      const { server, url } = await startServer();
      const seen: [string | undefined, PlugSocketError][] = [];
      server.onError((id, error) => seen.push([id, error]));
      const { raw, id } = await welcomedRaw(url);
      raw.sendRaw('not json');
      await flush();
      expect(seen).to.have.length(1);
      expect(seen[0][0]).to.equal(id);
      expectCode(seen[0][1], 'INVALID_MESSAGE');
    });

    it('returns handles that unsubscribe each callback', async () => {
      const { server, url } = await startServer();
      const onConnection = sinon.spy();
      const onDisconnection = sinon.spy();
      const onMessage = sinon.spy();
      const onError = sinon.spy();
      const handles = [
        server.onConnection(onConnection),
        server.onDisconnection(onDisconnection),
        server.onMessage(onMessage),
        server.onError(onError),
      ];
      for (const off of handles) off();
      handles[0](); // idempotent
      const { client } = await peer(url);
      client.send({ type: 'x', payload: 1 });
      const { raw } = await welcomedRaw(url);
      raw.sendRaw('{bad');
      await client.disconnect();
      await flush();
      expect(onConnection.called).to.equal(false);
      expect(onDisconnection.called).to.equal(false);
      expect(onMessage.called).to.equal(false);
      expect(onError.called).to.equal(false);
    });

    it('calls many handlers of one event in registration order', async () => {
      const { server, url } = await startServer();
      const order: number[] = [];
      server.onMessage(() => order.push(1));
      server.onMessage(() => order.push(2));
      const { client } = await peer(url);
      client.send({ type: 'x', payload: 1 });
      await flush();
      expect(order).to.deep.equal([1, 2]);
    });
  });

  describe('handlers that throw', () => {
    it('reports SERVER_ERROR to onError, still calls the other handlers, and keeps serving', async () => {
      const { server, url } = await startServer();
      const errors: PlugSocketError[] = [];
      server.onError((_id, error) => errors.push(error));
      const later = sinon.spy();
      server.onMessage(() => {
        throw new Error('handler bug');
      });
      server.onMessage(later);
      const { client } = await peer(url);
      client.send({ type: 'x', payload: 1 });
      client.send({ type: 'x', payload: 2 });
      await flush();
      expect(later.callCount).to.equal(2);
      expect(errors).to.have.length(2);
      expectCode(errors[0], 'SERVER_ERROR');
      expect((errors[0].cause as Error).message).to.equal('handler bug');
      expect(client.isConnected).to.equal(true);
      const other = await peer(url);
      expect(server.sendToClient(other.id, { type: 'still', payload: 'up' })).to.equal(true);
      await flush();
      expect(other.inbox).to.have.length(1);
    });

    it('survives throwing onConnection and onDisconnection handlers', async () => {
      const { server, url } = await startServer();
      const errors: ErrorCode[] = [];
      server.onError((_id, error) => errors.push(error.code));
      server.onConnection(() => {
        throw new Error('connect handler bug');
      });
      server.onDisconnection(() => {
        throw new Error('disconnect handler bug');
      });
      const { client } = await peer(url);
      expect(server.clientCount).to.equal(1);
      await client.disconnect();
      await flush();
      expect(errors).to.deep.equal(['SERVER_ERROR', 'SERVER_ERROR']);
      expect(server.clientCount).to.equal(0);
    });

    it('survives an onError handler that throws, logging it through the logger', async () => {
      const logger = { debug: sinon.spy(), warn: sinon.spy(), error: sinon.spy() };
      const { server, url } = await startServer({ logger });
      const second = sinon.spy();
      server.onError(() => {
        throw new Error('error handler bug');
      });
      server.onError(second);
      const { raw } = await welcomedRaw(url);
      raw.sendRaw('{bad');
      raw.sendRaw('{bad');
      await flush();
      expect(second.callCount).to.equal(2);
      expect(errorCodesOf(raw)).to.deep.equal(['INVALID_MESSAGE', 'INVALID_MESSAGE']);
      expect(logger.error.callCount).to.equal(2);
    });
  });

  describe('bad input from a client', () => {
    const cases: [string, () => string | Uint8Array, ErrorCode][] = [
      ['malformed JSON', () => '{"k":"msg",', 'INVALID_MESSAGE'],
      ['invalid UTF-8 in a binary frame', () => new Uint8Array([0xff, 0xfe]), 'INVALID_MESSAGE'],
      ['a frame that is not an object', () => '[1,2]', 'INVALID_MESSAGE'],
      ['a frame without a kind', () => JSON.stringify({ type: 'x' }), 'INVALID_MESSAGE'],
      ['an unknown kind', () => JSON.stringify({ k: 'rpc', type: 'x' }), 'INVALID_MESSAGE'],
      [
        'a server-only kind',
        () => JSON.stringify({ k: 'welcome', v: 1, id: 'me' }),
        'INVALID_MESSAGE',
      ],
      ['a msg without a type', () => JSON.stringify({ k: 'msg', payload: 1 }), 'INVALID_MESSAGE'],
      ['a msg with a numeric type', () => JSON.stringify({ k: 'msg', type: 5 }), 'INVALID_MESSAGE'],
      [
        'a msg with headers that are not an object',
        () => JSON.stringify({ k: 'msg', type: 't', headers: 'h' }),
        'INVALID_MESSAGE',
      ],
      ['a join without an id', () => JSON.stringify({ k: 'join', topic: 't' }), 'INVALID_MESSAGE'],
      [
        'a prototype-polluting frame',
        () => '{"k":"msg","type":"t","payload":{"__proto__":{"polluted":1}}}',
        'INVALID_MESSAGE',
      ],
      [
        'a frame over maxPayload',
        () => JSON.stringify({ k: 'msg', type: 't', payload: 'x'.repeat(200) }),
        'PAYLOAD_TOO_LARGE',
      ],
      ['a binary frame over maxPayload', () => new Uint8Array(300), 'PAYLOAD_TOO_LARGE'],
    ];

    for (const [name, frame, code] of cases) {
      it(`answers ${name} with an ${code} error frame, reports it, and keeps serving everyone`, async () => {
        const { server, url } = await startServer({ maxPayload: 128 });
        const reported: [string | undefined, ErrorCode][] = [];
        server.onError((id, error) => reported.push([id, error.code]));
        const messages: unknown[] = [];
        server.onMessage((id, message) => messages.push([id, message.type]));
        const { raw, id } = await welcomedRaw(url);
        const other = await peer(url);
        raw.sendRaw(frame());
        await flush();
        expect(errorCodesOf(raw)).to.deep.equal([code]);
        expect(reported).to.deep.equal([[id, code]]);
        expect(messages).to.deep.equal([]);
        expect(Object.prototype).to.not.have.property('polluted');
        // the offender stays connected and is still served
        expect(raw.closes).to.deep.equal([]);
        raw.sendJson({ k: 'msg', type: 'fine', payload: 1 });
        other.client.send({ type: 'also-fine', payload: 2 });
        await flush();
        expect(messages).to.deep.equal([
          [id, 'fine'],
          [other.id, 'also-fine'],
        ]);
        expect(server.clientCount).to.equal(2);
      });
    }

    // Regression: a malformed join drew a bare `error` frame while the client waited on its id.
    for (const [name, frame] of [
      ['a join with an empty topic', { k: 'join', id: 7, topic: '' }],
      ['a leave whose topic is a number', { k: 'leave', id: 7, topic: 3 }],
      ['a request without a name', { k: 'req', id: 7, payload: 1 }],
    ] as const) {
      it(`answers ${name} with a nack for its id, not a bare error frame`, async () => {
        const { server, url } = await startServer();
        const reported: ErrorCode[] = [];
        server.onError((_id, error) => reported.push(error.code));
        const { raw } = await welcomedRaw(url);
        raw.sendJson(frame);
        await flush();
        expect(raw.ofKind('nack')).to.have.length(1);
        const nack = raw.ofKind('nack')[0] as { id: number; error: { code: string } };
        expect(nack.id).to.equal(7);
        expect(nack.error.code).to.equal('INVALID_MESSAGE');
        expect(raw.ofKind('error')).to.deep.equal([]);
        expect(reported).to.deep.equal(['INVALID_MESSAGE']);
        expect(raw.closes).to.deep.equal([]);
      });
    }

    it('counts maxPayload in UTF-8 bytes, not characters', async () => {
      const { server, url } = await startServer({ maxPayload: 100 });
      const codes: ErrorCode[] = [];
      server.onError((_id, error) => codes.push(error.code));
      const { raw } = await welcomedRaw(url);
      // 40 three-byte characters: 40 code units but 120 bytes of payload
      raw.sendJson({ k: 'msg', type: 't', payload: '€'.repeat(40) });
      await flush();
      expect(codes).to.deep.equal(['PAYLOAD_TOO_LARGE']);
    });

    it('accepts binary frames holding UTF-8 JSON', async () => {
      const { server, url } = await startServer();
      const seen: unknown[] = [];
      server.onMessage((_id, message) => seen.push(message));
      const { raw } = await welcomedRaw(url);
      raw.sendRaw(
        new TextEncoder().encode(JSON.stringify({ k: 'msg', type: 'bin', payload: 'é' })),
      );
      await flush();
      expect(seen).to.deep.equal([{ type: 'bin', payload: 'é' }]);
    });
  });

  describe('topic requests from clients', () => {
    it('answers join with ack and subscribes; leave with ack and unsubscribes', async () => {
      const { server, url } = await startServer();
      const { raw, id } = await welcomedRaw(url);
      raw.sendJson({ k: 'join', id: 1, topic: 'red' });
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([{ k: 'ack', id: 1 }]);
      expect(server.getSubscribers('red')).to.deep.equal([id]);
      raw.sendJson({ k: 'leave', id: 2, topic: 'red' });
      raw.sendJson({ k: 'leave', id: 3, topic: 'never-joined' });
      await flush();
      expect(raw.ofKind('ack')).to.deep.equal([
        { k: 'ack', id: 1 },
        { k: 'ack', id: 2 },
        { k: 'ack', id: 3 },
      ]);
      expect(server.getTopics()).to.deep.equal([]);
    });

    it('asks canSubscribe with the client and the topic', async () => {
      const canSubscribe = sinon.spy((_client: ConnectedClient, _topic: string) => true);
      const { server, url } = await startServer({ canSubscribe });
      const { client, id } = await peer(url);
      await client.join('red');
      expect(canSubscribe.callCount).to.equal(1);
      expect(canSubscribe.firstCall.args[0]).to.equal(server.getClient(id));
      expect(canSubscribe.firstCall.args[1]).to.equal('red');
      expect(client.topics.has('red')).to.equal(true);
    });

    it('refuses a join that canSubscribe denies synchronously: the client join rejects with UNAUTHORIZED', async () => {
      const { server, url } = await startServer({
        canSubscribe: (_c, topic) => topic !== 'secret',
      });
      const { client } = await peer(url);
      expectCode(await rejectionOf(client.join('secret')), 'UNAUTHORIZED');
      await client.join('public');
      expect(server.getTopics()).to.deep.equal(['public']);
      expect([...client.topics]).to.deep.equal(['public']);
    });

    it('refuses a join that canSubscribe denies asynchronously', async () => {
      const { server, url } = await startServer({ canSubscribe: () => Promise.resolve(false) });
      const { client } = await peer(url);
      expectCode(await rejectionOf(client.join('red')), 'UNAUTHORIZED');
      expect(server.getTopics()).to.deep.equal([]);
    });

    it('treats a truthy non-boolean answer as a refusal', async () => {
      const { url } = await startServer({ canSubscribe: () => 'yes' as unknown as boolean });
      const { client } = await peer(url);
      expectCode(await rejectionOf(client.join('red')), 'UNAUTHORIZED');
    });

    it('answers SERVER_ERROR and reports it when canSubscribe throws', async () => {
      const { server, url } = await startServer({
        canSubscribe: () => {
          throw new Error('db down');
        },
      });
      const reported: [string | undefined, ErrorCode][] = [];
      server.onError((id, error) => reported.push([id, error.code]));
      const { client, id } = await peer(url);
      expectCode(await rejectionOf(client.join('red')), 'SERVER_ERROR');
      expect(reported).to.deep.equal([[id, 'SERVER_ERROR']]);
      expect(server.getTopics()).to.deep.equal([]);
      expect(client.isConnected).to.equal(true);
    });

    it('answers SERVER_ERROR when an async canSubscribe rejects', async () => {
      const { server, url } = await startServer({
        canSubscribe: () => Promise.reject(new Error('db down')),
      });
      const reported: ErrorCode[] = [];
      server.onError((_id, error) => reported.push(error.code));
      const { client } = await peer(url);
      expectCode(await rejectionOf(client.join('red')), 'SERVER_ERROR');
      expect(reported).to.deep.equal(['SERVER_ERROR']);
    });

    it('does not subscribe a client that left while canSubscribe was deciding', async () => {
      const verdict = deferred<boolean>();
      const { server, url } = await startServer({ canSubscribe: () => verdict.promise });
      const { raw } = await welcomedRaw(url);
      raw.sendJson({ k: 'join', id: 1, topic: 'red' });
      await flush();
      await raw.socket.disconnect();
      await flush();
      verdict.resolve(true);
      await flush();
      expect(server.getTopics()).to.deep.equal([]);
    });

    it('does not apply canSubscribe to server-side subscribe()', async () => {
      const { server, url } = await startServer({ canSubscribe: () => false });
      const { id } = await peer(url);
      expect(server.subscribe(id, 'red')).to.equal(true);
    });
  });

  describe('observables', () => {
    it('connection$, message$ and disconnection$ emit what the callbacks see', async () => {
      const { server, url } = await startServer();
      const connected: string[] = [];
      const messages: unknown[] = [];
      const departed: DisconnectionEvent[] = [];
      server.connection$.subscribe((client) => connected.push(client.id));
      server.message$.subscribe((event) => messages.push(event));
      server.disconnection$.subscribe((event) => departed.push(event));
      const { client, id } = await peer(url);
      client.send({ type: 'x', payload: 1 });
      await flush();
      await client.disconnect(4002, 'done');
      await flush();
      expect(connected).to.deep.equal([id]);
      expect(messages).to.deep.equal([{ clientId: id, message: { type: 'x', payload: 1 } }]);
      expect(departed).to.deep.equal([{ clientId: id, code: 4002, reason: 'done' }]);
    });

    it('complete on shutdown', async () => {
      const { server } = await startServer();
      const completed: string[] = [];
      server.connection$.subscribe({ complete: () => completed.push('connection$') });
      server.message$.subscribe({ complete: () => completed.push('message$') });
      server.disconnection$.subscribe({ complete: () => completed.push('disconnection$') });
      await server.shutdown();
      expect(completed).to.have.members(['connection$', 'message$', 'disconnection$']);
    });

    it('complete at once when subscribed after shutdown', async () => {
      const { server } = await startServer();
      await server.shutdown();
      const completed: string[] = [];
      server.connection$.subscribe({ complete: () => completed.push('connection$') });
      server.message$.subscribe({ complete: () => completed.push('message$') });
      server.disconnection$.subscribe({ complete: () => completed.push('disconnection$') });
      expect(completed).to.have.members(['connection$', 'message$', 'disconnection$']);
    });

    it('report the clients closed by shutdown before completing', async () => {
      const { server, url } = await startServer();
      const events: string[] = [];
      server.disconnection$.subscribe({
        next: (event) => events.push(`${event.code}`),
        complete: () => events.push('complete'),
      });
      await peers(url, 2);
      await server.shutdown();
      expect(events).to.deep.equal(['1001', '1001', 'complete']);
    });
  });

  describe('#shutdown()', () => {
    it('closes every client with 1001 and resolves after the last one', async () => {
      const { server, adapter, url } = await startServer();
      const all = await peers(url, 3);
      const closes: unknown[] = [];
      for (const p of all) p.client.onClose((info) => closes.push(info));
      const departed: string[] = [];
      server.onDisconnection((id) => departed.push(id));
      await server.shutdown();
      expect(departed).to.have.members(all.map((p) => p.id));
      expect(adapter.connections.size).to.equal(0);
      expect(adapter.state).to.equal('closed');
      await flush();
      expect(closes).to.deep.equal(
        Array.from({ length: 3 }, () => ({ code: 1001, reason: 'server shutting down' })),
      );
      expect(server.getClients()).to.deep.equal([]);
    });

    it('is idempotent and releases every listener it put on the adapter', async () => {
      const adapter = new MemorySocketServer({ name: uniqueName('shutdown') });
      expect(adapter.listenerCount()).to.equal(0);
      const server = new SocketServer(adapter);
      expect(adapter.listenerCount()).to.be.greaterThan(0);
      await server.listen();
      await peers(adapter.address?.url ?? '', 2);
      const first = server.shutdown();
      const second = server.shutdown();
      expect(second).to.equal(first);
      await first;
      await server.shutdown();
      expect(adapter.listenerCount()).to.equal(0);
    });

    it('works on a server that never listened', async () => {
      const adapter = new MemorySocketServer();
      const server = new SocketServer(adapter);
      await server.shutdown();
      expect(adapter.listenerCount()).to.equal(0);
      expectCode(await rejectionOf(server.listen()), 'INVALID_STATE');
    });

    it('refuses listen() afterwards with INVALID_STATE and turns new clients away', async () => {
      const { server, url } = await startServer();
      await server.shutdown();
      expectCode(await rejectionOf(server.listen()), 'INVALID_STATE');
      expectCode(
        await rejectionOf(newClient(url, { connectTimeout: 1_000 }).connect()),
        'CONNECTION_FAILED',
      );
    });
  });

  describe('authorization', () => {
    for (const mode of ['sync', 'async'] as const) {
      const answer = <T>(value: T): T | Promise<T> =>
        mode === 'sync' ? value : Promise.resolve(value);

      describe(`with a ${mode} strategy`, () => {
        it('a denial with AUTHENTICATION_FAILED rejects the client connect with that code (close 4401)', async () => {
          const { server, url } = await startServer({
            authorization: strategy(() =>
              answer({ ok: false, code: 'AUTHENTICATION_FAILED', reason: 'bad token' }),
            ),
          });
          const connected = sinon.spy();
          server.onConnection(connected);
          const client = newClient(url);
          expectCode(await rejectionOf(client.connect()), 'AUTHENTICATION_FAILED');
          expect(client.state).to.equal('closed');
          const raw = await new RawClient().open(url);
          await flush();
          expect(raw.closes).to.deep.equal([{ code: 4401, reason: 'bad token' }]);
          expect(raw.frames).to.deep.equal([]);
          expect(connected.called).to.equal(false);
          expect(server.getClients()).to.deep.equal([]);
        });

        it('a denial with UNAUTHORIZED rejects the client connect with that code (close 4403)', async () => {
          const { url } = await startServer({
            authorization: strategy(() =>
              answer({ ok: false, code: 'UNAUTHORIZED', reason: 'banned' }),
            ),
          });
          expectCode(await rejectionOf(newClient(url).connect()), 'UNAUTHORIZED');
          const raw = await new RawClient().open(url);
          await flush();
          expect(raw.closes).to.deep.equal([{ code: 4403, reason: 'banned' }]);
        });

        it('a denial without a code means AUTHENTICATION_FAILED', async () => {
          const { url } = await startServer({
            authorization: strategy(() => answer({ ok: false, reason: 'who?' })),
          });
          expectCode(await rejectionOf(newClient(url).connect()), 'AUTHENTICATION_FAILED');
        });

        it('stores the principal on the client record', async () => {
          const { server, url } = await startServer({
            authorization: strategy((h) =>
              answer({ ok: true, principal: { name: String(h.auth.name), admin: false } }),
            ),
          });
          const { id } = await peer(url, { auth: { name: 'ann' } });
          expect(server.getClient(id)?.principal).to.deep.equal({ name: 'ann', admin: false });
        });
      });
    }

    it('cuts a denial reason longer than a close frame allows', async () => {
      const { url } = await startServer({
        authorization: strategy(() => ({ ok: false, reason: 'é'.repeat(100) })),
      });
      const raw = await new RawClient().open(url);
      await flush();
      expect(raw.closes).to.have.length(1);
      expect(raw.closes[0].code).to.equal(4401);
      expect(new TextEncoder().encode(raw.closes[0].reason).byteLength).to.be.at.most(123);
      expect(raw.closes[0].reason.startsWith('éé')).to.equal(true);
    });

    for (const [name, authorize] of [
      [
        'throws',
        (): AuthorizationResult => {
          throw new Error('strategy bug');
        },
      ],
      ['rejects', (): Promise<AuthorizationResult> => Promise.reject(new Error('strategy bug'))],
    ] as const) {
      it(`a strategy that ${name} fails the client connect with CONNECTION_FAILED and reports SERVER_ERROR`, async () => {
        const { server, url } = await startServer({ authorization: strategy(authorize) });
        const reported: ErrorCode[] = [];
        server.onError((_id, error) => reported.push(error.code));
        expectCode(await rejectionOf(newClient(url).connect()), 'CONNECTION_FAILED');
        expect(reported).to.deep.equal(['SERVER_ERROR']);
        const raw = await new RawClient().open(url);
        await flush();
        expect(raw.closes.map((c) => c.code)).to.deep.equal([1011]);
        expect(server.getClients()).to.deep.equal([]);
      });
    }

    it('closes with 4408 a connection whose strategy has not settled after handshakeTimeout', async () => {
      clock = useFakeClock();
      const { server, adapter, url } = await startServer({
        handshakeTimeout: 2_000,
        authorization: strategy(() => new Promise<AuthorizationResult>(() => undefined)),
      });
      const raw = await new RawClient().open(url);
      await clock.tickAsync(1_999);
      expect(raw.closes).to.deep.equal([]);
      await clock.tickAsync(1);
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([4408]);
      expect(adapter.connections.size).to.equal(0);
      expect(server.getClients()).to.deep.equal([]);
    });

    it('uses a 10000 ms handshake timeout by default', async () => {
      clock = useFakeClock();
      const { url } = await startServer({
        authorization: strategy(() => new Promise<AuthorizationResult>(() => undefined)),
      });
      const raw = await new RawClient().open(url);
      await clock.tickAsync(9_999);
      expect(raw.closes).to.deep.equal([]);
      await clock.tickAsync(1);
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([4408]);
    });

    it('does not admit a client whose strategy settles after the handshake timeout', async () => {
      clock = useFakeClock();
      const verdict = deferred<AuthorizationResult>();
      const { server, url } = await startServer({
        handshakeTimeout: 100,
        authorization: strategy(() => verdict.promise),
      });
      const connected = sinon.spy();
      server.onConnection(connected);
      const raw = await new RawClient().open(url);
      await clock.tickAsync(100);
      verdict.resolve({ ok: true, principal: undefined });
      await flush();
      expect(connected.called).to.equal(false);
      expect(raw.ofKind('welcome')).to.deep.equal([]);
    });

    it('processes frames sent before authorization completed after admission, in order', async () => {
      const verdict = deferred<AuthorizationResult>();
      const { server, url } = await startServer({ authorization: strategy(() => verdict.promise) });
      const seen: string[] = [];
      server.onMessage((_id, message) => seen.push(message.type));
      const raw = await new RawClient().open(url);
      raw.sendJson({ k: 'msg', type: 'one' });
      raw.sendJson({ k: 'join', id: 1, topic: 'red' });
      raw.sendJson({ k: 'msg', type: 'two' });
      raw.sendRaw('{broken');
      raw.sendJson({ k: 'msg', type: 'three' });
      await flush();
      expect(seen).to.deep.equal([]);
      expect(server.getClients()).to.deep.equal([]);
      verdict.resolve({ ok: true, principal: 'p' });
      await flush();
      expect(seen).to.deep.equal(['one', 'two', 'three']);
      expect(raw.messages.map((m) => m.k)).to.deep.equal(['welcome', 'ack', 'error']);
      expect(server.getSubscribers('red')).to.have.length(1);
    });

    it('allows 100 frames before admission by default', async () => {
      const verdict = deferred<AuthorizationResult>();
      const { server, url } = await startServer({ authorization: strategy(() => verdict.promise) });
      const seen = sinon.spy();
      server.onMessage(seen);
      const raw = await new RawClient().open(url);
      for (let i = 0; i < 100; i++) raw.sendJson({ k: 'msg', type: 'm' });
      await flush();
      expect(raw.closes).to.deep.equal([]);
      raw.sendJson({ k: 'msg', type: 'm' });
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([1008]);
      verdict.resolve({ ok: true, principal: undefined });
      await flush();
      expect(seen.called).to.equal(false);
    });

    it('closes with 1008 a client that sends more than maxPendingFrames before admission', async () => {
      const verdict = deferred<AuthorizationResult>();
      const { server, url } = await startServer({
        maxPendingFrames: 3,
        authorization: strategy(() => verdict.promise),
      });
      const connected = sinon.spy();
      server.onConnection(connected);
      const raw = await new RawClient().open(url);
      for (let i = 0; i < 3; i++) raw.sendJson({ k: 'msg', type: `m${i}` });
      await flush();
      expect(raw.closes, 'three frames are allowed').to.deep.equal([]);
      raw.sendJson({ k: 'msg', type: 'one too many' });
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([1008]);
      verdict.resolve({ ok: true, principal: undefined });
      await flush();
      expect(connected.called).to.equal(false);
      expect(server.getClients()).to.deep.equal([]);
    });

    it('leaves no handshake timer behind once the connection being authorised is gone', async () => {
      clock = useFakeClock();
      const { server, url } = await startServer({
        authorization: strategy(() => new Promise<AuthorizationResult>(() => undefined)),
      });
      const raw = await new RawClient().open(url);
      await flush();
      await server.shutdown();
      await flush();
      expect(raw.closes.map((c) => c.code)).to.deep.equal([1001]);
      // A pending timer would keep the process alive for handshakeTimeout after shutdown.
      expect(clock.countTimers(), 'timers still pending').to.equal(0);
    });

    it('forgets a client that leaves while it is being authorised', async () => {
      const verdict = deferred<AuthorizationResult>();
      const { server, adapter, url } = await startServer({
        authorization: strategy(() => verdict.promise),
      });
      const departed = sinon.spy();
      server.onDisconnection(departed);
      const raw = await new RawClient().open(url);
      await raw.socket.disconnect();
      await flush();
      verdict.resolve({ ok: true, principal: undefined });
      await flush();
      expect(server.getClients()).to.deep.equal([]);
      expect(adapter.connections.size).to.equal(0);
      expect(departed.called, 'never admitted, so never reported as departed').to.equal(false);
    });

    it('hands the strategy the handshake the client presented', async () => {
      const authorize = sinon.spy((_handshake: Handshake): AuthorizationResult => ({
        ok: true,
        principal: undefined,
      }));
      const { url } = await startServer({ authorization: strategy(authorize) });
      await peer(url, { auth: { token: 'abc' }, query: { v: '2' }, headers: { 'X-Trace': 't' } });
      const handshake = authorize.firstCall.args[0];
      expect(handshake.auth).to.deep.equal({ token: 'abc' });
      expect(handshake.query.v).to.equal('2');
      expect(handshake.headers['x-trace']).to.equal('t');
    });
  });
});
