// What the closing and crash tests share: a node populated with directory entries before it
// goes, and the checks of what the survivors are told and what the directory holds after.
import type { ClusterClient, RemovedClient } from '../../src/index.js';
import { expect } from '../assert.js';
import { entriesDifference, entryOf, sizesDifference } from './directory-tests.js';
import { clientDifference, valueDifference } from './equality.js';
import type { BackplaneHarness, ClusterNode } from './harness.js';

/** The entries of a node about to go and of a survivor, and what their removal must report. */
export interface Population {
  /** The user whose only client is on the leaving node: offline once it is gone. */
  readonly soloUser: string;
  /** The user online on both nodes: still online after. */
  readonly sharedUser: string;
  /** The leaving node's entries, as `nodeGone`'s `removed` must list them. */
  readonly removed: readonly RemovedClient[];
  /** The survivor's entries, which must stay. */
  readonly remaining: readonly ClusterClient[];
  /** The topic sizes once the leaving node's memberships are gone. */
  readonly sizesAfter: Record<string, number>;
}

/**
 * Lists three clients on `leaving` — the only client of one user (in two topics), a client of a
 * user also online on `survivor` (in one topic), an anonymous one — and that second user's client
 * on `survivor`, in the first topic.
 */
export async function populate(
  h: BackplaneHarness,
  leaving: ClusterNode,
  survivor: ClusterNode,
): Promise<Population> {
  const [soloUser, sharedUser] = [h.id('user'), h.id('user')];
  const [t1, t2] = [h.id('topic'), h.id('topic')];
  const solo = entryOf(leaving, h.id('client'), { user: soloUser, principal: { sub: soloUser } });
  const shared = entryOf(leaving, h.id('client'), { user: sharedUser });
  const anonymous = entryOf(leaving, h.id('client'));
  const peer = entryOf(survivor, h.id('client'), { user: sharedUser });
  for (const client of [solo, shared, anonymous]) await leaving.backplane.addClient(client);
  await survivor.backplane.addClient(peer);
  await leaving.backplane.joinTopic(solo.id, t1);
  await leaving.backplane.joinTopic(solo.id, t2);
  await leaving.backplane.joinTopic(shared.id, t1);
  await survivor.backplane.joinTopic(peer.id, t1);
  // Everything written before the node goes: the reads may lag a write by a packet's time.
  await h.eventually(
    'the entries before the node goes',
    () => survivor.backplane.getClients(),
    (list) => entriesDifference(list, [solo, shared, anonymous, peer]),
  );
  return {
    soloUser,
    sharedUser,
    removed: [
      { ...solo, topics: [t1, t2], userOffline: true },
      { ...shared, topics: [t1], userOffline: false },
      { ...anonymous, topics: [], userOffline: false },
    ],
    remaining: [peer],
    sizesAfter: { [t1]: 1 },
  };
}

/** Describes how a `removed` list differs from `expected` (in any order), or undefined. */
export function removedDifference(
  actual: readonly RemovedClient[],
  expected: readonly RemovedClient[],
): string | undefined {
  const listed = entriesDifference(actual, expected);
  if (listed !== undefined) return listed;
  for (const want of expected) {
    const have = actual.find((c) => c.id === want.id);
    const base = clientDifference(have, want);
    if (base !== undefined) return base;
    const got: unknown = have?.topics;
    const topics = valueDifference(
      Array.isArray(got) ? [...(got as string[])].sort() : got,
      [...want.topics].sort(),
      `topics of ${want.id}`,
    );
    if (topics !== undefined) return topics;
    if (have?.userOffline !== want.userOffline) {
      return `userOffline of ${want.id} (user ${String(want.user)}) is ${String(have?.userOffline)}, expected ${want.userOffline}`;
    }
  }
  return undefined;
}

/**
 * Waits (up to `ms`) until every survivor has been told `gone` left, then the quiet period, and
 * checks that each was told once and exactly one of them with the removed entries; resolves with
 * that list.
 */
export async function expectGoneOnce(
  h: BackplaneHarness,
  survivors: readonly ClusterNode[],
  gone: ClusterNode,
  ms: number,
): Promise<readonly RemovedClient[]> {
  await h.until(
    () => survivors.every((s) => s.log.goneOf(gone.id).length > 0),
    `nodeGone(${gone.id}) on every survivor`,
    ms,
  );
  await h.quiet();
  for (const survivor of survivors) {
    expect(
      survivor.log.goneOf(gone.id),
      `nodeGone(${gone.id}) calls on ${survivor.id}`,
    ).to.have.length(1);
  }
  const lists = survivors
    .map((s) => s.log.goneOf(gone.id)[0].removed)
    .filter((removed) => removed !== undefined);
  expect(lists, `survivors given the removed entries of ${gone.id}`).to.have.length(1);
  expect(lists[0], 'the removed entries').to.be.an('array');
  return lists[0];
}

/**
 * Checks, on every survivor, that the gone node is no longer listed, nor are its entries and
 * memberships, and that its users' presence followed: the user it was the only one of is offline
 * (a new client of theirs brings them online), the other is still online.
 */
export async function expectCleaned(
  h: BackplaneHarness,
  survivors: readonly ClusterNode[],
  gone: ClusterNode,
  population: Population,
): Promise<void> {
  for (const s of survivors) {
    await h.eventually(
      `nodes() on ${s.id} without ${gone.id}`,
      () => s.backplane.nodes(),
      (ids) => (ids.includes(gone.id) ? `it still lists ${gone.id}` : undefined),
    );
    await h.eventually(
      `getClients() on ${s.id}`,
      () => s.backplane.getClients(),
      (list) => entriesDifference(list, population.remaining),
    );
    await h.eventually(
      `topicSizes() on ${s.id}`,
      () => s.backplane.topicSizes(),
      (sizes) => sizesDifference(sizes, population.sizesAfter),
    );
    for (const entry of population.removed) {
      expect(await s.backplane.getClient(entry.id), `getClient(${entry.id}) on ${s.id}`).to.equal(
        undefined,
      );
    }
  }
  const [first] = survivors;
  const back = entryOf(first, h.id('client'), { user: population.soloUser });
  expect(
    (await first.backplane.addClient(back)).changed,
    `adding a client of ${population.soloUser}, whose only client was on the gone node: changed`,
  ).to.equal(true);
  const again = entryOf(first, h.id('client'), { user: population.sharedUser });
  expect(
    (await first.backplane.addClient(again)).changed,
    `adding a client of ${population.sharedUser}, still online elsewhere: changed`,
  ).to.equal(false);
}
