import { expect } from '../assert.js';
import {
  collectClient,
  delay,
  expectNoDifference,
  sequenceDifference,
  waitFor,
  waitUntil,
  withTimeout,
} from '../helpers.js';
import type { Connected, Listening, TransportHarness } from '../transport-harness.js';

/** Frames sent just before a close. */
const LAST = Array.from({ length: 100 }, (_, i) => `last ${i}`);
/** Frames in flight when the other side starts a close. */
const IN_FLIGHT = Array.from({ length: 50 }, (_, i) => `in flight ${i}`);

/**
 * Registers the tests of what happens around a close: frames sent before it arrive first, a
 * closing side keeps reading, a close inside the `connection` handler reaches the client, the
 * address is released, and no close is reported as an error.
 */
export function describeCloseOrderTests(h: TransportHarness): void {
  h.group('frames around a close, and what a close leaves behind', () => {
    h.test(
      {
        id: 'T-CLOSE-18',
        level: 'MUST',
        title:
          'frames sent just before disconnect() / closeConnection() / server close() all arrive, in order, before the peer reports the close',
      },
      async () => {
        const a = await h.pair();
        let atDisconnect = -1;
        a.server.on('disconnect', (connection) => {
          if (connection === a.connection) atDisconnect = a.log.messagesFrom(a.connection).length;
        });
        for (const frame of LAST) a.client.send(frame);
        await withTimeout(a.client.disconnect(4030, 'done'), h.wait, 'disconnect()');
        await waitFor(
          () => a.log.disconnectsOf(a.connection).length >= 1,
          h.wait,
          'the server disconnect event',
        );
        expectNoDifference(
          sequenceDifference(a.log.messagesFrom(a.connection), LAST),
          'client → server, frames sent just before disconnect()',
        );
        expect(
          atDisconnect,
          'frames the server had received when it reported the disconnect',
        ).to.equal(LAST.length);

        const b = await h.pair();
        let atClose = -1;
        b.client.on('close', () => (atClose = b.events.messages.length));
        for (const frame of LAST) b.server.send(b.connection, frame);
        await withTimeout(
          b.server.closeConnection(b.connection, 4031, 'done'),
          h.wait,
          'closeConnection()',
        );
        await waitFor(() => b.events.closes.length >= 1, h.wait, 'the client close event');
        expectNoDifference(
          sequenceDifference(b.events.messages, LAST),
          'server → client, frames sent just before closeConnection()',
        );
        expect(atClose, 'frames the client had received when it reported the close').to.equal(
          LAST.length,
        );

        const l = await h.listen();
        const peers = await h.connectClients(l, 2);
        for (const peer of peers) for (const frame of LAST) l.server.send(peer.connection, frame);
        await withTimeout(l.server.close(), h.wait, 'server close()');
        await waitUntil(() => peers.every((peer) => peer.events.closes.length >= 1), h.wait);
        peers.forEach((peer, i) =>
          expectNoDifference(
            sequenceDifference(peer.events.messages, LAST),
            `server → client ${i}, frames sent just before server close()`,
          ),
        );
      },
    );

    h.test(
      {
        id: 'T-CLOSE-19',
        level: 'MUST',
        requires: 'clientKeepsReading',
        title:
          'a client that starts a close keeps reading: frames the server sent before it learned of the close still arrive',
      },
      async () => {
        const p = await h.pair();
        for (const frame of IN_FLIGHT) p.server.send(p.connection, frame);
        await withTimeout(p.client.disconnect(), h.wait, 'disconnect()');
        await waitUntil(() => p.events.messages.length >= IN_FLIGHT.length, h.quiet);
        expectNoDifference(
          sequenceDifference(p.events.messages, IN_FLIGHT),
          'server → client, frames sent in the tick the client called disconnect()',
        );
      },
    );

    h.test(
      {
        id: 'T-CLOSE-23',
        level: 'SHOULD',
        title:
          'a server that starts a close keeps reading: frames the client sent before it learned of the close still arrive',
      },
      async () => {
        const p = await h.pair();
        for (const frame of IN_FLIGHT) p.client.send(frame);
        await withTimeout(p.server.closeConnection(p.connection), h.wait, 'closeConnection()');
        await waitUntil(() => p.log.messagesFrom(p.connection).length >= IN_FLIGHT.length, h.quiet);
        expectNoDifference(
          sequenceDifference(p.log.messagesFrom(p.connection), IN_FLIGHT),
          'client → server, frames sent in the tick the server called closeConnection()',
        );
      },
    );

    h.test(
      {
        id: 'T-CLOSE-20',
        level: 'MUST',
        title:
          "a close inside the server's connection handler reaches the client (connect() rejects with it as cause, or the client opens and then closes with it) and leaves no connection",
      },
      async () => {
        const l = await h.listen();
        l.server.on('connection', (connection) => {
          void l.server.closeConnection(connection, 4401, 'denied');
        });
        const client = await h.createClient();
        const events = collectClient(client);
        let failure: unknown;
        await withTimeout(
          client.connect(h.connectOptions(l.address)).catch((error: unknown) => {
            failure = error;
          }),
          h.wait,
          'connect()',
        );
        await waitUntil(() => failure !== undefined || events.closes.length >= 1, h.wait);
        const denied = { code: 4401, reason: 'denied' };
        if (failure !== undefined) {
          expect(failure, 'the rejection of connect()').to.have.property(
            'code',
            'CONNECTION_FAILED',
          );
          expect(
            (failure as { cause?: unknown }).cause,
            'the cause of the rejection of connect()',
          ).to.deep.equal(denied);
        } else {
          expect(
            events.closes,
            'client close events after the server closed it in its connection handler',
          ).to.deep.equal([denied]);
        }
        await waitFor(() => l.log.disconnects.length >= 1, h.wait, 'the server disconnect event');
        await delay(h.quiet);
        expect(
          l.log.disconnects.map((d) => d.value),
          'server disconnect events',
        ).to.deep.equal([denied]);
        expect(l.server.connections.size, 'server.connections.size').to.equal(0);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-21',
        level: 'MUST',
        title:
          'once server close() resolved, a new server listens at the same address at once and serves a client',
        requires: 'createServerAt',
      },
      async () => {
        const l = await h.listen();
        await h.connectClients(l, 2);
        await withTimeout(l.server.close(), h.wait, 'server close()');
        const server = await h.createServerAt(l.address);
        const again = await h.listen(server).catch((error: unknown) => {
          expect(
            error,
            `the rejection of listen() at ${String(l.address.url)}, which the closed server released`,
          ).to.equal(undefined);
          throw error;
        });
        const peer = await h.connectClient(again);
        expect(peer.client.send('to the new server'), 'client send() result').to.equal(true);
        await waitFor(
          () => again.log.messagesFrom(peer.connection).length >= 1,
          h.wait,
          'a frame at the new server',
        );
      },
    );

    h.test(
      {
        id: 'T-CLOSE-22',
        level: 'MUST',
        title:
          'no close is reported as an error on either side: disconnect(), closeConnection(), server close(), terminate(), terminateConnection()',
      },
      async () => {
        const paths: [string, (p: Listening & Connected) => Promise<void> | void][] = [
          ['client disconnect()', (p) => p.client.disconnect()],
          ['server closeConnection()', (p) => p.server.closeConnection(p.connection)],
          ['server close()', (p) => p.server.close()],
          ['client terminate()', (p) => p.client.terminate()],
          ['server terminateConnection()', (p) => p.server.terminateConnection(p.connection)],
        ];
        // One pair per path, closed at once: one quiet period covers the errors of all five.
        const pairs: (Listening & Connected)[] = [];
        for (let i = 0; i < paths.length; i++) pairs.push(await h.pair());
        await Promise.all(
          paths.map(([what, close], i) =>
            withTimeout(Promise.resolve(close(pairs[i])), h.wait, what),
          ),
        );
        await waitUntil(
          () =>
            pairs.every(
              (p) => p.events.closes.length >= 1 && p.log.disconnectsOf(p.connection).length >= 1,
            ),
          h.wait,
        );
        await delay(h.quiet);
        paths.forEach(([what], i) => {
          const p = pairs[i];
          expect(
            p.events.errors.map((e) => `${e.code}: ${e.message}`),
            `client error events after ${what}`,
          ).to.deep.equal([]);
          expect(
            p.log.errors.map((e) => `${e.error.code}: ${e.error.message}`),
            `server error events after ${what}`,
          ).to.deep.equal([]);
        });
      },
    );

    h.test(
      {
        id: 'T-CLOSE-24',
        level: 'MUST',
        title:
          'close() while listen() is pending releases the address: once both settled, a new server listens there',
        requires: 'createServerAt',
      },
      async () => {
        // A server that listened and closed gives an address that is free and known in advance.
        const first = await h.listen();
        await withTimeout(first.server.close(), h.wait, 'server close()');
        const at = String(first.address.url);
        const server = await h.createServerAt(first.address);
        const listening = server.listen().then(
          () => 'resolved',
          (error: unknown) => `rejected (${String((error as { code?: unknown }).code)})`,
        );
        await withTimeout(server.close(), h.wait, `close() during listen() at ${at}`);
        const outcome = await withTimeout(listening, h.wait, 'the pending listen()');
        const again = await h.createServerAt(first.address);
        await h.listen(again).catch((error: unknown) => {
          expect(
            error,
            `the rejection of listen() at ${at}, released by a close() during listen() (that listen() ${outcome}, state ${server.state})`,
          ).to.equal(undefined);
          throw error;
        });
      },
    );
  });
}
