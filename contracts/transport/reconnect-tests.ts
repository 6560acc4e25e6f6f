import { expect } from '../assert.js';
import { collectClient, delay, waitFor, waitUntil, withTimeout } from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';

const CYCLES = 3;

/**
 * Registers the tests of reusing a client after close and of listener hygiene: an adapter that
 * re-registers its internal handlers on every connect double-delivers and leaks.
 */
export function describeReconnectTests(h: TransportHarness): void {
  h.group('reconnect and listeners', () => {
    h.test(
      {
        id: 'T-RECONNECT-01',
        level: 'MUST',
        title: `the same client reconnects ${CYCLES} times and each frame is then delivered exactly once`,
      },
      async () => {
        const l = await h.listen();
        const client = await h.createClient();
        const events = collectClient(client);
        for (let cycle = 0; cycle < CYCLES; cycle++) {
          const before = l.log.connections.length;
          await withTimeout(
            client.connect(h.connectOptions(l.address)),
            h.wait,
            `connect() #${cycle + 1}`,
          );
          await waitFor(
            () => l.log.connections.length > before,
            h.wait,
            `server connection #${cycle + 1}`,
          );
          const connection = l.log.connections[before].connection;
          client.send(`up ${cycle}`);
          l.server.send(connection, `down ${cycle}`);
          await waitUntil(
            () => events.messages.length > cycle && l.log.messagesFrom(connection).length >= 1,
            h.wait,
          );
          await delay(h.quiet);
          expect(
            l.log.messagesFrom(connection),
            `frames at the server in cycle ${cycle + 1}`,
          ).to.deep.equal([`up ${cycle}`]);
          expect(
            events.messages.slice(cycle),
            `frames at the client in cycle ${cycle + 1}`,
          ).to.deep.equal([`down ${cycle}`]);
          await withTimeout(client.disconnect(), h.wait, `disconnect() #${cycle + 1}`);
          await waitFor(
            () => l.log.disconnectsOf(connection).length >= 1,
            h.wait,
            `server disconnect #${cycle + 1}`,
          );
        }
        await delay(h.quiet);
        expect(events.opens, 'client open events').to.have.length(CYCLES);
        expect(events.closes, 'client close events').to.have.length(CYCLES);
        expect(l.log.connections, 'server connection events').to.have.length(CYCLES);
      },
    );

    h.test(
      {
        id: 'T-RECONNECT-02',
        level: 'MUST',
        title:
          'once everything is closed, listenerCount() is what the test registered, and 0 after removing them',
      },
      async () => {
        const l = await h.listen();
        const client = await h.createClient();
        const events = collectClient(client);
        // What the test itself registered: the collectors' listeners.
        const ownOnClient = client.listenerCount();
        const ownOnServer = l.server.listenerCount();
        for (let cycle = 0; cycle < 2; cycle++) {
          const before = l.log.connections.length;
          await withTimeout(
            client.connect(h.connectOptions(l.address)),
            h.wait,
            `connect() #${cycle + 1}`,
          );
          await waitFor(
            () => l.log.connections.length > before,
            h.wait,
            `server connection #${cycle + 1}`,
          );
          l.server.send(l.log.connections[before].connection, 'ping-pong');
          client.send('pong-ping');
          await waitFor(
            () => events.messages.length > cycle,
            h.wait,
            `a frame in cycle ${cycle + 1}`,
          );
          await withTimeout(client.disconnect(), h.wait, `disconnect() #${cycle + 1}`);
        }
        await withTimeout(l.server.close(), h.wait, 'server close()');
        expect(client.listenerCount(), 'client listeners after close').to.equal(ownOnClient);
        expect(l.server.listenerCount(), 'server listeners after close').to.equal(ownOnServer);
        events.stop();
        l.log.stop();
        expect(client.listenerCount(), 'client listeners after removing the test’s own').to.equal(
          0,
        );
        expect(l.server.listenerCount(), 'server listeners after removing the test’s own').to.equal(
          0,
        );
      },
    );
  });
}
