// The server asking clients of other nodes: server.request(id) (result, the client's error with
// its code, TIMEOUT, abort reaching the target, the target leaving, an unknown id) and
// server.to(topic).request() gathering the answers of clients on every node.
import { expect } from 'chai';
import { PlugSocketError, type ClientHandlerContext, type SocketClient } from '../../src/index.js';
import { expectCode, rejectionOf } from '../unit/support.js';
import {
  cleanUpNodes,
  connectTo,
  idOf,
  settle,
  sleep,
  sorted,
  startNodes,
  until,
} from './support.js';

/** A promise that never settles. */
function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

/** Marks a promise handled now (it may reject before the test awaits it). */
function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

describe('cluster: server requests to clients on other nodes', () => {
  afterEach(cleanUpNodes);

  describe('server.request(id)', () => {
    it('resolves with the answer of a client on another node, which sees the payload and the name', async () => {
      const { a, b } = await startNodes();
      const client = await connectTo(b);
      const seen: [unknown, ClientHandlerContext][] = [];
      client.handle('sum', (payload, ctx) => {
        seen.push([payload, ctx]);
        const { x, y } = payload as { x: number; y: number };
        return { sum: x + y, nested: [1, 'two', null] };
      });
      const answer = await a.server.request(idOf(client), 'sum', { x: 2, y: 3 });
      expect(answer).to.deep.equal({ sum: 5, nested: [1, 'two', null] });
      expect(seen).to.have.length(1);
      expect(seen[0][0]).to.deep.equal({ x: 2, y: 3 });
      expect(seen[0][1].name).to.equal('sum');
      expect(seen[0][1].from, 'asked by the server').to.equal(undefined);
    });

    it('resolves with an async answer, and with undefined for a handler that returns nothing', async () => {
      const { a, c } = await startNodes();
      const client = await connectTo(c);
      client.handle('later', async (payload) => {
        await sleep(5);
        return `done ${String(payload)}`;
      });
      client.handle('nothing', () => undefined);
      expect(await a.server.request(idOf(client), 'later', 7)).to.equal('done 7');
      expect(await a.server.request(idOf(client), 'nothing', null)).to.equal(undefined);
    });

    it("rejects with the client's error: its code and message", async () => {
      const { a, b } = await startNodes();
      const client = await connectTo(b);
      client.handle('risky', () => {
        throw new PlugSocketError('LIMIT_EXCEEDED', 'too many widgets');
      });
      const error = await rejectionOf(a.server.request(idOf(client), 'risky', 1));
      expectCode(error, 'LIMIT_EXCEEDED');
      expect(error.message).to.equal('too many widgets');
    });

    it('rejects HANDLER_NOT_FOUND when the client on the other node has no such handler', async () => {
      const { a, b } = await startNodes();
      const client = await connectTo(b);
      expectCode(await rejectionOf(a.server.request(idOf(client), 'nope', 1)), 'HANDLER_NOT_FOUND');
    });

    it("rejects TIMEOUT after the request's timeout, and the target's handler is told to stop", async () => {
      const { a, b } = await startNodes();
      const client = await connectTo(b);
      let signal: AbortSignal | undefined;
      client.handle('slow', (_payload, ctx) => {
        signal = ctx.signal;
        return never();
      });
      const started = Date.now();
      const error = await rejectionOf(
        a.server.request(idOf(client), 'slow', null, { timeout: 60 }),
      );
      const took = Date.now() - started;
      expectCode(error, 'TIMEOUT');
      expect(took).to.be.within(50, 600);
      await until(() => signal?.aborted === true, "the target handler's signal aborts");
    });

    it("the server's requestTimeout applies to a client on another node", async () => {
      const { a, b } = await startNodes({ requestTimeout: 60 });
      const client = await connectTo(b);
      client.handle('slow', () => never());
      const started = Date.now();
      expectCode(await rejectionOf(a.server.request(idOf(client), 'slow', null)), 'TIMEOUT');
      expect(Date.now() - started).to.be.within(50, 600);
    });

    it("an AbortSignal rejects ABORTED and aborts the target's handler on the other node", async () => {
      const { a, b } = await startNodes();
      const client = await connectTo(b);
      let signal: AbortSignal | undefined;
      client.handle('slow', (_payload, ctx) => {
        signal = ctx.signal;
        return never();
      });
      const controller = new AbortController();
      const pending = handled(
        a.server.request(idOf(client), 'slow', null, { signal: controller.signal }),
      );
      await until(() => signal !== undefined, 'the handler runs on b');
      expect(signal!.aborted).to.equal(false);
      controller.abort();
      expectCode(await rejectionOf(pending), 'ABORTED');
      await until(() => signal!.aborted, "the target handler's signal aborts");
    });

    it('an already aborted signal rejects ABORTED without asking the client', async () => {
      const { a, b } = await startNodes();
      const client = await connectTo(b);
      let calls = 0;
      client.handle('h', () => ++calls);
      const error = await rejectionOf(
        a.server.request(idOf(client), 'h', null, { signal: AbortSignal.abort() }),
      );
      expectCode(error, 'ABORTED');
      await settle();
      expect(calls).to.equal(0);
    });

    it('rejects NOT_CONNECTED when the target disconnects before answering', async () => {
      const { a, b } = await startNodes();
      const client = await connectTo(b);
      let running = false;
      client.handle('slow', () => {
        running = true;
        return never();
      });
      const pending = handled(a.server.request(idOf(client), 'slow', null, { timeout: 5000 }));
      await until(() => running, 'the handler runs on b');
      await client.disconnect();
      const started = Date.now();
      expectCode(await rejectionOf(pending), 'NOT_CONNECTED');
      expect(Date.now() - started, 'at once, not at the timeout').to.be.below(1000);
    });

    it('rejects NOT_CONNECTED for an id no node holds', async () => {
      const { a, b } = await startNodes();
      await connectTo(b);
      expectCode(await rejectionOf(a.server.request('nobody-here', 'x', 1)), 'NOT_CONNECTED');
    });

    it('reaches the right client when several on several nodes handle the same name', async () => {
      const { a, b, c } = await startNodes();
      const clients: SocketClient[] = [];
      for (const node of [a, b, c, b, c]) {
        const client = await connectTo(node);
        const n = clients.length;
        client.handle('who', () => n);
        clients.push(client);
      }
      const answers = await Promise.all(clients.map((cl) => a.server.request(idOf(cl), 'who', 0)));
      expect(answers).to.deep.equal([0, 1, 2, 3, 4]);
    });
  });

  describe('server.to(topic).request()', () => {
    it('gathers results, errors by client id and timed-out ids from clients on all three nodes', async () => {
      const { a, b, c } = await startNodes();
      const onA = await connectTo(a, { topics: ['vote'] });
      const onB = await connectTo(b, { topics: ['vote'] });
      const onC = await connectTo(c, { topics: ['vote'] });
      const failsB = await connectTo(b, { topics: ['vote'] });
      const silentC = await connectTo(c, { topics: ['vote'] });
      const outsider = await connectTo(b, { topics: ['other'] });
      onA.handle('poll', (q) => ({ node: 'a', q }));
      onB.handle('poll', (q) => ({ node: 'b', q }));
      onC.handle('poll', async (q) => {
        await sleep(5);
        return { node: 'c', q };
      });
      failsB.handle('poll', () => {
        throw new PlugSocketError('UNAUTHORIZED', 'not allowed to vote');
      });
      silentC.handle('poll', () => never());
      let outsiderAsked = 0;
      outsider.handle('poll', () => ++outsiderAsked);

      const started = Date.now();
      const { results, errors, timedOut } = await a.server
        .to('vote')
        .timeout(120)
        .request('poll', 'lunch?');
      expect(Date.now() - started).to.be.within(100, 1000);
      expect(Object.fromEntries(results)).to.deep.equal({
        [idOf(onA)]: { node: 'a', q: 'lunch?' },
        [idOf(onB)]: { node: 'b', q: 'lunch?' },
        [idOf(onC)]: { node: 'c', q: 'lunch?' },
      });
      expect([...errors.keys()]).to.deep.equal([idOf(failsB)]);
      const error = errors.get(idOf(failsB));
      expectCode(error, 'UNAUTHORIZED');
      expect(error.message).to.equal('not allowed to vote');
      expect(timedOut).to.deep.equal([idOf(silentC)]);
      expect(outsiderAsked).to.equal(0);
    });

    it('except() leaves out a client of another node; to() of several topics asks a member of both once', async () => {
      const { a, b, c } = await startNodes();
      const both = await connectTo(b, { topics: ['t1', 't2'] });
      const excepted = await connectTo(c, { topics: ['t1'] });
      const other = await connectTo(c, { topics: ['t2'] });
      const calls: string[] = [];
      for (const client of [both, excepted, other])
        client.handle('ping', () => {
          calls.push(idOf(client));
          return 'pong';
        });
      const { results, errors, timedOut } = await a.server
        .to(['t1', 't2'])
        .except(idOf(excepted))
        .timeout(500)
        .request('ping', null);
      expect(sorted(results.keys())).to.deep.equal(sorted([idOf(both), idOf(other)]));
      expect([...results.values()]).to.deep.equal(['pong', 'pong']);
      expect(errors.size).to.equal(0);
      expect(timedOut).to.deep.equal([]);
      expect(sorted(calls)).to.deep.equal(sorted([idOf(both), idOf(other)]));
    });

    it('a namespace prefixes the name asked on every node', async () => {
      const { a, b } = await startNodes();
      const client = await connectTo(b, { topics: ['room'] });
      client.handle('chat/ready', () => true);
      const { results } = await a.server.ns('/chat').to('room').timeout(500).request('ready', 0);
      expect(Object.fromEntries(results)).to.deep.equal({ [idOf(client)]: true });
    });

    it('resolves with empty maps when no node has a member', async () => {
      const { a, b } = await startNodes();
      await connectTo(b, { topics: ['elsewhere'] });
      const replies = await a.server.to('empty').timeout(500).request('x', 1);
      expect(replies.results.size).to.equal(0);
      expect(replies.errors.size).to.equal(0);
      expect(replies.timedOut).to.deep.equal([]);
    });
  });
});
