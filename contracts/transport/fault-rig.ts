// The fault tier's rig: a server with a FaultProxy in front of it, connecting through it, the
// frames the tier sends, and the checks its tests share (frames whole and in order, one close per
// side, flow both ways). Used by fault-frame-tests.ts and fault-lifecycle-tests.ts.
import { expect } from '../assert.js';
import { FaultProxy, type FaultProxyAddress } from '../fault/fault-proxy.js';
import {
  collectClient,
  delay,
  expectNoDifference,
  sequenceDifference,
  waitFor,
  waitUntil,
  withTimeout,
  type ClientEvents,
} from '../helpers.js';
import type { Connected, Listening, TransportHarness } from '../transport-harness.js';
import type { ResolvedFaultTier } from '../transport-options.js';
import { CloseCodes, type AbstractSocket, type ConnectOptions } from '../../src/index.js';

/** The flag the tier's tests require; set by `describeTransportContract` from `options.faults`. */
export const GATE = 'faults';
/** Bytes of the large frame that get through before a mid-frame cut. */
export const CUT_INTO_FRAME = 1000;
/** Size of the frame a mid-frame cut lands in: far larger than CUT_INTO_FRAME, below 1 MiB. */
const LARGE_FRAME = 256 * 1024;

/** A connection the tier cares about: a client, its events and the server's handle. */
export type Peer = Connected;

/** A listening server and a fault proxy in front of it. */
export interface Rig {
  readonly listening: Listening;
  readonly proxy: FaultProxy;
  /** Where the proxy listens. */
  readonly address: FaultProxyAddress;
  /** Connect options that reach the server through the proxy, with a bounded timeout. */
  readonly through: ConnectOptions;
}

export function tierOf(h: TransportHarness): ResolvedFaultTier {
  const faults = h.options.faults;
  // Unreachable: the tests are gated on the flag that says faults were given.
  if (faults === undefined) throw new Error('the fault tier runs only with options.faults');
  return faults;
}

/**
 * Starts a server and a fault proxy in front of it, runs `body`, and closes the proxy whatever
 * happened (bounded: `FaultProxy.close()` resolves within 2 s). The harness closes the server and
 * every client after the test.
 */
export async function withRig(
  h: TransportHarness,
  body: (rig: Rig) => Promise<void>,
  proxyOptions: { chunkSize?: number } = {},
): Promise<void> {
  const faults = tierOf(h);
  const listening = await h.listen();
  const proxy = new FaultProxy({ target: faults.target(listening.address), ...proxyOptions });
  try {
    const address = await withTimeout(proxy.listen(), h.wait, 'the fault proxy’s listen()');
    const through = { timeout: h.wait, ...faults.through(listening.address, address) };
    await body({ listening, proxy, address, through });
  } finally {
    await proxy.close();
  }
}

/**
 * Connects `existing` (or a fresh client) through the proxy and waits for the server's connection
 * event. Connections are made one at a time, so the next one the server reports is this one.
 */
export async function connectThrough(
  h: TransportHarness,
  rig: Rig,
  existing?: { client: AbstractSocket; events: ClientEvents },
): Promise<Peer> {
  const client = existing?.client ?? (await h.createClient());
  const events = existing?.events ?? collectClient(client);
  const log = rig.listening.log;
  const before = log.connections.length;
  await withTimeout(client.connect(rig.through), h.wait, 'connect() through the fault proxy');
  await waitFor(() => log.connections.length > before, h.wait, 'the server connection event');
  return { client, events, connection: log.connections[before].connection };
}

/** `count` distinct numbered text frames, of sizes that vary from a few bytes to ~2 KiB. */
export function numbered(tag: string, count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    return `${tag} #${i} ` + String.fromCharCode(97 + (i % 26)).repeat((i * 131) % 2000);
  });
}

/** One large text frame whose every position is predictable, so a truncation shows. */
export function largeFrame(tag: string): string {
  const unit = `${tag} 0123456789abcdefghijklmnopqrstuvwxyz `;
  return unit.repeat(Math.ceil(LARGE_FRAME / unit.length)).slice(0, LARGE_FRAME);
}

/** Fails unless `delivered` is the start of `sent`: nothing partial, altered, repeated or extra. */
export function expectPrefix(
  delivered: readonly unknown[],
  sent: readonly string[],
  what: string,
): void {
  expectNoDifference(
    sequenceDifference(delivered as string[], sent.slice(0, delivered.length)),
    `${what} (each frame delivered must be the next one sent, whole)`,
  );
}

/** Frames of one connection at the server, and at the client since index `from`. */
export function framesOf(
  rig: Rig,
  peer: Peer,
  from = 0,
): { atServer: unknown[]; atClient: unknown[] } {
  return {
    atServer: rig.listening.log.messagesFrom(peer.connection),
    atClient: peer.events.messages.slice(from),
  };
}

/** Waits until each side of `peer` reported its close (at least once), then a quiet period. */
export async function closedBothSides(h: TransportHarness, rig: Rig, peer: Peer, closes = 1) {
  await waitUntil(
    () =>
      peer.events.closes.length >= closes &&
      rig.listening.log.disconnectsOf(peer.connection).length >= 1,
    h.wait,
  );
  await delay(h.quiet);
}

/** Each side reported exactly one close, with the code of a lost connection (1006). */
export function expectOneAbnormalClose(rig: Rig, peer: Peer, what: string): void {
  expect(
    peer.events.closes.map((c) => c.code),
    `close codes at the client after ${what}`,
  ).to.deep.equal([CloseCodes.ABNORMAL]);
  expect(
    rig.listening.log.disconnectsOf(peer.connection).map((d) => d.code),
    `disconnect codes at the server after ${what}`,
  ).to.deep.equal([CloseCodes.ABNORMAL]);
}

/**
 * Sends `count` frames each way and expects each side to get exactly those, in order, once, on
 * this connection (the client's frames counted from `from`).
 */
export async function expectFlow(
  h: TransportHarness,
  rig: Rig,
  peer: Peer,
  tag: string,
  count: number,
  from = peer.events.messages.length,
): Promise<void> {
  const fromServer = rig.listening.log.messagesFrom(peer.connection).length;
  const up = numbered(`${tag} up`, count);
  const down = numbered(`${tag} down`, count);
  for (let i = 0; i < count; i++) {
    expect(peer.client.send(up[i]), `client send() result (${tag})`).to.equal(true);
    expect(
      rig.listening.server.send(peer.connection, down[i]),
      `server send() result (${tag})`,
    ).to.equal(true);
  }
  await waitUntil(() => {
    const { atServer, atClient } = framesOf(rig, peer, from);
    return atServer.length - fromServer >= count && atClient.length >= count;
  }, h.wait);
  await delay(h.quiet);
  const { atServer, atClient } = framesOf(rig, peer, from);
  expectNoDifference(
    sequenceDifference(atServer.slice(fromServer) as string[], up),
    `client → server (${tag})`,
  );
  expectNoDifference(sequenceDifference(atClient as string[], down), `server → client (${tag})`);
}

/** Resolves once `predicate()` holds, checking once per event-loop turn; false after `ms`. */
export function everyTurnUntil(predicate: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  return new Promise((resolve) => {
    const check = (): void => {
      if (predicate()) resolve(true);
      else if (Date.now() >= deadline) resolve(false);
      else setImmediate(check);
    };
    check();
  });
}
