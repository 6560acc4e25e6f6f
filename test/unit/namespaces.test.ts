import { expect } from 'chai';
import sinon from 'sinon';
import { ServerNamespace, type SocketClient, type SocketMessage } from '../../src/index.js';
import { namespacePrefix } from '../../src/namespace-path.js';
import { cleanUp, connectClient, expectCode, flush, rejectionOf, startServer } from './support.js';

/** A connected client and every application message it received. */
interface Peer {
  readonly client: SocketClient;
  readonly id: string;
  readonly inbox: SocketMessage[];
}

/** The handler of `add`: `{ a, b }` → `a + b`. */
function sum(payload: unknown): number {
  const { a, b } = payload as { a: number; b: number };
  return a + b;
}

async function peer(url: string): Promise<Peer> {
  const client = await connectClient(url);
  const inbox: SocketMessage[] = [];
  client.onMessage((message) => inbox.push(message));
  return { client, id: client.id ?? '', inbox };
}

describe('namespacePrefix()', () => {
  it('turns a path into a prefix, ignoring leading and trailing slashes', () => {
    for (const path of ['chat', '/chat', 'chat/', '/chat/', '//chat//']) {
      expect(namespacePrefix('', path), path).to.equal('chat/');
    }
    expect(namespacePrefix('', '/a/b/')).to.equal('a/b/');
  });

  it('appends to a parent prefix', () => {
    expect(namespacePrefix('chat/', '/room/')).to.equal('chat/room/');
  });

  it('throws TypeError for an empty path, slashes only, or not a string', () => {
    for (const path of ['', '/', '///']) {
      expect(() => namespacePrefix('', path), JSON.stringify(path)).to.throw(TypeError);
    }
    expect(() => namespacePrefix('', 5 as never)).to.throw(TypeError);
    expect(() => namespacePrefix('', undefined as never)).to.throw(TypeError);
  });

  it('throws TypeError for a path as long as a whole name', () => {
    expect(() => namespacePrefix('', 'x'.repeat(256))).to.throw(TypeError);
    expect(namespacePrefix('', 'x'.repeat(200))).to.equal(`${'x'.repeat(200)}/`);
  });

  // Regression: a 255-character path was accepted though no name fits under it, and nesting
  // never checked the total length.
  it('throws TypeError when the whole prefix leaves no room for a name, nested too', () => {
    expect(() => namespacePrefix('', 'x'.repeat(255))).to.throw(TypeError);
    expect(namespacePrefix('', 'x'.repeat(254))).to.have.length(255);
    const outer = namespacePrefix('', 'x'.repeat(200));
    expect(() => namespacePrefix(outer, 'y'.repeat(60))).to.throw(TypeError);
    expect(namespacePrefix(outer, 'y'.repeat(50))).to.have.length(252);
  });
});

describe('SocketServer', () => {
  afterEach(cleanUp);

  describe('#ns()', () => {
    it('returns a ServerNamespace with the prefix of the path, slashes ignored', async () => {
      const { server } = await startServer();
      for (const path of ['chat', '/chat', 'chat/', '/chat/']) {
        const ns = server.ns(path);
        expect(ns).to.be.instanceOf(ServerNamespace);
        expect(ns.prefix).to.equal('chat/');
      }
    });

    it('nests: ns("/chat").ns("room") prefixes with chat/room/', async () => {
      const { server } = await startServer();
      expect(server.ns('/chat').ns('room').prefix).to.equal('chat/room/');
      expect(server.ns('/chat/').ns('/room/').ns('x').prefix).to.equal('chat/room/x/');
    });

    it('throws TypeError for an empty path, on the server and when nesting', async () => {
      const { server } = await startServer();
      expect(() => server.ns('')).to.throw(TypeError);
      expect(() => server.ns('/')).to.throw(TypeError);
      expect(() => server.ns('chat').ns('')).to.throw(TypeError);
      expect(() => server.ns('chat').ns('//')).to.throw(TypeError);
    });

    describe('#handle()', () => {
      it('registers the handler under the prefixed name', async () => {
        const { server, url } = await startServer();
        const ns = server.ns('/chat');
        expect(ns.handle('add', (payload) => sum(payload))).to.equal(ns);
        expect(server.hasHandler('chat/add')).to.equal(true);
        expect(server.hasHandler('add')).to.equal(false);
        const client = await connectClient(url);
        expect(await client.request('chat/add', { a: 1, b: 2 })).to.equal(3);
        expectCode(await rejectionOf(client.request('add', { a: 1, b: 2 })), 'HANDLER_NOT_FOUND');
      });

      it('passes the handler the full name in ctx.name', async () => {
        const { server, url } = await startServer();
        server
          .ns('chat')
          .ns('room')
          .handle('where', (_p, ctx) => ctx.name);
        const client = await connectClient(url);
        expect(await client.request('chat/room/where', null)).to.equal('chat/room/where');
      });

      it('takes per-handler middleware', async () => {
        const { server, url } = await startServer();
        const handler = sinon.spy(() => 'ok');
        server.ns('chat').handle('guarded', [() => undefined], handler);
        const client = await connectClient(url);
        expectCode(await rejectionOf(client.request('chat/guarded', null)), 'UNAUTHORIZED');
        expect(handler.called).to.equal(false);
      });

      it('addHandler is an alias; removeHandler removes the prefixed name', async () => {
        const { server } = await startServer();
        const ns = server.ns('chat');
        ns.addHandler('a', () => 1);
        server.handle('a', () => 2);
        expect(server.hasHandler('chat/a')).to.equal(true);
        expect(ns.removeHandler('a')).to.equal(true);
        expect(server.hasHandler('chat/a')).to.equal(false);
        expect(server.hasHandler('a'), 'the unprefixed one stays').to.equal(true);
        expect(ns.removeHandler('a')).to.equal(false);
      });

      it('throws when the prefixed name already has a handler', async () => {
        const { server } = await startServer();
        server.handle('chat/a', () => 1);
        expect(() => server.ns('chat').handle('a', () => 2)).to.throw(Error);
      });
    });

    describe('#onEvent() / #onceEvent() / #offEvent()', () => {
      it('listen to the prefixed type', async () => {
        const { server, url } = await startServer();
        const ns = server.ns('/chat');
        const on = sinon.spy();
        const once = sinon.spy();
        expect(ns.onEvent('say', on)).to.equal(ns);
        expect(ns.onceEvent('say', once)).to.equal(ns);
        expect(server.getEventNames()).to.deep.equal(['chat/say']);
        const { client, id } = await peer(url);
        client.emit('say', 'unprefixed');
        client.emit('chat/say', 1);
        client.emit('chat/say', 2);
        await flush();
        expect(on.args).to.deep.equal([
          [1, id, { type: 'chat/say', payload: 1 }],
          [2, id, { type: 'chat/say', payload: 2 }],
        ]);
        expect(once.args.map((a) => a[0] as unknown)).to.deep.equal([1]);
      });

      it('offEvent removes from the prefixed type, one listener or all', async () => {
        const { server } = await startServer();
        const ns = server.ns('chat');
        const a = (): void => undefined;
        ns.onEvent('say', a)
          .onEvent('say', () => undefined)
          .onEvent('other', a);
        server.onEvent('say', a);
        ns.offEvent('say', a);
        expect(server.getEventListenerCount('chat/say')).to.equal(1);
        expect(server.getEventListenerCount('say')).to.equal(1);
        ns.offEvent('say');
        expect(server.hasEventListeners('chat/say')).to.equal(false);
        expect(server.hasEventListeners('chat/other')).to.equal(true);
      });
    });

    describe('#onAnyEvent()', () => {
      it('sees only the names under the namespace, with their full type, and returns a remover', async () => {
        const { server, url } = await startServer();
        const inside = sinon.spy();
        const everything = sinon.spy();
        const stop = server.ns('chat').onAnyEvent(inside);
        server.onAnyEvent(everything);
        const { client, id } = await peer(url);
        client.emit('chat/say', 1);
        client.emit('chatroom/say', 2);
        client.emit('say', 3);
        client.emit('chat/room/say', 4);
        await flush();
        expect(inside.args).to.deep.equal([
          ['chat/say', 1, id, { type: 'chat/say', payload: 1 }],
          ['chat/room/say', 4, id, { type: 'chat/room/say', payload: 4 }],
        ]);
        expect(everything.callCount).to.equal(4);
        stop();
        client.emit('chat/say', 5);
        await flush();
        expect(inside.callCount).to.equal(2);
        expect(everything.callCount).to.equal(5);
      });

      it('of a nested namespace sees only its own names', async () => {
        const { server, url } = await startServer();
        const room = sinon.spy();
        server.ns('chat').ns('room').onAnyEvent(room);
        const { client } = await peer(url);
        client.emit('chat/say', 1);
        client.emit('chat/room/say', 2);
        await flush();
        expect(room.args.map((a) => a[0] as unknown)).to.deep.equal(['chat/room/say']);
      });
    });

    describe('#relay()', () => {
      it('relays the prefixed type only', async () => {
        const { server, url } = await startServer();
        const [a, b] = [await peer(url), await peer(url)];
        const stop = server.ns('chat').relay('say');
        a.client.emit('say', 1);
        a.client.emit('chat/say', 2);
        await flush();
        expect(b.inbox).to.deep.equal([{ type: 'chat/say', payload: 2, from: a.id }]);
        stop();
        a.client.emit('chat/say', 3);
        await flush();
        expect(b.inbox).to.have.length(1);
      });

      it("relay('*') covers every type under the namespace and nothing outside it", async () => {
        const { server, url } = await startServer();
        const [a, b] = [await peer(url), await peer(url)];
        server.ns('chat').relay('*');
        a.client.emit('chat/say', 1);
        a.client.emit('chat/room/typing', 2);
        a.client.emit('say', 3);
        await flush();
        expect(b.inbox).to.deep.equal([
          { type: 'chat/say', payload: 1, from: a.id },
          { type: 'chat/room/typing', payload: 2, from: a.id },
        ]);
      });

      it('the nearest rule wins: a type rule over chat/*, chat/* over *', async () => {
        const { server, url } = await startServer();
        const [a, b, c] = [await peer(url), await peer(url), await peer(url)];
        server.subscribe(b.id, 'red');
        server.relay('*', { to: { topic: 'none' } });
        server.ns('chat').relay('*', { to: { topic: 'red' } });
        server.relay('chat/all', { to: 'all' });
        a.client.emit('chat/say', 1); // chat/* → red: b only
        a.client.emit('chat/all', 2); // own rule → everyone
        a.client.emit('other', 3); // * → topic none: nobody
        await flush();
        expect(b.inbox.map((m) => m.payload)).to.deep.equal([1, 2]);
        expect(c.inbox.map((m) => m.payload)).to.deep.equal([2]);
      });

      it('takes the relay options', async () => {
        const { server, url } = await startServer();
        const [a, b, c] = [await peer(url), await peer(url), await peer(url)];
        server.subscribe(b.id, 'red');
        server.ns('chat').relay('say', { to: { topic: 'red' }, echo: true });
        a.client.emit('chat/say', 1);
        await flush();
        expect(b.inbox).to.have.length(1);
        expect(c.inbox).to.deep.equal([]);
      });
    });

    describe('broadcasts and sends', () => {
      it('emit() sends the prefixed type to every client and returns how many', async () => {
        const { server, url } = await startServer();
        const [a, b] = [await peer(url), await peer(url)];
        expect(server.ns('chat').emit('news', 1, { h: 1 })).to.equal(2);
        await flush();
        expect(a.inbox).to.deep.equal([{ type: 'chat/news', payload: 1, headers: { h: 1 } }]);
        expect(b.inbox).to.deep.equal(a.inbox);
      });

      it('to(topic).emit() and except(id).emit() send the prefixed type', async () => {
        const { server, url } = await startServer();
        const [a, b, c] = [await peer(url), await peer(url), await peer(url)];
        server.subscribe(a.id, 'red');
        server.subscribe(b.id, 'red');
        const room = server.ns('chat').ns('room');
        expect(room.to('red').except(a.id).emit('news', 1)).to.equal(1);
        expect(room.except([a.id, b.id]).emit('news', 2)).to.equal(1);
        await flush();
        expect(a.inbox).to.deep.equal([]);
        expect(b.inbox).to.deep.equal([{ type: 'chat/room/news', payload: 1 }]);
        expect(c.inbox).to.deep.equal([{ type: 'chat/room/news', payload: 2 }]);
      });

      it('to(topic).request() asks the prefixed name', async () => {
        const { server, url } = await startServer();
        const a = await peer(url);
        a.client.handle('chat/vote', (q: unknown) => `yes to ${String(q)}`);
        server.subscribe(a.id, 'red');
        const replies = await server.ns('chat').to('red').request('vote', 'lunch');
        expect([...replies.results]).to.deep.equal([[a.id, 'yes to lunch']]);
      });

      it('sendToClient() sends the prefixed type to one client', async () => {
        const { server, url } = await startServer();
        const [a, b] = [await peer(url), await peer(url)];
        expect(server.ns('chat').sendToClient(a.id, { type: 'dm', payload: 1 })).to.equal(true);
        expect(server.ns('chat').sendToClient('nobody', { type: 'dm', payload: 1 })).to.equal(
          false,
        );
        await flush();
        expect(a.inbox).to.deep.equal([{ type: 'chat/dm', payload: 1 }]);
        expect(b.inbox).to.deep.equal([]);
      });

      it('request(clientId) asks the client’s prefixed handler', async () => {
        const { server, url } = await startServer();
        const a = await peer(url);
        a.client.handle('chat/ask', (n) => (n as number) * 2);
        expect(await server.ns('chat').request(a.id, 'ask', 21)).to.equal(42);
        expectCode(
          await rejectionOf(server.ns('other').request(a.id, 'ask', 1)),
          'HANDLER_NOT_FOUND',
        );
      });
    });
  });
});

describe('SocketClient', () => {
  afterEach(cleanUp);

  describe('#ns()', () => {
    it('prefixes like the server: slashes ignored, nestable, empty paths refused', async () => {
      const { url } = await startServer();
      const client = await connectClient(url);
      expect(client.ns('/chat/').prefix).to.equal('chat/');
      expect(client.ns('chat').ns('/room').prefix).to.equal('chat/room/');
      expect(() => client.ns('')).to.throw(TypeError);
      expect(() => client.ns('chat').ns('/')).to.throw(TypeError);
    });

    it('emit() sends the prefixed type', async () => {
      const { server, url } = await startServer();
      const seen: unknown[] = [];
      server.onMessage((_id, message) => seen.push(message));
      const client = await connectClient(url);
      client.ns('chat').emit('say', 1);
      client.ns('chat').ns('room').emit('say', 2, { h: 1 });
      await flush();
      expect(seen).to.deep.equal([
        { type: 'chat/say', payload: 1 },
        { type: 'chat/room/say', payload: 2, headers: { h: 1 } },
      ]);
    });

    it('request() calls the server’s prefixed handler, which server.ns() registered', async () => {
      const { server, url } = await startServer();
      server.ns('chat').handle('add', (payload) => sum(payload));
      const client = await connectClient(url);
      expect(await client.ns('/chat').request('add', { a: 2, b: 3 })).to.equal(5);
      expectCode(
        await rejectionOf(client.ns('other').request('add', { a: 2, b: 3 })),
        'HANDLER_NOT_FOUND',
      );
    });

    it('handle() answers the prefixed name; removeHandler() removes it', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const ns = client.ns('chat');
      expect(ns.handle('ask', (n: unknown) => (n as number) + 1)).to.equal(ns);
      expect(await server.request(client.id ?? '', 'chat/ask', 1)).to.equal(2);
      expectCode(await rejectionOf(server.request(client.id ?? '', 'ask', 1)), 'HANDLER_NOT_FOUND');
      expect(ns.removeHandler('ask')).to.equal(true);
      expectCode(
        await rejectionOf(server.request(client.id ?? '', 'chat/ask', 1)),
        'HANDLER_NOT_FOUND',
      );
    });

    it('requestClient() asks another client’s prefixed handler', async () => {
      const { url } = await startServer();
      const asker = await connectClient(url);
      const target = await connectClient(url);
      target.ns('chat').handle('ping', (_p, ctx) => ({ name: ctx.name, from: ctx.from }));
      expect(await asker.ns('chat').requestClient(target.id ?? '', 'ping', null)).to.deep.equal({
        name: 'chat/ping',
        from: asker.id,
      });
    });

    it('on(), once() and off() listen to the prefixed type', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const id = client.id ?? '';
      const ns = client.ns('chat');
      const on = sinon.spy();
      const once = sinon.spy();
      expect(ns.on('news', on)).to.equal(ns);
      expect(ns.once('news', once)).to.equal(ns);
      expect(client.events.eventNames()).to.deep.equal(['chat/news']);
      server.sendToClient(id, { type: 'news', payload: 'unprefixed' });
      server.sendToClient(id, { type: 'chat/news', payload: 1 });
      server.sendToClient(id, { type: 'chat/news', payload: 2 });
      await flush();
      expect(on.args).to.deep.equal([
        [1, { type: 'chat/news', payload: 1 }],
        [2, { type: 'chat/news', payload: 2 }],
      ]);
      expect(once.args.map((a) => a[0] as unknown)).to.deep.equal([1]);
      expect(ns.off('news', on)).to.equal(ns);
      expect(client.events.listenerCount('chat/news')).to.equal(0);
      ns.on('news', on).on('news', once);
      ns.off('news');
      expect(client.events.listenerCount('chat/news')).to.equal(0);
    });

    it('onAny() sees only the names under the namespace, with their full type, and returns a remover', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const id = client.id ?? '';
      const inside = sinon.spy();
      const stop = client.ns('chat').onAny(inside);
      server.sendToClient(id, { type: 'chat/a', payload: 1 });
      server.sendToClient(id, { type: 'chatroom/a', payload: 2 });
      server.sendToClient(id, { type: 'a', payload: 3 });
      await flush();
      expect(inside.args).to.deep.equal([['chat/a', 1, { type: 'chat/a', payload: 1 }]]);
      stop();
      server.sendToClient(id, { type: 'chat/a', payload: 4 });
      await flush();
      expect(inside.callCount).to.equal(1);
    });

    it('receives what server.ns() broadcasts, relayed with its sender', async () => {
      const { server, url } = await startServer();
      server.ns('chat').relay('say');
      const a = await connectClient(url);
      const b = await connectClient(url);
      const heard: unknown[] = [];
      b.ns('chat').on('say', (payload, message) => heard.push([payload, message.from]));
      b.ns('chat').on('news', (payload) => heard.push(['news', payload]));
      a.ns('chat').emit('say', 'hi');
      server.ns('chat').emit('news', 'today');
      await flush();
      expect(heard).to.have.deep.members([
        ['hi', a.id],
        ['news', 'today'],
      ]);
    });
  });
});
