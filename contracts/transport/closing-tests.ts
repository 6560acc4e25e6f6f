import { expect } from '../assert.js';
import { delay, rejectionOf, waitFor, waitUntil, withTimeout } from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';

/**
 * Registers the tests of closing: close codes both ways, close events exactly once, the server's
 * `close()`, idempotence, and what `isClientConnected` / `isOpen` report afterwards.
 */
export function describeClosingTests(h: TransportHarness): void {
  h.group('closing', () => {
    h.test(
      {
        id: 'T-CLOSE-01',
        level: 'MUST',
        title:
          "client disconnect(4001, 'bye') reaches the server as disconnect {4001, 'bye'}; each side's close event fires once",
      },
      async () => {
        const p = await h.pair();
        await withTimeout(p.client.disconnect(4001, 'bye'), h.wait, 'disconnect()');
        await waitUntil(() => p.log.disconnectsOf(p.connection).length >= 1, h.wait);
        await delay(h.quiet);
        expect(p.log.disconnectsOf(p.connection), 'server disconnect events').to.deep.equal([
          { code: 4001, reason: 'bye' },
        ]);
        expect(p.events.closes, 'client close events').to.have.length(1);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-02',
        level: 'MUST',
        title:
          "server closeConnection(conn, 4002, 'later') reaches the client as close {4002, 'later'}; each side's close event fires once",
      },
      async () => {
        const p = await h.pair();
        await withTimeout(
          p.server.closeConnection(p.connection, 4002, 'later'),
          h.wait,
          'closeConnection()',
        );
        await waitUntil(() => p.events.closes.length >= 1, h.wait);
        await delay(h.quiet);
        expect(p.events.closes, 'client close events').to.deep.equal([
          { code: 4002, reason: 'later' },
        ]);
        expect(p.log.disconnectsOf(p.connection), 'server disconnect events').to.have.length(1);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-03',
        level: 'MUST',
        requires: 'clientAbort',
        title:
          'a client that drops without a close handshake (terminate()) is reported to the server as disconnect 1006, once',
      },
      async () => {
        const p = await h.pair();
        p.client.terminate();
        expect(p.client.isOpen, 'client.isOpen after terminate()').to.equal(false);
        await waitUntil(() => p.log.disconnectsOf(p.connection).length >= 1, h.wait);
        await delay(h.quiet);
        expect(
          p.log.disconnectsOf(p.connection).map((d) => d.code),
          'server disconnect codes',
        ).to.deep.equal([1006]);
        expect(
          p.events.closes.map((c) => c.code),
          'client close codes',
        ).to.deep.equal([1006]);
        expect(p.server.isClientConnected(p.connection), 'isClientConnected').to.equal(false);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-04',
        level: 'MUST',
        title:
          'a connection the server drops without a close handshake (terminateConnection()) closes the client with 1006, once',
      },
      async () => {
        const p = await h.pair();
        p.server.terminateConnection(p.connection);
        expect(
          p.server.isClientConnected(p.connection),
          'isClientConnected after terminateConnection()',
        ).to.equal(false);
        await waitUntil(() => p.events.closes.length >= 1, h.wait);
        await delay(h.quiet);
        expect(
          p.events.closes.map((c) => c.code),
          'client close codes',
        ).to.deep.equal([1006]);
        expect(
          p.log.disconnectsOf(p.connection).map((d) => d.code),
          'server disconnect codes',
        ).to.deep.equal([1006]);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-05',
        level: 'MUST',
        title:
          'isClientConnected() is true while open, and false with client isOpen false after the client closed',
      },
      async () => {
        const p = await h.pair();
        expect(p.server.isClientConnected(p.connection), 'isClientConnected while open').to.equal(
          true,
        );
        await withTimeout(p.client.disconnect(), h.wait, 'disconnect()');
        await waitFor(
          () => p.log.disconnectsOf(p.connection).length >= 1,
          h.wait,
          'the server disconnect event',
        );
        expect(p.server.isClientConnected(p.connection), 'isClientConnected after close').to.equal(
          false,
        );
        expect(p.client.isOpen, 'client.isOpen after close').to.equal(false);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-06',
        level: 'MUST',
        title:
          'isClientConnected() is false and client isOpen false after the server closed the connection',
      },
      async () => {
        const p = await h.pair();
        await withTimeout(p.server.closeConnection(p.connection), h.wait, 'closeConnection()');
        expect(p.server.isClientConnected(p.connection), 'isClientConnected after close').to.equal(
          false,
        );
        await waitFor(() => p.events.closes.length >= 1, h.wait, 'the client close event');
        expect(p.client.isOpen, 'client.isOpen after close').to.equal(false);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-07',
        level: 'MUST',
        title: 'server close() closes every client, stops accepting, and resolves',
      },
      async () => {
        const l = await h.listen();
        const peers = await h.connectClients(l, 3);
        await withTimeout(l.server.close(), h.wait, 'server close()');
        await waitUntil(() => peers.every((peer) => peer.events.closes.length >= 1), h.wait);
        await delay(h.quiet);
        peers.forEach((peer, i) => {
          expect(peer.events.closes, `close events at client ${i}`).to.have.length(1);
          expect(peer.client.isOpen, `client ${i} isOpen`).to.equal(false);
          expect(
            l.log.disconnectsOf(peer.connection),
            `server disconnect events for client ${i}`,
          ).to.have.length(1);
        });
        expect(l.server.connections.size, 'server.connections.size').to.equal(0);
        const late = await h.createClient();
        const error = await rejectionOf(
          late.connect({ ...h.connectOptions(l.address), timeout: h.refusalTimeout }),
          h.wait,
          'connect() after close()',
        );
        expect(error, 'the rejection of connect() to a server that has closed').to.have.property(
          'code',
          'CONNECTION_FAILED',
        );
      },
    );

    h.test(
      {
        id: 'T-CLOSE-08',
        level: 'MUST',
        title:
          'when the server closes mid-stream the client gets close, and sends afterwards report NOT_CONNECTED',
      },
      async () => {
        const p = await h.pair();
        // A pump of bounded length: a few frames per timer turn until send() refuses.
        let refused = false;
        const pump = (async () => {
          for (let turn = 0; turn < 5000 && !refused; turn++) {
            for (let i = 0; i < 5 && !refused; i++) refused = !p.client.send(`tick ${turn}.${i}`);
            await delay(1);
          }
        })();
        await waitFor(
          () => p.log.messagesFrom(p.connection).length >= 20,
          h.wait,
          'the stream to reach the server',
        );
        await withTimeout(p.server.close(), h.wait, 'server close()');
        await waitFor(() => p.events.closes.length >= 1, h.wait, 'the client close event');
        await withTimeout(pump, h.wait, 'the pump to stop');
        expect(p.client.isOpen, 'client.isOpen').to.equal(false);
        expect(p.client.send('after close'), 'send() after close').to.equal(false);
        await waitFor(
          () => p.events.errors.some((e) => e.code === 'NOT_CONNECTED'),
          h.wait,
          'a NOT_CONNECTED error',
        );
        expect(p.events.closes, 'client close events').to.have.length(1);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-09',
        level: 'MUST',
        title: "disconnect() twice resolves both and each side's close event fires once",
      },
      async () => {
        const p = await h.pair();
        const first = p.client.disconnect(4003, 'twice');
        const second = p.client.disconnect(4003, 'twice');
        await withTimeout(Promise.all([first, second]), h.wait, 'both disconnect() calls');
        await withTimeout(p.client.disconnect(), h.wait, 'disconnect() after close');
        await waitUntil(() => p.log.disconnectsOf(p.connection).length >= 1, h.wait);
        await delay(h.quiet);
        expect(p.events.closes, 'client close events').to.have.length(1);
        expect(p.log.disconnectsOf(p.connection), 'server disconnect events').to.have.length(1);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-10',
        level: 'MUST',
        title: "closeConnection() twice resolves both and each side's close event fires once",
      },
      async () => {
        const p = await h.pair();
        const first = p.server.closeConnection(p.connection, 4004, 'twice');
        const second = p.server.closeConnection(p.connection, 4004, 'twice');
        await withTimeout(Promise.all([first, second]), h.wait, 'both closeConnection() calls');
        await withTimeout(
          p.server.closeConnection(p.connection),
          h.wait,
          'closeConnection() after close',
        );
        await waitUntil(() => p.events.closes.length >= 1, h.wait);
        await delay(h.quiet);
        expect(p.log.disconnectsOf(p.connection), 'server disconnect events').to.have.length(1);
        expect(p.events.closes, 'client close events').to.have.length(1);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-11',
        level: 'MUST',
        title: "server close() twice resolves both and each side's close event fires once",
      },
      async () => {
        const p = await h.pair();
        const first = p.server.close();
        const second = p.server.close();
        await withTimeout(Promise.all([first, second]), h.wait, 'both close() calls');
        await withTimeout(p.server.close(), h.wait, 'close() after close');
        await waitUntil(() => p.events.closes.length >= 1, h.wait);
        await delay(h.quiet);
        expect(p.log.disconnectsOf(p.connection), 'server disconnect events').to.have.length(1);
        expect(p.events.closes, 'client close events').to.have.length(1);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-12',
        level: 'MUST',
        title: 'disconnect() on a never-connected client resolves without a close event',
      },
      async () => {
        const client = await h.createClient();
        let closes = 0;
        client.on('close', () => void closes++);
        await withTimeout(client.disconnect(), h.wait, 'disconnect() before connect()');
        await delay(h.quiet);
        expect(closes, 'close events').to.equal(0);
        expect(client.isOpen, 'client.isOpen').to.equal(false);
      },
    );
  });
}
