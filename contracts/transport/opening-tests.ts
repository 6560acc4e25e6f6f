import { expect } from '../assert.js';
import { CAPABILITY_NAMES } from '../../src/index.js';
import {
  collectClient,
  delay,
  expectNoDifference,
  rejectionOf,
  sequenceDifference,
  waitFor,
  waitUntil,
  withTimeout,
} from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';

/**
 * Registers the tests of the manifest and of opening a connection: listener timing, open only
 * after the server accepted, state errors and connecting to nothing.
 */
export function describeOpeningTests(h: TransportHarness): void {
  h.group('manifest', () => {
    h.test(
      {
        id: 'T-MANIFEST-01',
        level: 'MUST',
        title:
          'server and client instances declare exactly the supports manifest the suite was given',
      },
      async () => {
        const server = await h.createServer();
        const client = await h.createClient();
        const expected = { ...h.options.supports };
        // Compared flag by flag, then as a plain copy: what counts is the set of flags, not whether
        // the adapter froze its object.
        for (const [side, supports] of [
          ['server', server.supports],
          ['client', client.supports],
        ] as const) {
          expect(supports, `${side}.supports`).to.be.an('object');
          for (const name of CAPABILITY_NAMES) {
            expect(supports[name], `${side}.supports.${name}`).to.equal(expected[name]);
          }
          expect({ ...supports }, `${side}.supports has no other flags`).to.deep.equal(expected);
        }
      },
    );
  });

  h.group('opening', () => {
    h.test(
      {
        id: 'T-OPEN-01',
        level: 'MUST',
        title:
          'listeners registered before connect() receive the first open and message events; the open listener can send',
      },
      async () => {
        const l = await h.listen();
        l.server.on('connection', (connection) => void l.server.send(connection, 'welcome'));
        const client = await h.createClient();
        const events = collectClient(client);
        // Sending from the open listener is the earliest an application can send.
        client.on('open', () => void client.send('hello from open'));
        await withTimeout(client.connect(h.connectOptions(l.address)), h.wait, 'connect()');
        expect(events.opens, 'open events when connect() resolved').to.have.length(1);
        await waitUntil(() => events.messages.length >= 1 && l.log.messages.length >= 1, h.wait);
        expect(events.messages, 'frames at the client').to.deep.equal(['welcome']);
        expect(
          l.log.messages.map((m) => m.value),
          'frames at the server',
        ).to.deep.equal(['hello from open']);
        expect(events.errors, 'client errors').to.deep.equal([]);
      },
    );

    h.test(
      {
        id: 'T-OPEN-02',
        level: 'MUST',
        title:
          'connect() resolves only after the server has emitted connection (connections.size is 1)',
      },
      async () => {
        const l = await h.listen();
        const client = await h.createClient();
        await withTimeout(client.connect(h.connectOptions(l.address)), h.wait, 'connect()');
        // Checked synchronously on resolution: an adapter that reports open before the server has
        // accepted lets applications send into the void.
        expect(
          l.log.connections,
          'server connection events when connect() resolved',
        ).to.have.length(1);
        expect(
          l.server.connections.size,
          'server.connections.size when connect() resolved',
        ).to.equal(1);
        expect(client.isOpen, 'client.isOpen').to.equal(true);
      },
    );

    h.test(
      {
        id: 'T-OPEN-03',
        level: 'MUST',
        title: 'a frame the client sends as soon as connect() resolves arrives at the server',
      },
      async () => {
        const l = await h.listen();
        const client = await h.createClient();
        await withTimeout(client.connect(h.connectOptions(l.address)), h.wait, 'connect()');
        expect(client.send('right away'), 'send() result').to.equal(true);
        await waitUntil(() => l.log.messages.length >= 1, h.wait);
        expect(
          l.log.messages.map((m) => m.value),
          'frames at the server',
        ).to.deep.equal(['right away']);
      },
    );

    h.test(
      {
        id: 'T-OPEN-04',
        level: 'MUST',
        title:
          'frames the server sends inside its connection handler arrive at the client, in order',
      },
      async () => {
        const l = await h.listen();
        const early = ['one', 'two', 'three'];
        l.server.on('connection', (connection) => {
          for (const frame of early) l.server.send(connection, frame);
        });
        const client = await h.createClient();
        const events = collectClient(client);
        await withTimeout(client.connect(h.connectOptions(l.address)), h.wait, 'connect()');
        await waitUntil(() => events.messages.length >= early.length, h.wait);
        await delay(h.quiet);
        expectNoDifference(sequenceDifference(events.messages, early), 'frames at the client');
      },
    );

    h.test(
      { id: 'T-OPEN-05', level: 'MUST', title: 'listen() twice rejects with INVALID_STATE' },
      async () => {
        const l = await h.listen();
        const error = await rejectionOf(l.server.listen(), h.wait, 'second listen()');
        expect(error, 'the rejection of a second listen()').to.have.property(
          'code',
          'INVALID_STATE',
        );
      },
    );

    h.test(
      {
        id: 'T-OPEN-06',
        level: 'MUST',
        title: 'connect() while open rejects with INVALID_STATE and leaves the connection open',
      },
      async () => {
        const p = await h.pair();
        const error = await rejectionOf(
          p.client.connect(h.connectOptions(p.address)),
          h.wait,
          'second connect()',
        );
        expect(error, 'the rejection of connect() while open').to.have.property(
          'code',
          'INVALID_STATE',
        );
        expect(p.client.isOpen, 'client.isOpen').to.equal(true);
        expect(p.server.isClientConnected(p.connection), 'isClientConnected').to.equal(true);
        p.client.send('still here');
        await waitFor(
          () => p.log.messagesFrom(p.connection).length >= 1,
          h.wait,
          'a frame after the failed connect',
        );
      },
    );

    h.test(
      {
        id: 'T-OPEN-07',
        level: 'MUST',
        title:
          'connect() to an address where nothing listens rejects with CONNECTION_FAILED within its timeout',
      },
      async () => {
        const l = await h.listen();
        await withTimeout(l.server.close(), h.wait, 'server close()');
        const client = await h.createClient();
        const events = collectClient(client);
        const timeout = h.refusalTimeout;
        const started = Date.now();
        const error = await rejectionOf(
          client.connect({ ...h.connectOptions(l.address), timeout }),
          h.wait,
          'connect() to a closed server',
        );
        expect(error, 'the rejection of connect() where nothing listens').to.have.property(
          'code',
          'CONNECTION_FAILED',
        );
        // Slack above the timeout for timers on a busy machine; rejecting much later means the
        // adapter ignored the timeout it was given.
        expect(Date.now() - started, 'ms until connect() rejected').to.be.at.most(
          timeout * 1.5 + 250,
        );
        expect(client.isOpen, 'client.isOpen').to.equal(false);
        expect(events.opens, 'open events').to.have.length(0);
      },
    );

    h.test(
      {
        id: 'T-OPEN-08',
        level: 'MUST',
        title:
          'listen() at an address where another server listens rejects with CONNECTION_FAILED and leaves the new server closed',
        requires: 'createServerAt',
      },
      async () => {
        const l = await h.listen();
        const server = await h.createServerAt(l.address);
        const error = await rejectionOf(
          server.listen(),
          h.wait,
          `listen() at ${String(l.address.url)}, where a server listens`,
        );
        expect(
          error,
          `the rejection of listen() at ${String(l.address.url)}, where a server listens`,
        ).to.have.property('code', 'CONNECTION_FAILED');
        expect(server.state, 'state of the server whose listen() failed').to.equal('closed');
        // The server that holds the address is untouched by the failed attempt.
        const peer = await h.connectClient(l);
        expect(peer.client.send('still served'), 'client send() result').to.equal(true);
        await waitFor(
          () => l.log.messagesFrom(peer.connection).length >= 1,
          h.wait,
          'a frame at the server that holds the address',
        );
      },
    );
  });
}
