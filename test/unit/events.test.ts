import { expect } from 'chai';
import { map } from 'rxjs';
import sinon from 'sinon';
import {
  JsonCodec,
  type Codec,
  type ConnectedClient,
  type PlugSocketError,
  type SocketClient,
  type SocketMessage,
} from '../../src/index.js';
import { cleanUp, connectClient, expectCode, flush, newClient, startServer } from './support.js';

/** A connected client and every application message it received. */
interface Peer {
  readonly client: SocketClient;
  readonly id: string;
  readonly inbox: SocketMessage[];
}

async function peer(url: string): Promise<Peer> {
  const client = await connectClient(url);
  const inbox: SocketMessage[] = [];
  client.onMessage((message) => inbox.push(message));
  return { client, id: client.id ?? '', inbox };
}

/** The server's errors, with the client id each concerned. */
function collectErrors(server: {
  onError(fn: (id: string | undefined, error: PlugSocketError) => void): unknown;
}): { id: string | undefined; error: PlugSocketError }[] {
  const errors: { id: string | undefined; error: PlugSocketError }[] = [];
  server.onError((id, error) => errors.push({ id, error }));
  return errors;
}

/** Resolves after a real timer turn: rxjs reports unhandled errors from a timer. */
function timerTurn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

describe('SocketServer', () => {
  afterEach(cleanUp);

  describe('#onEvent()', () => {
    it('calls the listener with (payload, senderId, message) for each message of its type', async () => {
      const { server, url } = await startServer();
      const listener = sinon.spy();
      server.onEvent('say', listener);
      const { client, id } = await peer(url);
      client.emit('say', { text: 'hi' }, { trace: 't1' });
      client.emit('other', 1);
      client.emit('say', 'again');
      await flush();
      expect(listener.args).to.deep.equal([
        [{ text: 'hi' }, id, { type: 'say', payload: { text: 'hi' }, headers: { trace: 't1' } }],
        ['again', id, { type: 'say', payload: 'again' }],
      ]);
    });

    it('calls several listeners of one type in registration order, and is chainable', async () => {
      const { server, url } = await startServer();
      const calls: string[] = [];
      expect(
        server.onEvent('x', () => calls.push('first')).onEvent('x', () => calls.push('second')),
      ).to.equal(server);
      const { client } = await peer(url);
      client.emit('x', 1);
      await flush();
      expect(calls).to.deep.equal(['first', 'second']);
    });

    it('tells listeners which client sent each message', async () => {
      const { server, url } = await startServer();
      const senders: string[] = [];
      server.onEvent('x', (_payload, senderId) => senders.push(senderId));
      const a = await peer(url);
      const b = await peer(url);
      b.client.emit('x', 1);
      a.client.emit('x', 2);
      await flush();
      expect(senders).to.deep.equal([b.id, a.id]);
    });

    it('reports a listener that throws as SERVER_ERROR with the cause, and still calls the others', async () => {
      const { server, url } = await startServer();
      const errors = collectErrors(server);
      const bug = new Error('listener bug');
      const later = sinon.spy();
      const any = sinon.spy();
      const onMessage = sinon.spy();
      server.onEvent('x', () => {
        throw bug;
      });
      server.onEvent('x', later);
      server.onAnyEvent(any);
      server.onMessage(onMessage);
      const { client } = await peer(url);
      client.emit('x', 1);
      client.emit('x', 2);
      await flush();
      expect(later.callCount).to.equal(2);
      expect(any.callCount).to.equal(2);
      expect(onMessage.callCount).to.equal(2);
      expect(errors).to.have.length(2);
      expectCode(errors[0].error, 'SERVER_ERROR');
      expect(errors[0].error.cause).to.equal(bug);
      expect(client.isConnected).to.equal(true);
    });

    it("names the sender's id when a listener throws, as onMessage handlers do", async () => {
      const { server, url } = await startServer();
      const errors = collectErrors(server);
      server.onEvent('x', () => {
        throw new Error('listener bug');
      });
      const { client, id } = await peer(url);
      client.emit('x', 1);
      await flush();
      expect(errors.map((e) => e.id)).to.deep.equal([id]);
    });
  });

  describe('#onceEvent()', () => {
    it('calls the listener for the next message of its type only', async () => {
      const { server, url } = await startServer();
      const listener = sinon.spy();
      server.onceEvent('x', listener);
      expect(server.getEventListenerCount('x')).to.equal(1);
      const { client, id } = await peer(url);
      client.emit('x', 1);
      client.emit('x', 2);
      await flush();
      expect(listener.args).to.deep.equal([[1, id, { type: 'x', payload: 1 }]]);
      expect(server.getEventListenerCount('x')).to.equal(0);
      expect(server.hasEventListeners('x')).to.equal(false);
    });

    it('leaves the other listeners of the type in place', async () => {
      const { server, url } = await startServer();
      const always = sinon.spy();
      server.onEvent('x', always);
      server.onceEvent('x', () => undefined);
      const { client } = await peer(url);
      client.emit('x', 1);
      client.emit('x', 2);
      await flush();
      expect(always.callCount).to.equal(2);
      expect(server.getEventListenerCount('x')).to.equal(1);
    });
  });

  describe('#offEvent()', () => {
    it('removes one listener, leaving the others of the type', async () => {
      const { server, url } = await startServer();
      const removed = sinon.spy();
      const kept = sinon.spy();
      server.onEvent('x', removed).onEvent('x', kept);
      expect(server.offEvent('x', removed)).to.equal(server);
      const { client } = await peer(url);
      client.emit('x', 1);
      await flush();
      expect(removed.called).to.equal(false);
      expect(kept.callCount).to.equal(1);
    });

    it('removes a once listener before it fired', async () => {
      const { server, url } = await startServer();
      const listener = sinon.spy();
      server.onceEvent('x', listener);
      server.offEvent('x', listener);
      const { client } = await peer(url);
      client.emit('x', 1);
      await flush();
      expect(listener.called).to.equal(false);
    });

    it('without a listener removes every listener of that type only', async () => {
      const { server, url } = await startServer();
      const x = sinon.spy();
      const y = sinon.spy();
      server.onEvent('x', x).onEvent('x', x).onEvent('y', y);
      server.offEvent('x');
      expect(server.hasEventListeners('x')).to.equal(false);
      const { client } = await peer(url);
      client.emit('x', 1);
      client.emit('y', 1);
      await flush();
      expect(x.called).to.equal(false);
      expect(y.callCount).to.equal(1);
    });

    it('does nothing for an unknown type or listener', async () => {
      const { server } = await startServer();
      server.onEvent('x', () => undefined);
      server.offEvent('nope').offEvent('x', () => undefined);
      expect(server.getEventListenerCount('x')).to.equal(1);
    });
  });

  describe('#emitEvent()', () => {
    it('calls the listeners of the type as if the client had sent it, and returns true', async () => {
      const { server } = await startServer();
      const listener = sinon.spy();
      const any = sinon.spy();
      server.onEvent('x', listener);
      server.onAnyEvent(any);
      expect(server.emitEvent('x', { n: 1 }, 'client-7')).to.equal(true);
      expect(listener.args).to.deep.equal([
        [{ n: 1 }, 'client-7', { type: 'x', payload: { n: 1 } }],
      ]);
      expect(any.args).to.deep.equal([
        ['x', { n: 1 }, 'client-7', { type: 'x', payload: { n: 1 } }],
      ]);
    });

    it("uses '' as the sender without a client id", async () => {
      const { server } = await startServer();
      const listener = sinon.spy();
      server.onEvent('x', listener);
      server.emitEvent('x', 1);
      expect(listener.firstCall.args[1]).to.equal('');
    });

    it('returns false when nothing listens', async () => {
      const { server } = await startServer();
      server.onEvent('other', () => undefined);
      expect(server.emitEvent('x', 1)).to.equal(false);
    });

    it('neither relays nor reaches onMessage or message$', async () => {
      const { server, url } = await startServer();
      server.relay('x');
      const onMessage = sinon.spy();
      const stream = sinon.spy();
      server.onMessage(onMessage);
      server.message$.subscribe(stream);
      server.onEvent('x', () => undefined);
      const a = await peer(url);
      const b = await peer(url);
      server.emitEvent('x', 1, a.id);
      await flush();
      expect(a.inbox).to.deep.equal([]);
      expect(b.inbox).to.deep.equal([]);
      expect(onMessage.called).to.equal(false);
      expect(stream.called).to.equal(false);
    });

    it('reports a listener that throws and still calls the others', async () => {
      const { server } = await startServer();
      const errors = collectErrors(server);
      const bug = new Error('listener bug');
      const later = sinon.spy();
      server.onEvent('x', () => {
        throw bug;
      });
      server.onEvent('x', later);
      expect(() => server.emitEvent('x', 1)).to.not.throw();
      expect(later.callCount).to.equal(1);
      expect(errors).to.have.length(1);
      expectCode(errors[0].error, 'SERVER_ERROR');
      expect(errors[0].error.cause).to.equal(bug);
    });
  });

  describe('#hasEventListeners() / #getEventListenerCount() / #getEventNames()', () => {
    it('describe the listeners registered, not counting catch-alls', async () => {
      const { server } = await startServer();
      expect(server.getEventNames()).to.deep.equal([]);
      server.onEvent('a', () => undefined);
      server.onEvent('a', () => undefined);
      server.onceEvent('b', () => undefined);
      server.onAnyEvent(() => undefined);
      expect(server.hasEventListeners('a')).to.equal(true);
      expect(server.hasEventListeners('c')).to.equal(false);
      expect(server.getEventListenerCount('a')).to.equal(2);
      expect(server.getEventListenerCount('b')).to.equal(1);
      expect(server.getEventListenerCount('c')).to.equal(0);
      expect(server.getEventNames()).to.have.members(['a', 'b']);
      server.offEvent('a');
      expect(server.getEventNames()).to.deep.equal(['b']);
    });
  });

  describe('#setMaxEventListeners()', () => {
    function logger(): { debug: sinon.SinonSpy; warn: sinon.SinonSpy; error: sinon.SinonSpy } {
      return { debug: sinon.spy(), warn: sinon.spy(), error: sinon.spy() };
    }

    it('warns once per type through the logger past the maximum', async () => {
      const log = logger();
      const { server } = await startServer({ logger: log });
      expect(server.setMaxEventListeners(2)).to.equal(server);
      server.onEvent('x', () => undefined).onEvent('x', () => undefined);
      expect(log.warn.called).to.equal(false);
      server.onEvent('x', () => undefined);
      expect(log.warn.callCount).to.equal(1);
      expect(log.warn.firstCall.args[1]).to.deep.include({ name: 'x', count: 3 });
      server.onEvent('x', () => undefined).onceEvent('x', () => undefined);
      expect(log.warn.callCount, 'once per type').to.equal(1);
      server
        .onEvent('y', () => undefined)
        .onEvent('y', () => undefined)
        .onEvent('y', () => undefined);
      expect(log.warn.callCount).to.equal(2);
    });

    it('warns past 10 listeners by default', async () => {
      const log = logger();
      const { server } = await startServer({ logger: log });
      for (let i = 0; i < 10; i++) server.onEvent('x', () => undefined);
      expect(log.warn.called).to.equal(false);
      server.onEvent('x', () => undefined);
      expect(log.warn.callCount).to.equal(1);
    });

    it('0 means no limit', async () => {
      const log = logger();
      const { server } = await startServer({ logger: log });
      server.setMaxEventListeners(0);
      for (let i = 0; i < 30; i++) server.onEvent('x', () => undefined);
      expect(log.warn.called).to.equal(false);
    });

    it('throws RangeError for a negative or fractional maximum', async () => {
      const { server } = await startServer();
      expect(() => server.setMaxEventListeners(-1)).to.throw(RangeError);
      expect(() => server.setMaxEventListeners(2.5)).to.throw(RangeError);
    });
  });

  describe('#clearEvent()', () => {
    it('removes every listener of one type, leaving the others and the catch-alls', async () => {
      const { server, url } = await startServer();
      const x = sinon.spy();
      const y = sinon.spy();
      const any = sinon.spy();
      server.onEvent('x', x).onceEvent('x', x).onEvent('y', y).onAnyEvent(any);
      expect(server.clearEvent('x')).to.equal(server);
      const { client } = await peer(url);
      client.emit('x', 1);
      client.emit('y', 1);
      await flush();
      expect(x.called).to.equal(false);
      expect(y.callCount).to.equal(1);
      expect(any.callCount).to.equal(2);
    });
  });

  describe('#clearAllEvents()', () => {
    it('removes every listener, catch-alls included', async () => {
      const { server, url } = await startServer();
      const listener = sinon.spy();
      server.onEvent('x', listener).onceEvent('y', listener).onAnyEvent(listener);
      expect(server.clearAllEvents()).to.equal(server);
      expect(server.getEventNames()).to.deep.equal([]);
      const { client } = await peer(url);
      client.emit('x', 1);
      client.emit('y', 1);
      await flush();
      expect(listener.called).to.equal(false);
    });
  });

  describe('#onAnyEvent() / #offAnyEvent()', () => {
    it('calls a catch-all with (type, payload, senderId, message) for every message', async () => {
      const { server, url } = await startServer();
      const any = sinon.spy();
      expect(server.onAnyEvent(any)).to.equal(server);
      const { client, id } = await peer(url);
      client.emit('a', 1);
      client.emit('b', 2, { h: 1 });
      await flush();
      expect(any.args).to.deep.equal([
        ['a', 1, id, { type: 'a', payload: 1 }],
        ['b', 2, id, { type: 'b', payload: 2, headers: { h: 1 } }],
      ]);
    });

    it('offAnyEvent(fn) removes that catch-all; offAnyEvent() removes all of them', async () => {
      const { server, url } = await startServer();
      const a = sinon.spy();
      const b = sinon.spy();
      server.onAnyEvent(a).onAnyEvent(b);
      server.offAnyEvent(a);
      const { client } = await peer(url);
      client.emit('x', 1);
      await flush();
      expect(a.called).to.equal(false);
      expect(b.callCount).to.equal(1);
      expect(server.offAnyEvent()).to.equal(server);
      client.emit('x', 2);
      await flush();
      expect(b.callCount).to.equal(1);
    });

    it('reports a catch-all that throws and still calls the others', async () => {
      const { server, url } = await startServer();
      const errors = collectErrors(server);
      const later = sinon.spy();
      server.onAnyEvent(() => {
        throw new Error('catch-all bug');
      });
      server.onAnyEvent(later);
      const { client } = await peer(url);
      client.emit('x', 1);
      await flush();
      expect(later.callCount).to.equal(1);
      expect(errors.map((e) => e.error.code)).to.deep.equal(['SERVER_ERROR']);
    });
  });

  describe('order of delivery', () => {
    it('event listeners, then catch-alls, then onMessage, then message$', async () => {
      const { server, url } = await startServer();
      const order: string[] = [];
      server.message$.subscribe(() => order.push('message$'));
      server.onMessage(() => order.push('onMessage'));
      server.onAnyEvent(() => order.push('onAnyEvent'));
      server.onEvent('x', () => order.push('onEvent'));
      const { client } = await peer(url);
      client.emit('x', 1);
      await flush();
      expect(order).to.deep.equal(['onEvent', 'onAnyEvent', 'onMessage', 'message$']);
    });

    it('relays after the listeners have run', async () => {
      const { server, url } = await startServer();
      const a = await peer(url);
      const b = await peer(url);
      const relayedBeforeListener: boolean[] = [];
      server.relay('x');
      server.onEvent('x', () => relayedBeforeListener.push(b.inbox.length > 0));
      a.client.emit('x', 1);
      await flush();
      expect(relayedBeforeListener).to.deep.equal([false]);
      expect(b.inbox).to.have.length(1);
    });
  });

  describe('#relay()', () => {
    it("refuses '' and names that are too long, but takes '*'", async () => {
      const { server } = await startServer();
      expect(() => server.relay('')).to.throw(TypeError);
      expect(() => server.relay('x'.repeat(257))).to.throw(TypeError);
      expect(server.relay('*')).to.be.a('function');
    });

    it("to 'all' (the default) forwards to every other client, marked with the sender's id", async () => {
      const { server, url } = await startServer();
      const [a, b, c] = [await peer(url), await peer(url), await peer(url)];
      server.relay('say');
      a.client.emit('say', { text: 'hi' }, { trace: 't' });
      await flush();
      const relayed = { type: 'say', payload: { text: 'hi' }, headers: { trace: 't' }, from: a.id };
      expect(b.inbox).to.deep.equal([relayed]);
      expect(c.inbox).to.deep.equal([relayed]);
      expect(a.inbox, 'never echoed to the sender').to.deep.equal([]);
    });

    it('relays only the type it was given', async () => {
      const { server, url } = await startServer();
      const [a, b] = [await peer(url), await peer(url)];
      server.relay('say', { to: 'all' });
      a.client.emit('other', 1);
      await flush();
      expect(b.inbox).to.deep.equal([]);
    });

    it('hands the receiving client listeners message.from', async () => {
      const { server, url } = await startServer();
      const [a, b] = [await peer(url), await peer(url)];
      const listener = sinon.spy();
      b.client.events.on('say', listener);
      server.relay('say');
      a.client.emit('say', 'hi');
      await flush();
      expect(listener.args).to.deep.equal([['hi', { type: 'say', payload: 'hi', from: a.id }]]);
    });

    it('echoes back to the sender with echo: true', async () => {
      const { server, url } = await startServer();
      const [a, b] = [await peer(url), await peer(url)];
      server.relay('say', { echo: true });
      a.client.emit('say', 1);
      await flush();
      expect(a.inbox).to.deep.equal([{ type: 'say', payload: 1, from: a.id }]);
      expect(b.inbox).to.deep.equal([{ type: 'say', payload: 1, from: a.id }]);
    });

    it('to { topic } reaches that topic’s subscribers only, never the sender', async () => {
      const { server, url } = await startServer();
      const [a, b, c] = [await peer(url), await peer(url), await peer(url)];
      server.subscribe(a.id, 'red');
      server.subscribe(b.id, 'red');
      server.relay('say', { to: { topic: 'red' } });
      a.client.emit('say', 1);
      c.client.emit('say', 2);
      await flush();
      expect(a.inbox).to.deep.equal([{ type: 'say', payload: 2, from: c.id }]);
      expect(b.inbox).to.deep.equal([
        { type: 'say', payload: 1, from: a.id },
        { type: 'say', payload: 2, from: c.id },
      ]);
      expect(c.inbox).to.deep.equal([]);
    });

    it('to { topic: [...] } reaches the subscribers of any of the topics, once each', async () => {
      const { server, url } = await startServer();
      const [a, b, c, d] = [await peer(url), await peer(url), await peer(url), await peer(url)];
      server.subscribe(b.id, 'red');
      server.subscribe(c.id, 'blue');
      server.subscribe(c.id, 'red');
      server.relay('say', { to: { topic: ['red', 'blue'] } });
      a.client.emit('say', 1);
      await flush();
      expect(b.inbox).to.have.length(1);
      expect(c.inbox).to.deep.equal([{ type: 'say', payload: 1, from: a.id }]);
      expect(d.inbox).to.deep.equal([]);
    });

    it('to { topic } with echo reaches a subscribed sender too', async () => {
      const { server, url } = await startServer();
      const [a, b] = [await peer(url), await peer(url)];
      server.subscribe(a.id, 'red');
      server.relay('say', { to: { topic: 'red' }, echo: true });
      a.client.emit('say', 1);
      await flush();
      expect(a.inbox).to.deep.equal([{ type: 'say', payload: 1, from: a.id }]);
      expect(b.inbox).to.deep.equal([]);
    });

    it('to a predicate reaches the clients it accepts, asked with (client, message, sender)', async () => {
      const { server, url } = await startServer();
      const [a, b, c] = [await peer(url), await peer(url), await peer(url)];
      server.getClient(c.id)?.set('muted', true);
      const to = sinon.spy(
        (client: ConnectedClient, _message: SocketMessage, _from: ConnectedClient) =>
          client.get('muted') !== true,
      );
      server.relay('say', { to });
      a.client.emit('say', 1);
      await flush();
      expect(b.inbox).to.deep.equal([{ type: 'say', payload: 1, from: a.id }]);
      expect(c.inbox).to.deep.equal([]);
      expect(a.inbox).to.deep.equal([]);
      const call = to.args.find(([client]) => client.id === b.id);
      expect(call?.[1]).to.deep.equal({ type: 'say', payload: 1 });
      expect(call?.[2].id).to.equal(a.id);
    });

    it('never echoes to the sender through a predicate that accepts everyone, unless echo is set', async () => {
      const { server, url } = await startServer();
      const [a, b] = [await peer(url), await peer(url)];
      const stop = server.relay('say', { to: () => true });
      a.client.emit('say', 1);
      await flush();
      expect(a.inbox).to.deep.equal([]);
      expect(b.inbox).to.have.length(1);
      stop();
      server.relay('say', { to: () => true, echo: true });
      a.client.emit('say', 2);
      await flush();
      expect(a.inbox).to.deep.equal([{ type: 'say', payload: 2, from: a.id }]);
    });

    it("'*' relays every type that has no rule of its own", async () => {
      const { server, url } = await startServer();
      const [a, b, c] = [await peer(url), await peer(url), await peer(url)];
      server.subscribe(b.id, 'red');
      server.relay('*');
      server.relay('private', { to: { topic: 'red' } });
      a.client.emit('one', 1);
      a.client.emit('two', 2);
      a.client.emit('private', 3);
      await flush();
      expect(c.inbox.map((m) => [m.type, m.from])).to.deep.equal([
        ['one', a.id],
        ['two', a.id],
      ]);
      expect(b.inbox.map((m) => m.type)).to.deep.equal(['one', 'two', 'private']);
      expect(a.inbox).to.deep.equal([]);
    });

    it('returns a function that removes the rule', async () => {
      const { server, url } = await startServer();
      const [a, b] = [await peer(url), await peer(url)];
      const stop = server.relay('say');
      a.client.emit('say', 1);
      await flush();
      stop();
      stop();
      a.client.emit('say', 2);
      await flush();
      expect(b.inbox.map((m) => m.payload)).to.deep.equal([1]);
    });

    it('keeps one rule per type: a new one replaces the old, whose remover no longer touches it', async () => {
      const { server, url } = await startServer();
      const [a, b, c] = [await peer(url), await peer(url), await peer(url)];
      server.subscribe(b.id, 'red');
      const stopOld = server.relay('say');
      server.relay('say', { to: { topic: 'red' } });
      a.client.emit('say', 1);
      await flush();
      expect(b.inbox).to.have.length(1);
      expect(c.inbox).to.deep.equal([]);
      stopOld();
      a.client.emit('say', 2);
      await flush();
      expect(b.inbox.map((m) => m.payload)).to.deep.equal([1, 2]);
    });

    it('relays without any listener registered', async () => {
      const { server, url } = await startServer();
      const [a, b] = [await peer(url), await peer(url)];
      server.relay('say');
      expect(server.getEventNames()).to.deep.equal([]);
      a.client.emit('say', 1);
      await flush();
      expect(b.inbox).to.have.length(1);
    });

    it('reports a relay whose encoding fails, without throwing, and keeps serving the sender', async () => {
      const json = new JsonCodec();
      const bug = new Error('cannot encode');
      const codec: Codec = {
        name: 'no-relay-json',
        encode: (value) => {
          if ((value as { from?: unknown }).from !== undefined) throw bug;
          return json.encode(value);
        },
        decode: (frame) => json.decode(frame),
      };
      const { server, url } = await startServer({ codec });
      const errors = collectErrors(server);
      const listener = sinon.spy();
      const onMessage = sinon.spy();
      server.onEvent('say', listener);
      server.onMessage(onMessage);
      const [a, b] = [await peer(url), await peer(url)];
      server.relay('say');
      a.client.emit('say', 1);
      await flush();
      expect(errors).to.have.length(1);
      expect(errors[0].id).to.equal(a.id);
      expectCode(errors[0].error, 'SERVER_ERROR');
      expect(errors[0].error.cause).to.equal(bug);
      expect(listener.callCount).to.equal(1);
      expect(onMessage.callCount, 'delivery goes on after the failed relay').to.equal(1);
      expect(b.inbox).to.deep.equal([]);
      expect(a.client.isConnected).to.equal(true);
      expect(server.sendToClient(b.id, { type: 'still', payload: 'up' })).to.equal(true);
      await flush();
      expect(b.inbox).to.deep.equal([{ type: 'still', payload: 'up' }]);
    });

    it('reports a predicate that throws', async () => {
      const { server, url } = await startServer();
      const errors = collectErrors(server);
      const [a, b] = [await peer(url), await peer(url)];
      const bug = new Error('predicate bug');
      server.relay('say', {
        to: () => {
          throw bug;
        },
      });
      a.client.emit('say', 1);
      await flush();
      expect(errors.map((e) => e.error.code)).to.deep.equal(['SERVER_ERROR']);
      expect(errors[0].error.cause).to.equal(bug);
      expect(b.inbox).to.deep.equal([]);
    });

    it('throws TypeError for an invalid type or destination', async () => {
      const { server } = await startServer();
      expect(() => server.relay('')).to.throw(TypeError);
      expect(() => server.relay('x'.repeat(257))).to.throw(TypeError);
      expect(() => server.relay('x', { to: 'some' as never })).to.throw(TypeError);
      expect(() => server.relay('x', { to: 42 as never })).to.throw(TypeError);
    });
  });
});

describe('SocketClient', () => {
  afterEach(cleanUp);

  /** A server with a connected client, and the server-side id of that client. */
  async function setup(
    options: Parameters<typeof connectClient>[1] = {},
  ): Promise<{ send: (type: string, payload: unknown) => void; client: SocketClient }> {
    const { server, url } = await startServer();
    const client = await connectClient(url, options);
    const id = client.id ?? '';
    return { send: (type, payload) => server.sendToClient(id, { type, payload }), client };
  }

  describe('#events', () => {
    it('on(type, fn) calls fn with (payload, message) for each message of the type; addListener is the same', async () => {
      const { send, client } = await setup();
      const on = sinon.spy();
      const added = sinon.spy();
      expect(client.events.on('x', on)).to.equal(client.events);
      expect(client.events.addListener('x', added)).to.equal(client.events);
      send('x', { n: 1 });
      send('y', 2);
      await flush();
      expect(on.args).to.deep.equal([[{ n: 1 }, { type: 'x', payload: { n: 1 } }]]);
      expect(added.args).to.deep.equal(on.args);
    });

    it('once(type, fn) calls fn for the next message of the type only', async () => {
      const { send, client } = await setup();
      const fn = sinon.spy();
      client.events.once('x', fn);
      send('x', 1);
      send('x', 2);
      await flush();
      expect(fn.args.map((a) => a[0] as unknown)).to.deep.equal([1]);
      expect(client.events.listenerCount('x')).to.equal(0);
    });

    it('off(type, fn) and removeListener(type, fn) remove that listener only', async () => {
      const { send, client } = await setup();
      const a = sinon.spy();
      const b = sinon.spy();
      const c = sinon.spy();
      client.events.on('x', a).on('x', b).on('x', c);
      expect(client.events.off('x', a)).to.equal(client.events);
      expect(client.events.removeListener('x', b)).to.equal(client.events);
      send('x', 1);
      await flush();
      expect(a.called).to.equal(false);
      expect(b.called).to.equal(false);
      expect(c.callCount).to.equal(1);
    });

    it('off(type) removes every listener of the type', async () => {
      const { send, client } = await setup();
      const a = sinon.spy();
      const y = sinon.spy();
      client.events.on('x', a).on('x', a).on('y', y);
      client.events.off('x');
      send('x', 1);
      send('y', 1);
      await flush();
      expect(a.called).to.equal(false);
      expect(y.callCount).to.equal(1);
    });

    it('prependListener and prependOnceListener put a listener before the others', async () => {
      const { send, client } = await setup();
      const calls: string[] = [];
      client.events.on('x', () => calls.push('on'));
      expect(client.events.prependListener('x', () => calls.push('prepended'))).to.equal(
        client.events,
      );
      expect(client.events.prependOnceListener('x', () => calls.push('prepended once'))).to.equal(
        client.events,
      );
      send('x', 1);
      send('x', 2);
      await flush();
      expect(calls).to.deep.equal(['prepended once', 'prepended', 'on', 'prepended', 'on']);
    });

    it('prependOnceListener of a function also registered with on() leaves the on() registration', async () => {
      // Regression: see EventListeners — firing the once registration removed the other one.
      const { send, client } = await setup();
      const fn = sinon.spy();
      client.events.on('x', fn).prependOnceListener('x', fn);
      send('x', 1);
      send('x', 2);
      send('x', 3);
      await flush();
      expect(fn.args.map((a) => a[0] as unknown)).to.deep.equal([1, 1, 2, 3]);
      expect(client.events.listenerCount('x')).to.equal(1);
    });

    it('removeAllListeners(type) clears one type; removeAllListeners() clears all, catch-alls included', async () => {
      const { send, client } = await setup();
      const x = sinon.spy();
      const y = sinon.spy();
      const any = sinon.spy();
      client.events.on('x', x).on('y', y).onAny(any);
      expect(client.events.removeAllListeners('x')).to.equal(client.events);
      send('x', 1);
      send('y', 1);
      await flush();
      expect(x.called).to.equal(false);
      expect(y.callCount).to.equal(1);
      expect(any.callCount).to.equal(2);
      client.events.removeAllListeners();
      expect(client.events.eventNames()).to.deep.equal([]);
      send('y', 2);
      await flush();
      expect(y.callCount).to.equal(1);
      expect(any.callCount).to.equal(2);
    });

    it('listenerCount, listeners and eventNames describe what is registered', async () => {
      const { client } = await setup();
      const a = (): void => undefined;
      const b = (): void => undefined;
      client.events
        .on('x', a)
        .prependListener('x', b)
        .once('y', a)
        .onAny(() => undefined);
      expect(client.events.listenerCount('x')).to.equal(2);
      expect(client.events.listenerCount('z')).to.equal(0);
      expect(client.events.listeners('x')).to.deep.equal([b, a]);
      expect(client.events.eventNames()).to.have.members(['x', 'y']);
    });

    it('onAny calls a catch-all with (type, payload, message) after the per-type listeners; prependAny goes first', async () => {
      const { send, client } = await setup();
      const calls: unknown[] = [];
      client.events.onAny((type, payload, message) => calls.push(['any', type, payload, message]));
      client.events.prependAny((type) => calls.push(['prepended any', type]));
      client.events.on('x', () => calls.push(['on']));
      send('x', 1);
      await flush();
      expect(calls).to.deep.equal([
        ['on'],
        ['prepended any', 'x'],
        ['any', 'x', 1, { type: 'x', payload: 1 }],
      ]);
    });

    it('offAny(fn) removes that catch-all; offAny() removes all of them', async () => {
      const { send, client } = await setup();
      const a = sinon.spy();
      const b = sinon.spy();
      client.events.onAny(a).onAny(b);
      expect(client.events.offAny(a)).to.equal(client.events);
      send('x', 1);
      await flush();
      expect(a.called).to.equal(false);
      expect(b.callCount).to.equal(1);
      client.events.offAny();
      send('x', 2);
      await flush();
      expect(b.callCount).to.equal(1);
    });

    it('setMaxListeners sets what getMaxListeners reads (10 by default); past it the logger warns once', async () => {
      const logger = { debug: sinon.spy(), warn: sinon.spy(), error: sinon.spy() };
      const { client } = await setup({ logger });
      expect(client.events.getMaxListeners()).to.equal(10);
      expect(client.events.setMaxListeners(1)).to.equal(client.events);
      expect(client.events.getMaxListeners()).to.equal(1);
      client.events.on('x', () => undefined);
      expect(logger.warn.called).to.equal(false);
      client.events.on('x', () => undefined);
      client.events.on('x', () => undefined);
      expect(logger.warn.callCount).to.equal(1);
      expect(() => client.events.setMaxListeners(-1)).to.throw(RangeError);
    });

    it('reports a listener that throws as SERVER_ERROR with the cause, and still calls the others', async () => {
      const { send, client } = await setup();
      const errors: PlugSocketError[] = [];
      client.onError((error) => errors.push(error));
      const bug = new Error('listener bug');
      const later = sinon.spy();
      const any = sinon.spy();
      const onMessage = sinon.spy();
      client.events.on('x', () => {
        throw bug;
      });
      client.events.on('x', later).onAny(any);
      client.onMessage(onMessage);
      send('x', 1);
      await flush();
      expect(later.callCount).to.equal(1);
      expect(any.callCount).to.equal(1);
      expect(onMessage.callCount).to.equal(1);
      expect(errors).to.have.length(1);
      expectCode(errors[0], 'SERVER_ERROR');
      expect(errors[0].cause).to.equal(bug);
    });

    it('keeps listeners registered before connect() and across reconnects', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      const fn = sinon.spy();
      client.events.on('x', fn);
      await client.connect();
      server.sendToClient(client.id ?? '', { type: 'x', payload: 1 });
      await flush();
      await client.disconnect();
      await client.connect();
      server.sendToClient(client.id ?? '', { type: 'x', payload: 2 });
      await flush();
      expect(fn.args.map((a) => a[0] as unknown)).to.deep.equal([1, 2]);
    });
  });

  describe('#subscribe()', () => {
    // Regression: calling the returned function twice removed another registration of the handler.
    it('returns a function that removes its own registration once, however often it is called', async () => {
      const { send, client } = await setup();
      const handler = sinon.spy();
      const first = client.subscribe('x', handler);
      client.subscribe('x', handler);
      first();
      first();
      expect(client.events.listenerCount('x')).to.equal(1);
      send('x', 1);
      await flush();
      expect(handler.callCount).to.equal(1);
    });

    it('calls the handler with (payload, message) and returns a function that removes it only', async () => {
      const { send, client } = await setup();
      const handler = sinon.spy();
      const other = sinon.spy();
      const unsubscribe = client.subscribe('x', handler);
      client.subscribe('x', other);
      expect(client.events.listenerCount('x')).to.equal(2);
      send('x', 1);
      await flush();
      unsubscribe();
      send('x', 2);
      await flush();
      expect(handler.args).to.deep.equal([[1, { type: 'x', payload: 1 }]]);
      expect(other.callCount).to.equal(2);
      expect(client.events.listenerCount('x')).to.equal(1);
    });
  });

  describe('#on$()', () => {
    it('emits the payloads of messages of its type', async () => {
      const { send, client } = await setup();
      const seen: unknown[] = [];
      client.on$('x').subscribe((payload) => seen.push(payload));
      send('x', { n: 1 });
      send('y', 'no');
      send('x', 2);
      await flush();
      expect(seen).to.deep.equal([{ n: 1 }, 2]);
    });

    it('adds a listener per subscription, and unsubscribing removes it', async () => {
      const { send, client } = await setup();
      const next = sinon.spy();
      const stream = client.on$('x');
      expect(client.events.listenerCount('x'), 'cold until subscribed').to.equal(0);
      const first = stream.subscribe(next);
      const second = stream.pipe(map((v) => v)).subscribe(() => undefined);
      expect(client.events.listenerCount('x')).to.equal(2);
      first.unsubscribe();
      expect(client.events.listenerCount('x')).to.equal(1);
      second.unsubscribe();
      expect(client.events.listenerCount('x')).to.equal(0);
      send('x', 1);
      await flush();
      expect(next.called).to.equal(false);
    });

    it('completes after disconnect() and leaves no listener behind', async () => {
      const { client } = await setup();
      const complete = sinon.spy();
      client.on$('x').subscribe({ complete });
      await client.disconnect();
      expect(complete.callCount).to.equal(1);
      expect(client.events.listenerCount('x')).to.equal(0);
    });

    it('subscribed after disconnect() completes at once, leaving no listener', async () => {
      const { client } = await setup();
      await client.disconnect();
      const complete = sinon.spy();
      client.on$('x').subscribe({ complete });
      expect(complete.callCount).to.equal(1);
      expect(client.events.listenerCount('x')).to.equal(0);
    });

    it('does not complete when the server closes the connection', async () => {
      const { server, url } = await startServer();
      const client = await connectClient(url);
      const complete = sinon.spy();
      const seen: unknown[] = [];
      client.on$('x').subscribe({ next: (v) => seen.push(v), complete });
      await server.disconnect(client.id ?? '');
      await flush();
      expect(complete.called).to.equal(false);
      await client.connect();
      server.sendToClient(client.id ?? '', { type: 'x', payload: 'after reconnect' });
      await flush();
      expect(seen).to.deep.equal(['after reconnect']);
    });
  });
});

describe('An rxjs observer that throws never takes the process down', () => {
  // rxjs reports an observer's throw, or an error nobody handles, by rethrowing it from a
  // setTimeout: an uncaught exception. These specs use real timers and wait for that turn.
  let uncaught: sinon.SinonSpy<[Error], void>;

  beforeEach(() => {
    uncaught = sinon.spy((_error: Error) => undefined);
    process.on('uncaughtException', uncaught);
  });

  afterEach(async () => {
    process.off('uncaughtException', uncaught);
    await cleanUp();
  });

  /** Throws a distinct error and remembers it. */
  function thrower(thrown: Error[]): () => never {
    return () => {
      const error = new Error(`observer bug ${thrown.length}`);
      thrown.push(error);
      throw error;
    };
  }

  it('server.message$: observers and piped observers that throw, and operators that throw unhandled, go to onError', async () => {
    const { server, url } = await startServer();
    const errors = collectErrors(server);
    const thrown: Error[] = [];
    const healthy = sinon.spy();
    server.message$.subscribe(thrower(thrown));
    server.message$.subscribe({ next: thrower(thrown) });
    server.message$.pipe(map((e) => e.message.type)).subscribe(thrower(thrown));
    server.message$.pipe(map(thrower(thrown))).subscribe();
    server.message$.pipe(map(thrower(thrown))).subscribe({ next: () => undefined });
    server.message$.subscribe(healthy);
    const client = await connectClient(url);
    client.emit('x', 1);
    await flush();
    await timerTurn();
    expect(uncaught.called, 'no uncaught exception').to.equal(false);
    expect(thrown).to.have.length(5);
    expect(errors.map((e) => e.error.code)).to.deep.equal(Array(5).fill('SERVER_ERROR'));
    expect(errors.map((e) => e.error.cause)).to.deep.equal(thrown);
    expect(healthy.callCount).to.equal(1);
    expect(client.isConnected).to.equal(true);
  });

  it('server.connection$ and disconnection$: throwing observers go to onError and the client is still admitted', async () => {
    const { server, url } = await startServer();
    const errors = collectErrors(server);
    const thrown: Error[] = [];
    server.connection$.subscribe(thrower(thrown));
    server.connection$.pipe(map(thrower(thrown))).subscribe();
    server.disconnection$.pipe(map((e) => e.code)).subscribe(thrower(thrown));
    const client = await connectClient(url);
    expect(server.clientCount).to.equal(1);
    await client.disconnect();
    await flush();
    await timerTurn();
    expect(uncaught.called).to.equal(false);
    expect(thrown).to.have.length(3);
    expect(errors.map((e) => e.error.code)).to.deep.equal(Array(3).fill('SERVER_ERROR'));
    expect(errors.map((e) => e.error.cause)).to.deep.equal(thrown);
  });

  it('client.message$, state$ and on$: throwing observers and operators go to client.onError', async () => {
    const { server, url } = await startServer();
    const client = await connectClient(url);
    const errors: PlugSocketError[] = [];
    client.onError((error) => errors.push(error));
    const thrown: Error[] = [];
    // state$ replays the current state at once: these throw on subscribing.
    client.state$.subscribe(thrower(thrown));
    client.state$.pipe(map(thrower(thrown))).subscribe();
    client.message$.subscribe(thrower(thrown));
    client.message$.pipe(map((m) => m.type)).subscribe(thrower(thrown));
    client.message$.pipe(map(thrower(thrown))).subscribe({ next: () => undefined });
    client.on$('x').subscribe(thrower(thrown));
    client
      .on$('x')
      .pipe(map(thrower(thrown)))
      .subscribe();
    const healthy = sinon.spy();
    client.on$('x').subscribe(healthy);
    server.sendToClient(client.id ?? '', { type: 'x', payload: 1 });
    await flush();
    await timerTurn();
    expect(uncaught.called, 'no uncaught exception').to.equal(false);
    expect(thrown).to.have.length(7);
    expect(errors.map((e) => e.code)).to.deep.equal(Array(7).fill('SERVER_ERROR'));
    expect(errors.map((e) => e.cause)).to.have.members(thrown);
    expect(healthy.callCount).to.equal(1);
    expect(client.isConnected).to.equal(true);
  });

  it('an error handler that throws goes to onError too', async () => {
    const { server, url } = await startServer();
    const errors = collectErrors(server);
    const handlerBug = new Error('error handler bug');
    server.message$
      .pipe(
        map(() => {
          throw new Error('operator bug');
        }),
      )
      .subscribe({
        error: () => {
          throw handlerBug;
        },
      });
    const client = await connectClient(url);
    client.emit('x', 1);
    await flush();
    await timerTurn();
    expect(uncaught.called).to.equal(false);
    expect(errors.map((e) => e.error.cause)).to.deep.equal([handlerBug]);
  });
});
