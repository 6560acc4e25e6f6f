// The layer contract's basic tests of a connection's life (L-CORE-08..14): a disconnect from either
// side, a bad frame, authentication and authorization, shutdown, and a reconnect.
import { expect } from '../assert.js';
import { type CloseInfo } from '../../src/index.js';
import { delay, rejectionOf, waitFor, withTimeout } from '../helpers.js';
import type { LayerHarness } from './layer-harness.js';
import { expectCode, received } from './layer-helpers.js';

/** Registers L-CORE-08..14 at the top of the layer contract. */
export function describeCoreLifecycleTests(h: LayerHarness): void {
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
        () => gone.length >= 1,
        h.wait,
        'server onDisconnection after the client’s disconnect(4000, "bye")',
      );
      expect(gone, 'calls of onDisconnection for one disconnect').to.have.length(1);
      expect(gone[0], 'what onDisconnection got, as [client id, { code, reason }]').to.deep.equal([
        id,
        { code: 4000, reason: 'bye' },
      ]);
      expect(server.getClient(id), 'server.getClient(id) of the client that disconnected').to.equal(
        undefined,
      );
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
        () => closes.length >= 1,
        h.wait,
        'the client onClose after server.disconnect(id, 4001, "kicked")',
      );
      expect(closes, 'calls of the client onClose for one server.disconnect()').to.have.length(1);
      expect(closes[0], 'the close info the client onClose got').to.deep.equal({
        code: 4001,
        reason: 'kicked',
      });
      expect(a.isConnected, 'client.isConnected after the server disconnected it').to.equal(false);
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
        () => badErrors.length >= 2,
        h.wait,
        'two error frames back at the client that sent two bad frames',
      );
      await delay(h.quiet);
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
        () => got.length >= 1,
        h.wait,
        'a broadcast after the bad input, at another client',
      );
      expect(got, 'payloads of one broadcast at another client (once each)').to.have.length(1);
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
        () => got.length >= 5,
        h.wait,
        'onMessage to get the five messages the member emitted right after admission',
      );
      await delay(h.quiet);
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
        () => closes.length >= 3,
        h.wait,
        'onClose at all three clients after server.shutdown()',
      );
      await delay(h.quiet);
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
        () => got.length >= 1,
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
}
