import { expect } from '../assert.js';
import type { SocketMessage } from '../../src/index.js';
import { delay, rejectionOf, waitFor, withTimeout } from '../helpers.js';
import type { LayerHarness } from './layer-harness.js';
import { expectCode, flushed, inbox } from './layer-helpers.js';

/**
 * Registers the layer contract's tests of client events and namespaces: `onEvent`, `relay` with
 * `message.from`, and requests, middleware and events under `ns()` on both sides.
 */
export function describeEventTests(h: LayerHarness): void {
  h.group('events and namespaces', () => {
    h.test(
      {
        id: 'L-EVENT-01',
        level: 'MUST',
        title:
          'relay(type) forwards a client’s event to the other clients with message.from set to the sender, never back to it; onEvent sees the sender; messages from the server carry no from',
      },
      async () => {
        const { server, url } = await h.server();
        const [a, b, c] = await Promise.all([1, 2, 3].map(() => h.connected(url)));
        const seen: unknown[] = [];
        server.onEvent('chat', (payload, clientId) => void seen.push([payload, clientId]));
        const stop = server.relay('chat');
        const [ga, gb, gc] = [a, b, c].map((x) => inbox(x, 'chat'));
        const payload = { text: 'hi 👋 你好', at: [1, { x: null }] };
        a.emit('chat', payload, { trace: 't' });
        await waitFor(
          () => gb.length >= 1 && gc.length >= 1,
          h.wait,
          'the relayed "chat" at both other clients',
        );
        await delay(h.quiet);
        expect(gb, 'the relayed "chat" messages at the second client (once each)').to.have.length(
          1,
        );
        expect(gc, 'the relayed "chat" messages at the third client (once each)').to.have.length(1);
        const relayed: SocketMessage = {
          type: 'chat',
          payload,
          headers: { trace: 't' },
          from: a.id,
        };
        expect(gb[0], 'the relayed "chat" at the second client, with from = sender').to.deep.equal(
          relayed,
        );
        expect(gc[0], 'the relayed "chat" at the third client, with from = sender').to.deep.equal(
          relayed,
        );
        expect(seen, 'what server onEvent("chat") got, as [payload, sender id]').to.deep.equal([
          [payload, a.id],
        ]);
        await flushed(server, a, h.wait);
        expect(ga, 'the "chat" messages relayed back to their sender').to.deep.equal([]);

        server.broadcast({ type: 'chat', payload: 'from the server' });
        await waitFor(() => gb.length >= 2, h.wait, 'the server’s "chat" broadcast at b');
        expect(gb, '"chat" messages at the second client (once each)').to.have.length(2);
        expect(gb[1], 'the server’s "chat" broadcast as a client receives it').to.deep.equal({
          type: 'chat',
          payload: 'from the server',
        });
        expect(gb[1], 'a message from the server (it carries no from)').to.not.have.property(
          'from',
        );

        stop();
        b.emit('chat', 'not relayed');
        await waitFor(
          () => seen.length >= 2,
          h.wait,
          'server onEvent to get the "chat" emitted after the relay stopped',
        );
        await Promise.all([flushed(server, a, h.wait), flushed(server, c, h.wait)]);
        expect(seen, 'calls of server onEvent("chat") for two emits (once each)').to.have.length(2);
        expect(
          ga.map((m) => m.payload),
          '"chat" payloads at the first client (nothing relayed after stop())',
        ).to.deep.equal(['from the server']);
        expect(
          gc.map((m) => m.payload),
          '"chat" payloads at the third client (nothing relayed after stop())',
        ).to.deep.equal([payload, 'from the server']);
      },
    );

    h.test(
      {
        id: 'L-EVENT-02',
        level: 'MUST',
        title:
          'relay(type, { to: { topic }, echo: true }) forwards only to the topic’s subscribers, the sender included',
      },
      async () => {
        const { server, url } = await h.server();
        const [a, b, c] = await Promise.all([1, 2, 3].map(() => h.connected(url)));
        await Promise.all([a.join('room'), b.join('room')]);
        server.relay('typing', { to: { topic: 'room' }, echo: true });
        const [ga, gb, gc] = [a, b, c].map((x) => inbox(x, 'typing'));
        a.emit('typing', true);
        await waitFor(
          () => ga.length >= 1 && gb.length >= 1,
          h.wait,
          'the relayed "typing" at both subscribers of "room", the sender included',
        );
        await delay(h.quiet);
        expect(ga, 'the "typing" messages echoed back to the sender (once each)').to.have.length(1);
        expect(
          gb,
          'the relayed "typing" messages at the other subscriber (once each)',
        ).to.have.length(1);
        expect(
          ga[0],
          'the "typing" echoed back to its sender (echo: true), with from = sender',
        ).to.deep.equal({ type: 'typing', payload: true, from: a.id });
        expect(
          gb[0],
          'the relayed "typing" at the other subscriber, with from = sender',
        ).to.deep.equal({ type: 'typing', payload: true, from: a.id });
        await flushed(server, c, h.wait);
        expect(gc, '"typing" messages at a client outside the topic').to.deep.equal([]);
      },
    );

    h.test(
      {
        id: 'L-EVENT-03',
        level: 'MUST',
        title:
          'namespaces: client.ns(p).request reaches server.ns(p).handle with the full name, namespace middleware runs only for its names, server.ns(p).request reaches client.ns(p).handle, and namespaced events go both ways',
      },
      async () => {
        const { server, url } = await h.server();
        const chat = server.ns('/chat');
        const nsMiddleware: string[] = [];
        chat.use((ctx, next) => {
          nsMiddleware.push(ctx.name);
          return next();
        });
        chat.handle('say', (payload, ctx) => ({ name: ctx.name, payload }));
        server.handle('say', () => 'root');
        const heard: unknown[] = [];
        chat.onEvent('said', (payload, clientId) => void heard.push([payload, clientId]));
        const client = await h.connected(url);
        const cchat = client.ns('/chat');
        cchat.handle('ask', (payload, ctx) => `${ctx.name}:${String(payload)}`);

        const answer = await withTimeout(cchat.request('say', 'ñ'), h.wait, 'ns request');
        expect(
          answer,
          'what client.ns("/chat").request("say") resolved with (ctx.name is the full name)',
        ).to.deep.equal({ name: 'chat/say', payload: 'ñ' });
        expect(
          await withTimeout(client.request('say', 1), h.wait, 'root request'),
          'what the un-namespaced client.request("say") resolved with (the root handler)',
        ).to.equal('root');
        expect(
          await withTimeout(client.request('chat/say', 2), h.wait, 'full-name request'),
          'what client.request("chat/say") resolved with (the namespaced handler)',
        ).to.deep.equal({ name: 'chat/say', payload: 2 });
        expect(
          nsMiddleware,
          'names the "/chat" middleware saw (the two namespaced requests, not the root one)',
        ).to.deep.equal(['chat/say', 'chat/say']);

        const down = await withTimeout(chat.request(client.id!, 'ask', '?'), h.wait, 'ns down');
        expect(
          down,
          'what server.ns("/chat").request(client, "ask") resolved with (from client.ns("/chat"))',
        ).to.equal('chat/ask:?');
        const root = await rejectionOf(server.request(client.id!, 'ask', 1), h.wait, 'root ask');
        expectCode(
          root,
          'HANDLER_NOT_FOUND',
          'server.request(client, "ask"), a name the client handles only under "/chat"',
        );

        cchat.emit('said', { x: 1 });
        await waitFor(
          () => heard.length >= 1,
          h.wait,
          'the namespaced "said" event at server.ns("/chat").onEvent',
        );
        await delay(h.quiet);
        expect(
          heard,
          'what server.ns("/chat").onEvent("said") got, as [payload, client id]',
        ).to.deep.equal([[{ x: 1 }, client.id]]);
        expect(
          nsMiddleware,
          'names the "/chat" middleware saw, its messages included (the "said" event last)',
        ).to.deep.equal(['chat/say', 'chat/say', 'chat/said']);
        const news: unknown[] = [];
        cchat.on('news', (payload, message) => void news.push([payload, message.type]));
        chat.emit('news', 'n1');
        await waitFor(
          () => news.length >= 1,
          h.wait,
          'the namespaced "news" event at client.ns("/chat").on',
        );
        await delay(h.quiet);
        expect(
          news,
          'what client.ns("/chat").on("news") got, as [payload, message.type]',
        ).to.deep.equal([['n1', 'chat/news']]);
      },
    );
  });
}
