// The fault tier's tests of connecting, reconnecting and closing (T-FAULT-06..09, 11): the same
// client after every kind of cut, a connect to a server that never answers, a server closed during
// a half-done handshake, many connections cut at random points, and the peer address a TCP
// connection reports.
import { expect } from '../assert.js';
import {
  collectClient,
  delay,
  rejectionOf,
  waitFor,
  waitUntil,
  withTimeout,
  type ClientEvents,
} from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';
import {
  closedBothSides,
  connectThrough,
  CUT_INTO_FRAME,
  expectFlow,
  expectPrefix,
  GATE,
  largeFrame,
  numbered,
  tierOf,
  withRig,
  type Peer,
} from './fault-rig.js';

/** Connections cut at random points by the chaos test, and the seed of the cut points. */
const RANDOM_CONNECTIONS = 20;
const RANDOM_SEED = 0x5eed_f417;
/** Most bytes (both directions) a random cut lets through; frames stream far past it. */
const RANDOM_MAX_BYTES = 24 * 1024;
/** Frames each side streams per connection at most, ten per timer turn. */
const STREAM_FRAMES = 400;

/** Registers T-FAULT-06..09 and T-FAULT-11 in the fault tier's group. */
export function describeFaultLifecycleTests(h: TransportHarness): void {
  h.test(
    {
      id: 'T-FAULT-06',
      level: 'MUST',
      title:
        'after a cut (mid-frame either way, or a reset) the same client connects again and frames then flow exactly once, none carried over from the cut connection',
      requires: GATE,
    },
    () =>
      withRig(h, async (rig) => {
        const client = await h.createClient();
        const events = collectClient(client);
        const server = rig.listening.server;
        const cuts: { what: string; apply(peer: Peer): void }[] = [
          {
            what: 'a cut inside a client → server frame',
            apply: (peer) => {
              rig.proxy.cutAfter(CUT_INTO_FRAME, { direction: 'up' });
              peer.client.send(largeFrame('up'));
            },
          },
          {
            what: 'a cut inside a server → client frame',
            apply: (peer) => {
              rig.proxy.cutAfter(CUT_INTO_FRAME, { direction: 'down' });
              server.send(peer.connection, largeFrame('down'));
            },
          },
          {
            what: 'a TCP reset',
            apply: () => void rig.proxy.cut(),
          },
        ];
        for (let cycle = 0; cycle <= cuts.length; cycle++) {
          const after =
            cycle === 0 ? 'the first connect' : `reconnecting after ${cuts[cycle - 1].what}`;
          const peer = await connectThrough(h, rig, { client, events });
          await expectFlow(h, rig, peer, after, 5);
          if (cycle === cuts.length) break;
          cuts[cycle].apply(peer);
          await closedBothSides(h, rig, peer, cycle + 1);
          expect(events.closes, `client close events after ${cuts[cycle].what}`).to.have.length(
            cycle + 1,
          );
          expect(
            rig.listening.log.disconnectsOf(peer.connection),
            `server disconnect events after ${cuts[cycle].what}`,
          ).to.have.length(1);
          rig.proxy.reset();
        }
        expect(events.opens, 'client open events').to.have.length(cuts.length + 1);
        expect(events.closes, 'client close events').to.have.length(cuts.length);
      }),
  );

  h.test(
    {
      id: 'T-FAULT-07',
      level: 'MUST',
      title:
        'connect() to a server that accepts TCP but never answers the handshake rejects with CONNECTION_FAILED within its timeout, and the same client then connects',
      requires: GATE,
    },
    () =>
      withRig(h, async (rig) => {
        rig.proxy.blackhole();
        const client = await h.createClient();
        const events = collectClient(client);
        const timeout = Math.min(h.refusalTimeout, 1000);
        const started = Date.now();
        const error = await rejectionOf(
          client.connect({ ...rig.through, timeout }),
          h.wait,
          'connect() to a server that never answers',
        );
        const elapsed = Date.now() - started;
        expect(error, 'the connect() rejection').to.have.property('code', 'CONNECTION_FAILED');
        // Slack above the timeout for timers on a busy machine; much later means the adapter
        // ignored the timeout it was given (the port's connect() promises CONNECTION_FAILED).
        expect(elapsed, 'ms until connect() rejected').to.be.at.most(timeout * 1.5 + 250);
        expect(rig.proxy.stats.blackholed, 'connections that reached the proxy').to.be.at.least(1);
        expect(client.isOpen, 'client.isOpen after the failed connect').to.equal(false);
        expect(events.opens, 'open events of the failed connect').to.have.length(0);
        expect(events.closes, 'close events of the failed connect').to.have.length(0);
        // A connect that timed out must let go of its TCP connection, not leave it dangling.
        await waitFor(
          () => rig.proxy.connections === 0,
          h.wait,
          'the timed-out connect to close its TCP connection to the silent server',
        );
        rig.proxy.reset();
        const peer = await connectThrough(h, rig, { client, events });
        await expectFlow(h, rig, peer, 'after the failed connect', 3);
      }),
  );

  h.test(
    {
      id: 'T-FAULT-08',
      level: 'MUST',
      title:
        'server close() while a raw TCP peer is half-way through a handshake resolves within the bound and releases the port',
      requires: GATE,
    },
    async () => {
      const faults = tierOf(h);
      const l = await h.listen();
      const target = faults.target(l.address);
      // Loaded here, not at the top of the file: importing the suites loads no Node networking
      // module (they can be bundled for other runtimes); only the fault tests need one.
      const net = await import('node:net');
      // A peer that opens TCP, sends two bytes and then nothing: the start of an HTTP request
      // line ("GE"), or half the header of a length-prefixed frame. Not a connection yet. It
      // reads (and drops) whatever the server sends and answers a FIN with its own, as a live
      // process does: only its handshake never completes.
      const raw = net.connect({ host: target.host, port: target.port });
      raw.on('error', () => undefined);
      raw.resume();
      try {
        await withTimeout(
          new Promise<void>((resolve) => raw.once('connect', () => resolve())),
          h.wait,
          'the raw TCP connect',
        );
        raw.write('GE');
        // Lets the server accept it and read the two bytes.
        await delay(h.quiet);
        await withTimeout(
          l.server.close(),
          h.wait,
          'server close() with a half-done handshake open',
        );
        const probe = net.createServer();
        try {
          await withTimeout(
            new Promise<void>((resolve, reject) => {
              probe.once('error', reject);
              probe.listen(target.port, target.host, () => resolve());
            }),
            h.wait,
            `listening on ${target.host}:${target.port} again`,
          ).catch((error: unknown) => {
            expect.fail(
              `the port ${target.port} is still held after close() resolved: ${error instanceof Error ? error.message : String(error)}`,
            );
          });
        } finally {
          await new Promise<void>((resolve) => probe.close(() => resolve()));
        }
      } finally {
        raw.destroy();
      }
    },
  );

  h.test(
    {
      id: 'T-FAULT-09',
      level: 'MUST',
      title: `${RANDOM_CONNECTIONS} connections cut at random points (seed 0x${RANDOM_SEED.toString(16)}) while both sides stream never deliver a partial, altered or repeated frame, and each side closes each connection once`,
      requires: GATE,
    },
    () =>
      withRig(h, async (rig) => {
        const log = rig.listening.log;
        const server = rig.listening.server;
        rig.proxy.cutAtRandom({ seed: RANDOM_SEED, minBytes: 0, maxBytes: RANDOM_MAX_BYTES });
        const runs: {
          index: number;
          events: ClientEvents;
          opened: boolean;
          connections: Peer['connection'][];
          up: string[];
          down: string[];
        }[] = [];
        for (let index = 0; index < RANDOM_CONNECTIONS; index++) {
          const client = await h.createClient();
          const events = collectClient(client);
          const before = log.connections.length;
          const opened = await withTimeout(
            client.connect(rig.through),
            h.wait,
            `connect() #${index}`,
          ).then(
            () => true,
            // A cut inside the handshake fails the connect: allowed, and checked below.
            () => false,
          );
          if (opened) {
            await waitFor(
              () => log.connections.length > before,
              h.wait,
              `the server connection event #${index}`,
            );
          } else await delay(h.quiet);
          const connections = log.connections.slice(before).map((c) => c.connection);
          const run = {
            index,
            events,
            opened,
            connections,
            up: [] as string[],
            down: [] as string[],
          };
          runs.push(run);
          const connection = connections[0];
          if (opened && connection !== undefined) {
            const up = numbered(`c${index}`, STREAM_FRAMES);
            const down = numbered(`s${index}`, STREAM_FRAMES);
            for (let i = 0; i < STREAM_FRAMES; i += 10) {
              for (let j = i; j < i + 10; j++) {
                if (client.isOpen && client.send(up[j])) run.up.push(up[j]);
                if (server.isClientConnected(connection) && server.send(connection, down[j]))
                  run.down.push(down[j]);
              }
              if (!client.isOpen && !server.isClientConnected(connection)) break;
              await delay(1);
            }
            // Every byte budget is far below what streams, so only a broken adapter gets here
            // with the connection still open; closing it keeps the close counts meaningful.
            if (client.isOpen)
              await withTimeout(client.disconnect(), h.wait, `disconnect() #${index}`);
          }
          await waitUntil(
            () =>
              (!opened || events.closes.length >= 1) &&
              connections.every((c) => log.disconnectsOf(c).length >= 1),
            h.wait,
          );
        }
        await delay(h.quiet);
        for (const run of runs) {
          const what = `connection #${run.index} (seed 0x${RANDOM_SEED.toString(16)})`;
          expect(run.connections.length, `server connection events for ${what}`).to.be.at.most(1);
          expect(run.events.opens, `client open events for ${what}`).to.have.length(
            run.opened ? 1 : 0,
          );
          expect(run.events.closes, `client close events for ${what}`).to.have.length(
            run.opened ? 1 : 0,
          );
          for (const connection of run.connections) {
            expect(
              log.disconnectsOf(connection),
              `server disconnect events for ${what}`,
            ).to.have.length(1);
            expectPrefix(log.messagesFrom(connection), run.up, `frames at the server, ${what}`);
          }
          expectPrefix(run.events.messages, run.down, `frames at the client, ${what}`);
        }
        expect(
          runs.filter((run) => run.opened).length,
          'connections that opened (most random cuts land after the handshake)',
        ).to.be.at.least(RANDOM_CONNECTIONS / 2);
      }),
  );

  h.test(
    {
      id: 'T-FAULT-11',
      level: 'MUST',
      title:
        'over TCP the handshake’s remoteAddress is the peer’s IP address (no port), and a client-sent X-Forwarded-For header does not change it',
      requires: GATE,
    },
    () =>
      withRig(h, async (rig) => {
        if (!h.options.supports.remoteAddress) return;
        const { isIP } = await import('node:net');
        const spoofed = '6.6.6.6';
        // Without handshakeHeaders the client cannot send the header: only the address is checked.
        const headers = h.options.supports.handshakeHeaders
          ? { headers: { 'X-Forwarded-For': spoofed } }
          : {};
        const client = await h.createClient();
        const log = rig.listening.log;
        const before = log.connections.length;
        await withTimeout(
          client.connect({ ...rig.through, ...headers }),
          h.wait,
          'connect() through the fault proxy',
        );
        await waitFor(() => log.connections.length > before, h.wait, 'the server connection event');
        const remote = log.connections[before].value.remoteAddress;
        expect(isIP(String(remote)), `isIP(remoteAddress) for ${String(remote)}`).to.not.equal(0);
        expect(remote, 'remoteAddress with a client-sent X-Forwarded-For').to.not.equal(spoofed);
      }),
  );
}
