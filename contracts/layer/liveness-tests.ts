// The layer contract's liveness tests (L-LIVE-01..06): heartbeats on both sides, reconnection
// with topics and the offline queue, a graceful shutdown clients come back from, backpressure
// signals and the metrics of both sides, over the transport under test.
import { expect } from '../assert.js';
import { type CloseInfo } from '../../src/index.js';
import { delay, waitFor } from '../helpers.js';
import type { LayerHarness } from './layer-harness.js';
import { QUICK_RECONNECT, received } from './layer-helpers.js';

/** Registers L-LIVE-01..06. */
export function describeLivenessTests(h: LayerHarness): void {
  h.group('liveness', () => {
    h.test(
      {
        id: 'L-LIVE-01',
        level: 'MUST',
        title:
          'with heartbeats on both sides a live connection stays open and both sides measure its round trip',
      },
      async () => {
        const { server, url } = await h.server({ heartbeatInterval: 50, heartbeatTimeout: 1000 });
        const timeouts: string[] = [];
        server.onClientTimeout((id) => void timeouts.push(id));
        const a = await h.connected(url, { heartbeatInterval: 50, heartbeatTimeout: 1000 });
        const closes: CloseInfo[] = [];
        a.onClose((info) => void closes.push(info));
        await waitFor(
          () =>
            typeof a.getConnectionInfo().latency === 'number' &&
            typeof server.getClient(a.id!)?.latency === 'number',
          h.wait,
          'a round trip measured by the client and by the server',
        );
        await delay(200);
        expect(a.isConnected, 'the client is still connected after several heartbeats').to.equal(
          true,
        );
        expect(closes, 'closes the client saw').to.deep.equal([]);
        expect(timeouts, 'clients the server timed out').to.deep.equal([]);
        const info = a.getConnectionInfo();
        expect(info.latency, 'client latency (ms)').to.be.at.least(0);
        expect(info.lastPong, 'client lastPong').to.be.a('number');
        expect(a.getMetrics().averageLatency, 'client averageLatency').to.be.a('number');
      },
    );

    h.test(
      {
        id: 'L-LIVE-02',
        level: 'MUST',
        title:
          'a client whose connection the server restarts (1012) reconnects by itself, joins its topics again and gets their broadcasts',
      },
      async () => {
        const { server, url } = await h.server();
        const a = await h.connected(url, { reconnect: QUICK_RECONNECT });
        await a.join('live-room');
        const firstId = a.id!;
        const attempts: number[] = [];
        let reconnected = 0;
        a.onReconnecting((attempt) => void attempts.push(attempt));
        a.onReconnected(() => void reconnected++);
        await server.disconnect(firstId, 1012, 'restarting');
        await waitFor(() => reconnected >= 1, h.wait, 'onReconnected after a 1012 close');
        expect(attempts[0], 'the first reconnect attempt’s number').to.equal(1);
        expect(a.isConnected, 'the client is connected again').to.equal(true);
        expect([...a.topics], 'the client’s topics after reconnecting').to.deep.equal([
          'live-room',
        ]);
        await waitFor(
          () => server.getSubscribers('live-room').includes(a.id!),
          h.wait,
          'the server to hold the reconnected client in its topic',
        );
        const got = received(a, 'after');
        server.to('live-room').emit('after', 1);
        await waitFor(() => got.length >= 1, h.wait, 'a topic broadcast after the reconnect');
        expect(got, 'what the reconnected client received').to.deep.equal([1]);
      },
    );

    h.test(
      {
        id: 'L-LIVE-03',
        level: 'MUST',
        title:
          'messages sent while reconnecting wait in the offline queue and arrive in order once connected again',
      },
      async () => {
        const { server, url } = await h.server();
        const got: unknown[] = [];
        server.onMessage((_id, message) => void got.push(message.payload));
        const a = await h.connected(url, {
          reconnect: { retries: 20, minDelay: 200, maxDelay: 300 },
        });
        await server.disconnect(a.id!, 1012, 'restarting');
        await waitFor(() => a.state === 'reconnecting', h.wait, 'the client to be reconnecting');
        const results = [1, 2, 3].map((n) => a.send({ type: 'queued', payload: n }));
        expect(results, 'send() results while reconnecting (wait: queued)').to.deep.equal([
          false,
          false,
          false,
        ]);
        expect(a.getMetrics().queued, 'frames in the offline queue').to.equal(3);
        await waitFor(() => got.length >= 3, h.wait, 'the 3 queued messages at the server');
        expect(got, 'the queued messages, in order').to.deep.equal([1, 2, 3]);
        expect(a.getMetrics().queued, 'frames in the offline queue once sent').to.equal(0);
      },
    );

    h.test(
      {
        id: 'L-LIVE-04',
        level: 'MUST',
        title:
          'a client kicked with an application code (4001) stays closed, and one told 1001 by a shutdown reconnects',
      },
      async () => {
        const first = await h.server();
        const kicked = await h.connected(first.url, { reconnect: QUICK_RECONNECT });
        await first.server.disconnect(kicked.id!, 4001, 'kicked');
        await waitFor(() => kicked.state === 'closed', h.wait, 'the kicked client to close');
        await delay(150);
        expect(kicked.state, 'the kicked client after the reconnect delay').to.equal('closed');

        const second = await h.server();
        const b = await h.connected(second.url, { reconnect: QUICK_RECONNECT });
        const closes: CloseInfo[] = [];
        b.onClose((info) => void closes.push(info));
        await second.server.shutdown({ timeout: h.wait });
        await waitFor(() => closes.length >= 1, h.wait, 'the close of the shutdown');
        expect(closes[0]?.code, 'close code of a shutdown').to.equal(1001);
        expect(b.state, 'the client after a 1001 close').to.equal('reconnecting');
      },
    );

    h.test(
      {
        id: 'L-LIVE-05',
        level: 'MUST',
        title:
          'send() reports whether a producer may go on, and drained() resolves on an open, idle client',
      },
      async () => {
        const { server, url } = await h.server();
        const got: unknown[] = [];
        server.onMessage((_id, message) => void got.push(message.payload));
        const a = await h.connected(url);
        const result = a.send({ type: 'bp', payload: 1 });
        expect(result, 'send() result').to.be.a('boolean');
        await a.drained();
        expect(a.writable, 'writable once drained').to.equal(true);
        await waitFor(() => got.length >= 1, h.wait, 'the message at the server');
        const client = server.getClient(a.id!);
        expect(client?.writable, 'the server’s writable for an idle client').to.equal(true);
        expect(client?.bufferedAmount, 'the server’s bufferedAmount for it').to.be.at.least(0);
      },
    );

    h.test(
      {
        id: 'L-LIVE-06',
        level: 'MUST',
        title: 'both sides count the messages they exchanged in getMetrics()',
      },
      async () => {
        const { server, url } = await h.server();
        const before = server.getMetrics();
        const a = await h.connected(url);
        const got = received(a, 'down');
        for (let i = 0; i < 5; i++) a.emit('up', i);
        await waitFor(
          () => server.getMetrics().messagesIn - before.messagesIn >= 5,
          h.wait,
          'the server to count 5 messages in',
        );
        server.sendToClient(a.id!, { type: 'down', payload: 0 });
        server.sendToClient(a.id!, { type: 'down', payload: 1 });
        await waitFor(() => got.length >= 2, h.wait, 'the 2 messages at the client');
        const m = a.getMetrics();
        expect(m.messagesSent, 'client messagesSent').to.equal(5);
        expect(m.messagesReceived, 'client messagesReceived').to.equal(2);
        expect(m.bytesSent + m.bytesReceived, 'client bytes').to.be.at.least(0);
        const s = server.getMetrics();
        expect(s.connections, 'server connections').to.equal(1);
        expect(s.messagesIn - before.messagesIn, 'server messagesIn').to.be.at.least(5);
        expect(s.messagesOut - before.messagesOut, 'server messagesOut').to.be.at.least(2);
      },
    );
  });
}
