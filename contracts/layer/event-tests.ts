import { expect } from '../assert.js';
import type { SocketMessage } from '../../src/index.js';
import { rejectionOf, waitFor, withTimeout } from '../helpers.js';
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
        await waitFor(() => gb.length === 1 && gc.length === 1, h.wait, 'the relayed chat');
        const relayed: SocketMessage = {
          type: 'chat',
          payload,
          headers: { trace: 't' },
          from: a.id,
        };
        expect(gb[0]).to.deep.equal(relayed);
        expect(gc[0]).to.deep.equal(relayed);
        expect(seen).to.deep.equal([[payload, a.id]]);
        await flushed(server, a, h.wait);
        expect(ga, 'the sender’s own event').to.deep.equal([]);

        server.broadcast({ type: 'chat', payload: 'from the server' });
        await waitFor(() => gb.length === 2, h.wait, 'the server broadcast');
        expect(gb[1]).to.deep.equal({ type: 'chat', payload: 'from the server' });
        expect(gb[1]).to.not.have.property('from');

        stop();
        b.emit('chat', 'not relayed');
        await waitFor(() => seen.length === 2, h.wait, 'the server to get the event');
        await Promise.all([flushed(server, a, h.wait), flushed(server, c, h.wait)]);
        expect(ga.map((m) => m.payload)).to.deep.equal(['from the server']);
        expect(gc.map((m) => m.payload)).to.deep.equal([payload, 'from the server']);
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
        await waitFor(() => ga.length === 1 && gb.length === 1, h.wait, 'the relayed event');
        expect(ga[0]).to.deep.equal({ type: 'typing', payload: true, from: a.id });
        expect(gb[0]).to.deep.equal({ type: 'typing', payload: true, from: a.id });
        await flushed(server, c, h.wait);
        expect(gc, 'a client outside the topic').to.deep.equal([]);
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
        expect(answer).to.deep.equal({ name: 'chat/say', payload: 'ñ' });
        expect(await withTimeout(client.request('say', 1), h.wait, 'root request')).to.equal(
          'root',
        );
        expect(
          await withTimeout(client.request('chat/say', 2), h.wait, 'full-name request'),
        ).to.deep.equal({ name: 'chat/say', payload: 2 });
        expect(nsMiddleware).to.deep.equal(['chat/say', 'chat/say']);

        const down = await withTimeout(chat.request(client.id!, 'ask', '?'), h.wait, 'ns down');
        expect(down).to.equal('chat/ask:?');
        const root = await rejectionOf(server.request(client.id!, 'ask', 1), h.wait, 'root ask');
        expectCode(root, 'HANDLER_NOT_FOUND', 'the un-namespaced name on the client');

        cchat.emit('said', { x: 1 });
        await waitFor(() => heard.length === 1, h.wait, 'the namespaced event at the server');
        expect(heard).to.deep.equal([[{ x: 1 }, client.id]]);
        expect(nsMiddleware, 'namespace middleware also sees messages').to.deep.equal([
          'chat/say',
          'chat/say',
          'chat/said',
        ]);
        const news: unknown[] = [];
        cchat.on('news', (payload, message) => void news.push([payload, message.type]));
        chat.emit('news', 'n1');
        await waitFor(() => news.length === 1, h.wait, 'the namespaced event at the client');
        expect(news).to.deep.equal([['n1', 'chat/news']]);
      },
    );
  });
}
