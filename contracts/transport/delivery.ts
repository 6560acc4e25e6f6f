import { expect } from '../assert.js';
import type { AnyFrame } from '../../src/index.js';
import {
  delay,
  expectNoDifference,
  frameDifference,
  sequenceDifference,
  waitUntil,
} from '../helpers.js';
import type { Connected, Listening, TransportHarness } from '../transport-harness.js';

// Delivery checks shared by the frame tests and the structured-frame tests: the same promise
// (a frame arrives once, intact and of its kind) over each way of sending one.

/**
 * Sends each of `frames` client→server and server→client (interleaved, frame by frame) and
 * expects each side to get exactly `frames`, in order, each of its kind, and nothing else.
 */
export async function expectBothWays(
  h: TransportHarness,
  p: Listening & Connected,
  frames: readonly AnyFrame[],
): Promise<void> {
  for (const frame of frames) {
    expect(p.client.send(frame), 'client send() result').to.equal(true);
    expect(p.server.send(p.connection, frame), 'server send() result').to.equal(true);
  }
  await waitUntil(
    () =>
      p.log.messagesFrom(p.connection).length >= frames.length &&
      p.events.messages.length >= frames.length,
    h.wait,
  );
  await delay(h.quiet);
  expectNoDifference(
    sequenceDifference(p.log.messagesFrom(p.connection), frames),
    'client → server',
  );
  expectNoDifference(sequenceDifference(p.events.messages, frames), 'server → client');
}

/** Prepares `frame` once and sends it to three connections; each must get it exactly once. */
export async function expectPreparedDelivery(h: TransportHarness, frame: AnyFrame): Promise<void> {
  const l = await h.listen();
  const peers = await h.connectClients(l, 3);
  const prepared = l.server.prepare(frame);
  for (const peer of peers) {
    expect(l.server.sendPrepared(peer.connection, prepared), 'sendPrepared() result').to.equal(
      true,
    );
  }
  await waitUntil(() => peers.every((peer) => peer.events.messages.length >= 1), h.wait);
  await delay(h.quiet);
  peers.forEach((peer, i) => {
    expect(peer.events.messages, `frames at client ${i}`).to.have.length(1);
    expectNoDifference(frameDifference(peer.events.messages[0], frame), `frame at client ${i}`);
  });
}

/**
 * Sends `frame` with one `sendMany()` to two of four connections plus one that has already closed;
 * the two must get it exactly once, the others never, and the count must be 2.
 */
export async function expectSendManyDelivery(h: TransportHarness, frame: AnyFrame): Promise<void> {
  const l = await h.listen();
  const peers = await h.connectClients(l, 4);
  const [gone, left, a, b] = peers;
  await l.server.closeConnection(gone.connection);
  const sent = l.server.sendMany([a.connection, gone.connection, b.connection], frame);
  expect(sent, 'sendMany() result').to.equal(2);
  await waitUntil(() => a.events.messages.length >= 1 && b.events.messages.length >= 1, h.wait);
  await delay(h.quiet);
  for (const [name, peer] of [
    ['first listed', a],
    ['second listed', b],
  ] as const) {
    expect(peer.events.messages, `frames at the ${name} client`).to.have.length(1);
    expectNoDifference(
      frameDifference(peer.events.messages[0], frame),
      `frame at the ${name} client`,
    );
  }
  expect(left.events.messages, 'frames at the unlisted client').to.have.length(0);
  expect(gone.events.messages, 'frames at the closed client').to.have.length(0);
}
