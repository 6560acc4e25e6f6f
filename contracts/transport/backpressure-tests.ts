import { expect } from '../assert.js';
import type { AbstractSocketServer, Frame, ServerConnection } from '../../src/index.js';
import { delay, printableAscii, pseudoRandomBytes, waitFor, withTimeout } from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';

const KIB = 1024;
const MIB = 1024 * KIB;
/** The frames that build a backlog: large enough that a few dozen pass the default mark. */
const FILLER_SIZE = 64 * KIB;
/**
 * The most the saturation loop writes without yielding: more than a loopback TCP connection's
 * kernel buffers take on common systems, so a transport that reports its backlog goes above
 * `highWaterMark` well before, and far below the default `maxBufferedAmount` it never reaches (the
 * loop stops at the mark).
 */
const FILLER_BOUND = 48 * MIB;

/**
 * Writes filler frames to `connection`, without yielding, until the server reports it is not
 * writable (its backlog is above `highWaterMark`) or {@link FILLER_BOUND} bytes went out.
 * Deterministic whatever the transport: nothing can read meanwhile, because the suite's clients
 * run on this event loop. Returns how many frames it sent and whether the connection saturated;
 * a transport that reports no backlog (`doBufferedAmount` left at 0) never does.
 */
function saturate(
  server: AbstractSocketServer,
  connection: ServerConnection,
  filler: Frame,
): { sent: number; saturated: boolean } {
  let sent = 0;
  for (let written = 0; written < FILLER_BOUND; written += FILLER_SIZE) {
    if (!server.isWritable(connection)) return { sent, saturated: true };
    expect(server.send(connection, filler), `server send() result, filler frame ${sent}`).to.equal(
      true,
    );
    sent++;
  }
  return { sent, saturated: !server.isWritable(connection) };
}

/**
 * Registers the tests of backpressure (docs/backpressure.md): the backlog a server reports,
 * volatile frames, and waiting for a saturated connection to drain. Tests that need a real backlog
 * build one by writing without yielding and check what follows from what the adapter then
 * reports, so they hold (and check something) whether or not the transport keeps a backlog.
 */
export function describeBackpressureTests(h: TransportHarness): void {
  const filler = (): Frame =>
    h.options.supports.binary ? pseudoRandomBytes(FILLER_SIZE, 7) : printableAscii(FILLER_SIZE, 7);

  h.group('backpressure', () => {
    h.test(
      {
        id: 'T-BACKPRESSURE-01',
        level: 'MUST',
        title:
          'bufferedAmount(conn) is a finite number ≥ 0, isWritable(conn) is true on an idle open connection, and after close they are 0 and false',
      },
      async () => {
        const p = await h.pair();
        const idle = p.server.bufferedAmount(p.connection);
        expect(typeof idle, 'typeof bufferedAmount()').to.equal('number');
        expect(Number.isFinite(idle) && idle >= 0, `bufferedAmount() = ${idle} is ≥ 0`).to.equal(
          true,
        );
        expect(p.server.isWritable(p.connection), 'isWritable() when idle').to.equal(true);
        expect(p.connection.writable, 'connection.writable when idle').to.equal(true);
        for (let i = 0; i < 10; i++) p.server.send(p.connection, `frame ${i}`);
        const busy = p.server.bufferedAmount(p.connection);
        expect(
          Number.isFinite(busy) && busy >= 0,
          `bufferedAmount() = ${busy} after sending is ≥ 0`,
        ).to.equal(true);
        await waitFor(() => p.events.messages.length === 10, h.wait, 'the 10 frames');
        await withTimeout(p.server.closeConnection(p.connection), h.wait, 'closeConnection()');
        expect(p.server.bufferedAmount(p.connection), 'bufferedAmount() after close').to.equal(0);
        expect(p.server.isWritable(p.connection), 'isWritable() after close').to.equal(false);
      },
    );

    h.test(
      {
        id: 'T-BACKPRESSURE-02',
        level: 'MUST',
        title:
          'volatile frames to connections that are not saturated are delivered, in order with ordinary ones, by send(), sendMany() and sendPrepared()',
      },
      async () => {
        const l = await h.listen();
        const [a, b] = await h.connectClients(l, 2);
        const volatile = { volatile: true } as const;
        expect(l.server.send(a.connection, 'one'), 'send() result').to.equal(true);
        expect(l.server.send(a.connection, 'two', volatile), 'volatile send() result').to.equal(
          true,
        );
        expect(
          l.server.sendMany([a.connection, b.connection], 'three', volatile),
          'volatile sendMany() result',
        ).to.equal(2);
        expect(
          l.server.sendPrepared(a.connection, l.server.prepare('four'), volatile),
          'volatile sendPrepared() result',
        ).to.equal(true);
        expect(a.connection.send('five'), 'connection.send() result').to.equal(true);
        await waitFor(() => a.events.messages.length >= 5, h.wait, 'five frames at client a');
        await waitFor(() => b.events.messages.length >= 1, h.wait, 'one frame at client b');
        await delay(h.quiet);
        expect(a.events.messages, 'frames at client a').to.deep.equal([
          'one',
          'two',
          'three',
          'four',
          'five',
        ]);
        expect(b.events.messages, 'frames at client b').to.deep.equal(['three']);
        expect(l.server.volatileDropped, 'server volatileDropped').to.equal(0);
        expect(a.connection.volatileDropped, 'connection volatileDropped').to.equal(0);
        expect(
          l.log.errors.map((e) => e.error.code),
          'server error events',
        ).to.deep.equal([]);
      },
    );

    h.test(
      {
        id: 'T-BACKPRESSURE-03',
        level: 'MUST',
        title:
          'whenDrained(conn) resolves at once for an idle connection and for a closed one, and resolves for a saturated one when it is closed',
      },
      async () => {
        const p = await h.pair();
        let settled = false;
        void p.server.whenDrained(p.connection).then(() => (settled = true));
        // Promise jobs only: no timer, no I/O.
        for (let i = 0; i < 5; i++) await Promise.resolve();
        expect(settled, 'whenDrained() of an idle connection settled without I/O').to.equal(true);

        const { saturated } = saturate(p.server, p.connection, filler());
        const drained = p.server.whenDrained(p.connection);
        if (saturated) {
          p.server.terminateConnection(p.connection);
        } else {
          await withTimeout(p.server.closeConnection(p.connection), h.wait, 'closeConnection()');
        }
        await withTimeout(drained, h.wait, 'whenDrained() once the connection closed');
        settled = false;
        void p.server.whenDrained(p.connection).then(() => (settled = true));
        for (let i = 0; i < 5; i++) await Promise.resolve();
        expect(settled, 'whenDrained() of a closed connection settled without I/O').to.equal(true);
      },
    );

    h.test(
      {
        id: 'T-BACKPRESSURE-04',
        level: 'MUST',
        title:
          'above highWaterMark a volatile frame is skipped (false, counted, no error) while ordinary frames still go and all arrive in order; whenDrained then resolves at half the mark or below',
      },
      async () => {
        const l = await h.listen();
        const [slow, other] = await h.connectClients(l, 2);
        const { server } = l;
        const { sent, saturated } = saturate(server, slow.connection, filler());
        const volatile = { volatile: true } as const;
        // Still without yielding: the backlog is what the loop left.
        const direct = server.send(slow.connection, 'volatile-1', volatile);
        const many = server.sendMany([slow.connection, other.connection], 'volatile-2', volatile);
        expect(server.send(slow.connection, 'last'), 'ordinary send() after the filler').to.equal(
          true,
        );
        const drained = server.whenDrained(slow.connection);
        if (saturated) {
          expect(direct, 'volatile send() to a saturated connection').to.equal(false);
          expect(many, 'volatile sendMany() reaches only the connection not saturated').to.equal(1);
          expect(server.volatileDropped, 'server volatileDropped').to.equal(2);
          expect(slow.connection.volatileDropped, 'connection volatileDropped').to.equal(2);
          expect(other.connection.volatileDropped, 'other connection volatileDropped').to.equal(0);
        } else {
          // The transport reports no backlog above the mark: nothing is saturated, all goes.
          expect(direct, 'volatile send() to a connection that is not saturated').to.equal(true);
          expect(many, 'volatile sendMany() result').to.equal(2);
        }
        const expected = 1 + sent + (saturated ? 0 : 2);
        await waitFor(
          () => slow.events.messages.length >= expected || slow.events.closes.length > 0,
          h.wait,
          `the ${expected} frames at the saturated client`,
        );
        await waitFor(() => other.events.messages.length >= 1, h.wait, 'the other client’s frame');
        await withTimeout(drained, h.wait, 'whenDrained() of the saturated connection');
        expect(
          server.bufferedAmount(slow.connection),
          'bufferedAmount() once the frames arrived',
        ).to.be.at.most(server.highWaterMark / 2);
        expect(server.isWritable(slow.connection), 'isWritable() once drained').to.equal(true);
        await delay(h.quiet);
        expect(slow.events.closes, 'close events of the saturated client').to.deep.equal([]);
        const texts = slow.events.messages.filter((m): m is string => typeof m === 'string');
        expect(
          texts.slice(-1),
          'the last frame arrives last (and no volatile frame after it)',
        ).to.deep.equal(['last']);
        expect(slow.events.messages.length, 'frames at the saturated client').to.equal(expected);
        if (saturated) {
          expect(
            texts.filter((t) => t.startsWith('volatile')),
            'volatile frames at the saturated client',
          ).to.deep.equal([]);
        }
        expect(other.events.messages, 'frames at the other client').to.deep.equal(['volatile-2']);
        expect(
          l.log.errors.map((e) => e.error.code),
          'server error events',
        ).to.deep.equal([]);
      },
    );
  });
}
