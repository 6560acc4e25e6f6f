import { expect } from '../assert.js';
import { delay, waitFor, waitUntil, withTimeout } from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';

/** Registers the tests of sending after close and of transport-level ping. */
export function describeLivenessTests(h: TransportHarness): void {
  h.group('send after close', () => {
    h.test(
      {
        id: 'T-SEND-01',
        level: 'MUST',
        title: 'client send() after close returns false, does not throw, and emits NOT_CONNECTED',
      },
      async () => {
        const p = await h.pair();
        await withTimeout(p.client.disconnect(), h.wait, 'disconnect()');
        let result: boolean | undefined;
        expect(() => (result = p.client.send('too late')), 'send() after close').not.to.throw();
        expect(result, 'send() result').to.equal(false);
        await waitFor(() => p.events.errors.length >= 1, h.wait, 'a client error event');
        expect(
          p.events.errors.map((e) => e.code),
          'client error codes',
        ).to.include('NOT_CONNECTED');
      },
    );

    h.test(
      {
        id: 'T-SEND-02',
        level: 'MUST',
        title:
          'server send() to a closed connection returns false, does not throw, and emits NOT_CONNECTED for it',
      },
      async () => {
        const p = await h.pair();
        await withTimeout(p.server.closeConnection(p.connection), h.wait, 'closeConnection()');
        let result: boolean | undefined;
        expect(
          () => (result = p.server.send(p.connection, 'too late')),
          'send() after close',
        ).not.to.throw();
        expect(result, 'send() result').to.equal(false);
        await waitFor(() => p.log.errors.length >= 1, h.wait, 'a server error event');
        const notConnected = p.log.errors.find((e) => e.error.code === 'NOT_CONNECTED');
        expect(notConnected, 'a NOT_CONNECTED error event').to.not.equal(undefined);
        expect(
          notConnected?.connection === p.connection,
          'the error names the closed connection',
        ).to.equal(true);
      },
    );
  });

  h.group('ping', () => {
    h.test(
      {
        id: 'T-PING-01',
        level: 'MUST',
        title: 'ping(conn) returns true and a pong event for that connection follows',
        requires: 'ping',
      },
      async () => {
        const p = await h.pair();
        expect(p.server.ping(p.connection), 'ping() result').to.equal(true);
        await waitFor(() => p.log.pongs.length >= 1, h.wait, 'a pong event');
        expect(
          p.log.pongs[0].connection === p.connection,
          'the pong names the pinged connection',
        ).to.equal(true);
      },
    );

    h.test(
      {
        id: 'T-PING-02',
        level: 'MUST',
        title:
          'ping(conn) returns false without throwing when the manifest has no ping or the connection is closed',
      },
      async () => {
        const p = await h.pair();
        if (!h.options.supports.ping) {
          let result: boolean | undefined;
          expect(
            () => (result = p.server.ping(p.connection)),
            'ping() without support',
          ).not.to.throw();
          expect(result, 'ping() result without support').to.equal(false);
          await delay(h.quiet);
          expect(p.log.pongs, 'pong events without support').to.have.length(0);
        }
        await withTimeout(p.server.closeConnection(p.connection), h.wait, 'closeConnection()');
        let closedResult: boolean | undefined;
        expect(
          () => (closedResult = p.server.ping(p.connection)),
          'ping() after close',
        ).not.to.throw();
        expect(closedResult, 'ping() result after close').to.equal(false);
      },
    );

    h.test(
      {
        id: 'T-PING-03',
        level: 'MUST',
        title:
          '20 connections pinged at once each answer with exactly one pong, attributed to the pinged connection',
        requires: 'ping',
      },
      async () => {
        const l = await h.listen();
        const peers = await h.connectClients(l, 20);
        // In reverse order of connecting: a server crediting pongs by order gets them wrong.
        for (const [i, peer] of [...peers.entries()].reverse()) {
          expect(l.server.ping(peer.connection), `ping() result for connection ${i}`).to.equal(
            true,
          );
        }
        await waitUntil(() => l.log.pongs.length >= peers.length, h.wait);
        await delay(h.quiet);
        peers.forEach((peer, i) => {
          expect(
            l.log.pongs.filter((pong) => pong.connection === peer.connection).length,
            `pong events attributed to connection ${i}`,
          ).to.equal(1);
        });
        expect(l.log.pongs.length, 'pong events in all').to.equal(peers.length);
      },
    );

    h.test(
      {
        id: 'T-PING-04',
        level: 'MUST',
        title: 'the same connection pinged 5 times, each after the previous pong, answers 5 times',
        requires: 'ping',
      },
      async () => {
        const p = await h.pair();
        for (let i = 1; i <= 5; i++) {
          expect(p.server.ping(p.connection), `ping() result, ping ${i}`).to.equal(true);
          await waitFor(() => p.log.pongs.length >= i, h.wait, `pong ${i} of 5`);
        }
        await delay(h.quiet);
        expect(p.log.pongs.length, 'pong events after 5 pings').to.equal(5);
      },
    );

    h.test(
      {
        id: 'T-PING-05',
        level: 'SHOULD',
        title: 'without a ping there is no pong: frames both ways are not taken for pongs',
      },
      async () => {
        const p = await h.pair();
        for (let i = 0; i < 20; i++) {
          p.client.send(`up ${i}`);
          p.server.send(p.connection, `down ${i}`);
        }
        await waitUntil(
          () => p.log.messagesFrom(p.connection).length >= 20 && p.events.messages.length >= 20,
          h.wait,
        );
        await delay(h.quiet);
        expect(p.log.pongs.length, 'pong events without a ping').to.equal(0);
        expect(p.events.pongs.length, 'client pong events without a ping').to.equal(0);
      },
    );

    h.test(
      {
        id: 'T-PING-06',
        level: 'MUST',
        title:
          'client ping() returns true while open and a client pong event follows, and no frame',
        requires: 'ping',
      },
      async () => {
        const p = await h.pair();
        expect(p.client.ping(), 'client ping() result').to.equal(true);
        await waitFor(() => p.events.pongs.length >= 1, h.wait, 'a client pong event');
        await delay(h.quiet);
        expect(p.events.pongs.length, 'client pong events after one ping').to.equal(1);
        expect(p.log.messagesFrom(p.connection), 'frames the server received').to.have.length(0);
        expect(p.events.messages, 'frames the client received').to.have.length(0);
        expect(p.log.pongs, 'server pong events').to.have.length(0);
      },
    );

    h.test(
      {
        id: 'T-PING-07',
        level: 'MUST',
        title:
          'client ping() returns false without throwing before connect, after close, and without ping in the manifest',
      },
      async () => {
        const fresh = await h.options.createClient();
        let before: boolean | undefined;
        expect(() => (before = fresh.ping()), 'ping() before connect').not.to.throw();
        expect(before, 'ping() result before connect').to.equal(false);
        const p = await h.pair();
        if (!h.options.supports.ping) {
          expect(p.client.ping(), 'ping() result without support').to.equal(false);
          await delay(h.quiet);
          expect(p.events.pongs, 'pong events without support').to.have.length(0);
        }
        await withTimeout(p.client.disconnect(), h.wait, 'disconnect()');
        let after: boolean | undefined;
        expect(() => (after = p.client.ping()), 'ping() after close').not.to.throw();
        expect(after, 'ping() result after close').to.equal(false);
      },
    );

    h.test(
      {
        id: 'T-PING-08',
        level: 'MUST',
        title: 'a client pinging 5 times, each after the previous pong, gets 5 pongs',
        requires: 'ping',
      },
      async () => {
        const p = await h.pair();
        for (let i = 1; i <= 5; i++) {
          expect(p.client.ping(), `client ping() result, ping ${i}`).to.equal(true);
          await waitFor(() => p.events.pongs.length >= i, h.wait, `client pong ${i} of 5`);
        }
        await delay(h.quiet);
        expect(p.events.pongs.length, 'client pong events after 5 pings').to.equal(5);
      },
    );
  });

  h.group('client bufferedAmount', () => {
    h.test(
      {
        id: 'T-BUF-01',
        level: 'MUST',
        title:
          'client bufferedAmount is 0 before connect and after close, a number ≥ 0 while open, and back to 0 once the frames sent arrived',
      },
      async () => {
        const fresh = await h.options.createClient();
        expect(fresh.bufferedAmount, 'bufferedAmount before connect').to.equal(0);
        const p = await h.pair();
        const big = 'x'.repeat(64 * 1024);
        for (let i = 0; i < 8; i++) p.client.send(big);
        const amount = p.client.bufferedAmount;
        expect(amount, 'bufferedAmount while open').to.be.a('number');
        expect(Number.isFinite(amount) && amount >= 0, `bufferedAmount ${amount} ≥ 0`).to.equal(
          true,
        );
        await waitFor(() => p.log.messagesFrom(p.connection).length >= 8, h.wait, 'the 8 frames');
        await waitFor(() => p.client.bufferedAmount === 0, h.wait, 'bufferedAmount back to 0');
        await withTimeout(p.client.disconnect(), h.wait, 'disconnect()');
        expect(p.client.bufferedAmount, 'bufferedAmount after close').to.equal(0);
      },
    );
  });
}
