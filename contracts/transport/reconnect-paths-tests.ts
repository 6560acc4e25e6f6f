import { expect } from '../assert.js';
import { collectClient, delay, rejectionOf, waitFor, waitUntil, withTimeout } from '../helpers.js';
import type { HandshakeExtras, TransportHarness } from '../transport-harness.js';

/**
 * Registers the tests of connecting the same client again after each way a connection can end (to
 * another server, with other options, after a failure, after terminate(), after an aborted
 * connect), and of the listeners each way leaves behind.
 */
export function describeReconnectPathTests(h: TransportHarness): void {
  h.group('connecting again after every kind of end', () => {
    h.test(
      {
        id: 'T-RECONNECT-03',
        level: 'MUST',
        title:
          'a client closed from one server connects to a second one: the second gets the connection and its frames, the first nothing more',
      },
      async () => {
        const a = await h.listen();
        const b = await h.listen();
        const client = await h.createClient();
        await withTimeout(client.connect(h.connectOptions(a.address)), h.wait, 'connect() to A');
        await withTimeout(client.disconnect(), h.wait, 'disconnect() from A');
        await withTimeout(client.connect(h.connectOptions(b.address)), h.wait, 'connect() to B');
        await waitFor(() => b.log.connections.length >= 1, h.wait, 'the connection event at B');
        expect(client.send('to B'), 'client send() result').to.equal(true);
        await waitFor(() => b.log.messages.length >= 1, h.wait, 'the frame at server B');
        await delay(h.quiet);
        expect(a.log.connections.length, 'connection events at server A').to.equal(1);
        expect(
          a.log.messages.map((m) => m.value),
          'frames at server A (the client moved to B)',
        ).to.deep.equal([]);
        expect(
          b.log.messages.map((m) => m.value),
          'frames at server B',
        ).to.deep.equal(['to B']);
      },
    );

    h.test(
      {
        id: 'T-RECONNECT-04',
        level: 'MUST',
        title:
          "a reconnect presents the new connect options' query, headers and auth (as declared), not the first connect's",
      },
      async () => {
        const { handshakeQuery, handshakeHeaders, handshakeAuth } = h.options.supports;
        const extras = (v: string): HandshakeExtras => ({
          ...(handshakeQuery ? { query: { v } } : {}),
          ...(handshakeHeaders ? { headers: { 'x-v': v } } : {}),
          ...(handshakeAuth ? { auth: { v } } : {}),
        });
        const l = await h.listen();
        const client = await h.createClient();
        await withTimeout(
          client.connect(h.connectOptions(l.address, extras('one'))),
          h.wait,
          'connect() #1',
        );
        await withTimeout(client.disconnect(), h.wait, 'disconnect()');
        await withTimeout(
          client.connect(h.connectOptions(l.address, extras('two'))),
          h.wait,
          'connect() #2',
        );
        await waitFor(() => l.log.connections.length >= 2, h.wait, 'the second connection event');
        const second = l.log.connections[1].value;
        if (handshakeQuery) {
          expect(second.query.v, "handshake.query.v of the reconnect (sent 'two')").to.equal('two');
        }
        if (handshakeHeaders) {
          expect(
            second.headers['x-v'],
            "handshake.headers['x-v'] of the reconnect (sent 'two')",
          ).to.equal('two');
        }
        if (handshakeAuth) {
          expect(second.auth.v, "handshake.auth.v of the reconnect (sent 'two')").to.equal('two');
        }
      },
    );

    h.test(
      {
        id: 'T-RECONNECT-05',
        level: 'MUST',
        title:
          'after a failed connect, and after terminate(), the same client connects again and frames flow',
      },
      async () => {
        const gone = await h.listen();
        await withTimeout(gone.server.close(), h.wait, 'server close()');
        const l = await h.listen();
        const client = await h.createClient();
        const events = collectClient(client);
        await rejectionOf(
          client.connect({ ...h.connectOptions(gone.address), timeout: h.refusalTimeout }),
          h.wait,
          'connect() to a closed server',
        );
        await withTimeout(
          client.connect(h.connectOptions(l.address)),
          h.wait,
          'connect() after a failed connect',
        );
        await waitFor(() => l.log.connections.length >= 1, h.wait, 'the first connection event');
        client.terminate();
        await delay(h.quiet);
        await withTimeout(
          client.connect(h.connectOptions(l.address)),
          h.wait,
          'connect() after terminate()',
        );
        await waitFor(() => l.log.connections.length >= 2, h.wait, 'the second connection event');
        const { connection } = l.log.connections[1];
        expect(l.server.send(connection, 'hello again'), 'server send() result').to.equal(true);
        expect(client.send('back again'), 'client send() result').to.equal(true);
        await waitFor(
          () => events.messages.length >= 1 && l.log.messagesFrom(connection).length >= 1,
          h.wait,
          'a frame each way after connecting again',
        );
        expect(events.messages, 'frames at the client').to.deep.equal(['hello again']);
        expect(l.log.messagesFrom(connection), 'frames at the server').to.deep.equal([
          'back again',
        ]);
      },
    );

    h.test(
      {
        id: 'T-RECONNECT-06',
        level: 'MUST',
        title:
          'a connect aborted at once by disconnect() or terminate() rejects with CONNECTION_FAILED and leaves no connection at the server',
      },
      async () => {
        const l = await h.listen();
        for (const abort of ['disconnect', 'terminate'] as const) {
          const client = await h.createClient();
          const pending = client.connect(h.connectOptions(l.address));
          if (abort === 'disconnect') void client.disconnect();
          else client.terminate();
          const error = await rejectionOf(pending, h.wait, `connect() aborted by ${abort}()`);
          expect(error, `the rejection of connect() aborted by ${abort}()`).to.have.property(
            'code',
            'CONNECTION_FAILED',
          );
        }
        await delay(h.quiet * 3);
        await waitUntil(
          () =>
            l.server.connections.size === 0 && l.log.disconnects.length >= l.log.connections.length,
          h.wait,
        );
        expect(
          l.server.connections.size,
          'server.connections.size after two aborted connects',
        ).to.equal(0);
        expect(
          l.log.disconnects.length,
          `server disconnect events (one for each of the ${l.log.connections.length} connection events)`,
        ).to.equal(l.log.connections.length);
      },
    );

    h.test(
      {
        id: 'T-RECONNECT-07',
        level: 'MUST',
        title:
          "listenerCount() returns to the test's own after each way a connection ends: terminate(), a server-side close, server close(), a failed connect",
      },
      async () => {
        const l = await h.listen();
        const client = await h.createClient();
        const events = collectClient(client);
        const own = client.listenerCount();

        await withTimeout(client.connect(h.connectOptions(l.address)), h.wait, 'connect() #1');
        client.terminate();
        await delay(h.quiet);
        expect(client.listenerCount(), 'client listeners after terminate()').to.equal(own);

        await withTimeout(client.connect(h.connectOptions(l.address)), h.wait, 'connect() #2');
        await waitFor(() => l.log.connections.length >= 2, h.wait, 'the second connection event');
        await withTimeout(
          l.server.closeConnection(l.log.connections[1].connection),
          h.wait,
          'closeConnection()',
        );
        await waitFor(() => events.closes.length >= 2, h.wait, 'the second client close event');
        expect(client.listenerCount(), 'client listeners after the server closed it').to.equal(own);

        await withTimeout(client.connect(h.connectOptions(l.address)), h.wait, 'connect() #3');
        await withTimeout(l.server.close(), h.wait, 'server close()');
        await waitFor(() => events.closes.length >= 3, h.wait, 'the third client close event');
        expect(client.listenerCount(), 'client listeners after server close()').to.equal(own);

        await rejectionOf(
          client.connect({ ...h.connectOptions(l.address), timeout: h.refusalTimeout }),
          h.wait,
          'connect() to the closed server',
        );
        expect(client.listenerCount(), 'client listeners after a failed connect').to.equal(own);
      },
    );

    h.test(
      {
        id: 'T-RECONNECT-08',
        level: 'MUST',
        title:
          'connect() in the same tick as terminate() opens, and nothing of the old connection (frame or close) reaches the new one',
      },
      async () => {
        const l = await h.listen();
        const client = await h.createClient();
        const events = collectClient(client);
        await withTimeout(client.connect(h.connectOptions(l.address)), h.wait, 'connect() #1');
        await waitFor(() => l.log.connections.length >= 1, h.wait, 'the first connection event');
        l.server.send(l.log.connections[0].connection, 'old');
        client.terminate();
        const failure = await withTimeout(
          client.connect(h.connectOptions(l.address)).then(
            () => undefined,
            (error: unknown) => error,
          ),
          h.wait,
          'connect() #2, in the tick of terminate()',
        );
        expect(
          failure,
          'the rejection of connect() #2, made in the tick of terminate() (the old connection must not fail it)',
        ).to.equal(undefined);
        await waitFor(() => l.log.connections.length >= 2, h.wait, 'the second connection event');
        l.server.send(l.log.connections[1].connection, 'new');
        await waitUntil(() => events.messages.includes('new'), h.wait);
        await delay(h.quiet);
        expect(
          events.messages,
          "frames at the client (the 'old' one was sent to the terminated connection)",
        ).to.deep.equal(['new']);
        expect(
          events.closes.map((c) => c.code),
          'client close codes (one 1006, for terminate())',
        ).to.deep.equal([1006]);
        expect(client.isOpen, 'client.isOpen on the new connection').to.equal(true);
      },
    );
  });
}
