// What the closing and crash tests share: a node populated with directory entries before it
// goes, and the checks of what the survivors are told and what the directory holds after.
import type { ClusterClient, RemovedClient } from '../../src/index.js';
import { expect } from '../assert.js';
import { entriesDifference, entryOf, sizesDifference } from './directory-tests.js';
import { topicsDifference } from './equality.js';
import type { BackplaneHarness, ClusterNode } from './harness.js';

/**
 * A removed entry as the test expects it: `userOffline` true or false, or `'one'` for entries of
 * a user removed together of which exactly one (the last online one) must be marked.
 */
export interface ExpectedRemoved extends ClusterClient {
  readonly topics: readonly string[];
  readonly userOffline: boolean | 'one';
}

/** The entries of a node about to go and of a survivor, and what their removal must report. */
export interface Population {
  /** The users with no online client left once the leaving node is gone. */
  readonly offlineUsers: readonly string[];
  /** The user online on both nodes: still online after. */
  readonly sharedUser: string;
  /** The leaving node's entries, as `nodeGone`'s `removed` must list them. */
  readonly removed: readonly ExpectedRemoved[];
  /** The survivor's entries, which must stay. */
  readonly remaining: readonly ClusterClient[];
  /** The topic sizes once the leaving node's memberships are gone. */
  readonly sizesAfter: Record<string, number>;
}

/**
 * Lists on `leaving`: the only client of one user (in two topics); a client of a user also online
 * on `survivor` (in one topic); an anonymous one; two online clients of one user (one in both
 * topics, joined in the other order); the only client of a user, parked; and an online and a
 * parked client of one more user. On `survivor`: the second user's client, in the first topic.
 * Once they are all gone, `userOffline` is true for the first user's entry, for exactly one of
 * the two online clients of one user, and for the online client of the last user; false for the
 * rest: the user online elsewhere, the anonymous client, and the parked ones (whose users were
 * not online through them).
 */
export async function populate(
  h: BackplaneHarness,
  leaving: ClusterNode,
  survivor: ClusterNode,
): Promise<Population> {
  const [soloUser, sharedUser, twinUser, parkedUser, mixedUser] = [
    h.id('user'),
    h.id('user'),
    h.id('user'),
    h.id('user'),
    h.id('user'),
  ];
  const [t1, t2] = [h.id('topic'), h.id('topic')];
  const solo = entryOf(leaving, h.id('client'), { user: soloUser, principal: { sub: soloUser } });
  const shared = entryOf(leaving, h.id('client'), { user: sharedUser });
  const anonymous = entryOf(leaving, h.id('client'));
  const twin1 = entryOf(leaving, h.id('client'), { user: twinUser });
  const twin2 = entryOf(leaving, h.id('client'), { user: twinUser });
  const parked = entryOf(leaving, h.id('client'), { user: parkedUser, parked: true });
  const mixedOnline = entryOf(leaving, h.id('client'), { user: mixedUser });
  const mixedParked = entryOf(leaving, h.id('client'), { user: mixedUser, parked: true });
  const peer = entryOf(survivor, h.id('client'), { user: sharedUser });
  const mine = [solo, shared, anonymous, twin1, twin2, parked, mixedOnline, mixedParked];
  for (const client of mine) await leaving.backplane.addClient(client);
  await survivor.backplane.addClient(peer);
  await leaving.backplane.joinTopic(solo.id, t1);
  await leaving.backplane.joinTopic(solo.id, t2);
  await leaving.backplane.joinTopic(shared.id, t1);
  // Joined in the other order than listed below: topics compare as sets.
  await leaving.backplane.joinTopic(twin2.id, t2);
  await leaving.backplane.joinTopic(twin2.id, t1);
  await survivor.backplane.joinTopic(peer.id, t1);
  // Everything written before the node goes: the reads may lag a write by a packet's time.
  await h.eventually(
    'the entries before the node goes',
    () => survivor.backplane.getClients(),
    (list) => entriesDifference(list, [...mine, peer]),
  );
  return {
    offlineUsers: [soloUser, twinUser, parkedUser, mixedUser],
    sharedUser,
    removed: [
      { ...solo, topics: [t1, t2], userOffline: true },
      { ...shared, topics: [t1], userOffline: false },
      { ...anonymous, topics: [], userOffline: false },
      { ...twin1, topics: [], userOffline: 'one' },
      { ...twin2, topics: [t1, t2], userOffline: 'one' },
      { ...parked, topics: [], userOffline: false },
      { ...mixedOnline, topics: [], userOffline: true },
      { ...mixedParked, topics: [], userOffline: false },
    ],
    remaining: [peer],
    sizesAfter: { [t1]: 1 },
  };
}

/**
 * Describes how a `removed` list differs from `expected` (entries in any order, each one's topics
 * in any order), or undefined.
 */
export function removedDifference(
  actual: readonly RemovedClient[],
  expected: readonly ExpectedRemoved[],
): string | undefined {
  // The entries as listed first; their topics and userOffline each with a message of its own.
  const entries = expected.map(({ topics: _topics, userOffline: _offline, ...entry }) => entry);
  const listed = entriesDifference(actual, entries);
  if (listed !== undefined) return listed;
  const marked = new Map<string, string[]>();
  for (const want of expected) {
    const have = actual.find((c) => c.id === want.id);
    const { topics, userOffline } = want;
    const topicDifference = topicsDifference(have?.topics, topics, `topics of ${want.id}`);
    if (topicDifference !== undefined) return topicDifference;
    const got = have?.userOffline;
    const state = `${want.parked === true ? 'parked' : 'online'} client of user ${String(want.user)}`;
    if (userOffline === 'one') {
      if (typeof got !== 'boolean') {
        return `userOffline of ${want.id} (${state}) is ${String(got)}, expected a boolean`;
      }
      const user = String(want.user);
      if (got) marked.set(user, [...(marked.get(user) ?? []), want.id]);
      else if (!marked.has(user)) marked.set(user, []);
    } else if (got !== userOffline) {
      return `userOffline of ${want.id} (${state}) is ${String(got)}, expected ${userOffline}`;
    }
  }
  for (const [user, ids] of marked) {
    if (ids.length !== 1) {
      return `of the entries of user ${user} removed together, ${ids.length} have userOffline true (${JSON.stringify(ids)}), expected exactly one: the last online one`;
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
 * memberships, and that its users' presence followed: the users whose online clients were all on
 * it are offline (a new client of theirs brings them online), the one online elsewhere is not.
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
  for (const user of population.offlineUsers) {
    const back = entryOf(first, h.id('client'), { user });
    expect(
      (await first.backplane.addClient(back)).changed,
      `adding a client of ${user}, whose online clients were all on the gone node: changed`,
    ).to.equal(true);
  }
  const again = entryOf(first, h.id('client'), { user: population.sharedUser });
  expect(
    (await first.backplane.addClient(again)).changed,
    `adding a client of ${population.sharedUser}, still online elsewhere: changed`,
  ).to.equal(false);
}
