import { expect } from '../assert.js';
import type { CloseInfo } from '../../src/index.js';
import { delay, waitFor, waitUntil, withTimeout } from '../helpers.js';
import type { Connected, Listening, TransportHarness } from '../transport-harness.js';

/** Close reasons of exactly 123 bytes of UTF-8, the most a close frame carries. */
const LONGEST_REASONS = ['r'.repeat(123), '漢'.repeat(41), `${'👋'.repeat(30)}abc`];

/**
 * Registers the tests of what a close reports on each side: non-ASCII and maximum-length reasons,
 * the empty reason, the initiator's own event, and the code and reason of the server's `close()`.
 */
export function describeCloseInfoTests(h: TransportHarness): void {
  /** The client closes `p` (with `sent`, else the defaults); resolves with the server's reports. */
  async function clientCloses(p: Listening & Connected, sent?: CloseInfo): Promise<CloseInfo[]> {
    await withTimeout(
      sent === undefined ? p.client.disconnect() : p.client.disconnect(sent.code, sent.reason),
      h.wait,
      `disconnect(${sent === undefined ? '' : `${sent.code}, ${JSON.stringify(sent.reason)}`})`,
    );
    await waitFor(
      () => p.log.disconnectsOf(p.connection).length >= 1,
      h.wait,
      'the server disconnect event',
    );
    return p.log.disconnectsOf(p.connection);
  }

  /** The server closes `p` (with `sent`, else the defaults); resolves with the client's reports. */
  async function serverCloses(p: Listening & Connected, sent?: CloseInfo): Promise<CloseInfo[]> {
    await withTimeout(
      sent === undefined
        ? p.server.closeConnection(p.connection)
        : p.server.closeConnection(p.connection, sent.code, sent.reason),
      h.wait,
      `closeConnection(conn${sent === undefined ? '' : `, ${sent.code}, ${JSON.stringify(sent.reason)}`})`,
    );
    await waitFor(() => p.events.closes.length >= 1, h.wait, 'the client close event');
    return p.events.closes;
  }

  h.group('close codes and reasons', () => {
    h.test(
      {
        id: 'T-CLOSE-13',
        level: 'MUST',
        title: 'non-ASCII close reasons (umlauts, emoji, CJK) arrive intact both ways',
      },
      async () => {
        const up = { code: 4010, reason: 'Tschüß 👋🏽 漢字' };
        const atServer = await clientCloses(await h.pair(), up);
        expect(
          atServer,
          `server disconnect events after client disconnect(${up.code}, ${JSON.stringify(up.reason)})`,
        ).to.deep.equal([up]);
        const down = { code: 4011, reason: 'ça va? — 終わり' };
        const atClient = await serverCloses(await h.pair(), down);
        expect(
          atClient,
          `client close events after closeConnection(conn, ${down.code}, ${JSON.stringify(down.reason)})`,
        ).to.deep.equal([down]);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-14',
        level: 'MUST',
        title:
          'close reasons of the maximum 123 bytes of UTF-8 (1-, 3- and 4-byte characters) arrive intact both ways',
      },
      async () => {
        for (const reason of LONGEST_REASONS) {
          const label = `a reason of 123 bytes (${reason.length} UTF-16 units, starts ${JSON.stringify(reason.slice(0, 2))})`;
          const atServer = await clientCloses(await h.pair(), { code: 4020, reason });
          expect(
            atServer,
            `server disconnect events after client disconnect(4020, ${label})`,
          ).to.deep.equal([{ code: 4020, reason }]);
          const atClient = await serverCloses(await h.pair(), { code: 4021, reason });
          expect(
            atClient,
            `client close events after closeConnection(conn, 4021, ${label})`,
          ).to.deep.equal([{ code: 4021, reason }]);
        }
      },
    );

    h.test(
      {
        id: 'T-CLOSE-15',
        level: 'MUST',
        title:
          "a close without a reason reports reason '' on both sides: disconnect() and closeConnection(conn) as {1000, ''}, disconnect(4012, '') as {4012, ''}",
      },
      async () => {
        const normal = { code: 1000, reason: '' };
        const a = await h.pair();
        const atServer = await clientCloses(a);
        expect(atServer, 'server disconnect events after client disconnect()').to.deep.equal([
          normal,
        ]);
        expect(a.events.closes, 'client close events after its own disconnect()').to.deep.equal([
          normal,
        ]);

        const b = await h.pair();
        const atClient = await serverCloses(b);
        expect(atClient, 'client close events after closeConnection(conn)').to.deep.equal([normal]);
        expect(
          b.log.disconnectsOf(b.connection),
          'server disconnect events after its own closeConnection(conn)',
        ).to.deep.equal([normal]);

        const c = await h.pair();
        const withCode = await clientCloses(c, { code: 4012, reason: '' });
        expect(
          withCode,
          "server disconnect events after client disconnect(4012, '')",
        ).to.deep.equal([{ code: 4012, reason: '' }]);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-16',
        level: 'MUST',
        title:
          'the side that starts a close reports the code and reason it sent, not an echo: the client for disconnect(), the server for closeConnection()',
      },
      async () => {
        const a = await h.pair();
        const b = await h.pair();
        await Promise.all([
          withTimeout(a.client.disconnect(4001, 'bye'), h.wait, "disconnect(4001, 'bye')"),
          withTimeout(
            b.server.closeConnection(b.connection, 4002, 'later'),
            h.wait,
            "closeConnection(conn, 4002, 'later')",
          ),
        ]);
        await delay(h.quiet);
        expect(
          a.events.closes,
          "the close events the initiating client reports for its own disconnect(4001, 'bye')",
        ).to.deep.equal([{ code: 4001, reason: 'bye' }]);
        expect(
          b.log.disconnectsOf(b.connection),
          "the disconnect events the initiating server reports for its own closeConnection(conn, 4002, 'later')",
        ).to.deep.equal([{ code: 4002, reason: 'later' }]);
      },
    );

    h.test(
      {
        id: 'T-CLOSE-17',
        level: 'MUST',
        title:
          "server close(code, reason) reaches every client as that {code, reason} and is what the server reports for each; close() without arguments as {1001, 'server shutting down'}",
      },
      async () => {
        const cases: [string, (l: Listening) => Promise<void>, CloseInfo][] = [
          [
            "close(4100, 'maintenance ✓')",
            (l) => l.server.close(4100, 'maintenance ✓'),
            { code: 4100, reason: 'maintenance ✓' },
          ],
          ['close()', (l) => l.server.close(), { code: 1001, reason: 'server shutting down' }],
        ];
        // One server per case, both closed at once: one quiet period covers both.
        const servers: [Listening, Connected[]][] = [];
        for (let n = 0; n < cases.length; n++) {
          const l = await h.listen();
          servers.push([l, await h.connectClients(l, 3)]);
        }
        await Promise.all(
          cases.map(([call, close], n) =>
            withTimeout(close(servers[n][0]), h.wait, `server ${call}`),
          ),
        );
        await waitUntil(
          () =>
            servers.every(([l, peers]) =>
              peers.every(
                (peer) =>
                  peer.events.closes.length >= 1 &&
                  l.log.disconnectsOf(peer.connection).length >= 1,
              ),
            ),
          h.wait,
        );
        await delay(h.quiet);
        cases.forEach(([call, , want], n) => {
          const [l, peers] = servers[n];
          peers.forEach((peer, i) => {
            expect(
              peer.events.closes,
              `close events at client ${i} after server ${call}`,
            ).to.deep.equal([want]);
            expect(
              l.log.disconnectsOf(peer.connection),
              `server disconnect events for client ${i} after server ${call}`,
            ).to.deep.equal([want]);
          });
        });
      },
    );
  });
}
