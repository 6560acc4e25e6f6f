import type { ClusterClient } from '../../src/index.js';
import { expect } from '../assert.js';
import { clientDifference, valueDifference } from './equality.js';
import type { BackplaneHarness, ClusterNode } from './harness.js';

/** A directory entry for a client of `node`. */
export function entryOf(
  node: ClusterNode,
  id: string,
  fields: Partial<Omit<ClusterClient, 'id' | 'node'>> = {},
): ClusterClient {
  return { id, node: node.id, connectedAt: 1_700_000_000_000 + (id.length % 97), ...fields };
}

/**
 * Describes how a list of entries differs from `expected`, in any order, or returns undefined
 * when it holds exactly those clients, each matching (see {@link clientDifference}).
 */
export function entriesDifference(
  list: readonly ClusterClient[],
  expected: readonly ClusterClient[],
): string | undefined {
  if (!Array.isArray(list)) return `expected an array of entries, got ${typeof list}`;
  const actual: readonly (ClusterClient | undefined)[] = list;
  const ids = actual.map((c) => c?.id).sort();
  const want = expected.map((c) => c.id).sort();
  const idDifference = valueDifference(ids, want, 'the listed client ids');
  if (idDifference !== undefined) {
    return `listed ${JSON.stringify(ids)}, expected ${JSON.stringify(want)}`;
  }
  for (const client of expected) {
    const difference = clientDifference(
      actual.find((c) => c?.id === client.id),
      client,
    );
    if (difference !== undefined) return difference;
  }
  return undefined;
}

/** Describes how topic sizes differ from `expected`, or returns undefined. */
export function sizesDifference(
  actual: Map<string, number>,
  expected: Record<string, number>,
): string | undefined {
  if (!(actual instanceof Map)) return `expected a Map, got ${typeof actual}`;
  return valueDifference(Object.fromEntries(actual), expected, 'topicSizes()');
}

/**
 * Registers the tests of the shared directory: entries written on one node read on every node,
 * with the filters of `getClients`, topic membership and sizes, updates and removal.
 */
export function describeDirectoryTests(h: BackplaneHarness): void {
  /** Waits until `getClient(id)` on every node of `readers` answers `expected`. */
  async function expectEntry(
    readers: readonly ClusterNode[],
    id: string,
    expected: ClusterClient | undefined,
  ): Promise<void> {
    for (const reader of readers) {
      await h.eventually(
        `getClient(${id}) on ${reader.id}`,
        () => reader.backplane.getClient(id),
        (entry) =>
          expected === undefined
            ? entry === undefined
              ? undefined
              : `expected undefined, got the entry of ${entry.id}`
            : clientDifference(entry, expected),
      );
    }
  }

  /** Waits until `getClients(filter)` on every node of `readers` lists exactly `expected`. */
  async function expectList(
    readers: readonly ClusterNode[],
    filter: { topic?: string; user?: string } | undefined,
    expected: readonly ClusterClient[],
  ): Promise<void> {
    for (const reader of readers) {
      await h.eventually(
        `getClients(${filter === undefined ? '' : JSON.stringify(filter)}) on ${reader.id}`,
        () => reader.backplane.getClients(filter),
        (list) => entriesDifference(list, expected),
      );
    }
  }

  /** Waits until `topicSizes()` on every node of `readers` answers `expected`. */
  async function expectSizes(
    readers: readonly ClusterNode[],
    expected: Record<string, number>,
  ): Promise<void> {
    for (const reader of readers) {
      await h.eventually(
        `topicSizes() on ${reader.id}`,
        () => reader.backplane.topicSizes(),
        (sizes) => sizesDifference(sizes, expected),
      );
    }
  }

  h.group('directory', () => {
    h.test(
      {
        id: 'B-DIR-01',
        level: 'MUST',
        title:
          "addClient() lists the client for getClient() on every node, with its node's id, user, connectedAt, parked state and principal",
      },
      async () => {
        const nodes = await h.open(3);
        const [a, b] = nodes;
        const user = entryOf(a, h.id('client'), {
          user: h.id('user'),
          connectedAt: Date.now(),
          principal: { sub: 'alice', roles: ['admin', 'é漢'], claims: { tier: 2, beta: true } },
        });
        const anonymous = entryOf(a, h.id('client'));
        const parked = entryOf(b, h.id('client'), { user: h.id('user'), parked: true });
        await a.backplane.addClient(user);
        await a.backplane.addClient(anonymous);
        await b.backplane.addClient(parked);
        await expectEntry(nodes, user.id, user);
        await expectEntry(nodes, anonymous.id, anonymous);
        await expectEntry(nodes, parked.id, parked);
      },
    );

    h.test(
      {
        id: 'B-DIR-02',
        level: 'MUST',
        title: 'getClient() of a client nobody listed answers undefined',
      },
      async () => {
        const nodes = await h.open(2);
        await nodes[0].backplane.addClient(entryOf(nodes[0], h.id('client')));
        for (const reader of nodes) {
          expect(
            await reader.backplane.getClient(h.id('unknown')),
            `getClient() of an unknown id on ${reader.id}`,
          ).to.equal(undefined);
        }
      },
    );

    h.test(
      {
        id: 'B-DIR-03',
        level: 'MUST',
        title:
          "getClients() lists every node's clients (online and parked), or those of a user, or those of a topic, on every node",
      },
      async () => {
        const nodes = await h.open(3);
        const [a, b] = nodes;
        const u1 = h.id('user');
        const u2 = h.id('user');
        const topic = h.id('topic');
        const c1 = entryOf(a, h.id('client'), { user: u1 });
        const c2 = entryOf(a, h.id('client'), { user: u2, parked: true });
        const c3 = entryOf(b, h.id('client'), { user: u1 });
        const c4 = entryOf(b, h.id('client'));
        for (const [node, client] of [
          [a, c1],
          [a, c2],
          [b, c3],
          [b, c4],
        ] as const) {
          await node.backplane.addClient(client);
        }
        await a.backplane.joinTopic(c1.id, topic);
        await b.backplane.joinTopic(c3.id, topic);
        await expectList(nodes, undefined, [c1, c2, c3, c4]);
        await expectList(nodes, {}, [c1, c2, c3, c4]);
        await expectList(nodes, { user: u1 }, [c1, c3]);
        await expectList(nodes, { user: u2 }, [c2]);
        await expectList(nodes, { topic }, [c1, c3]);
        await expectList(nodes, { user: h.id('user') }, []);
        await expectList(nodes, { topic: h.id('topic') }, []);
      },
    );

    h.test(
      {
        id: 'B-DIR-04',
        level: 'MUST',
        title:
          'joinTopic() and leaveTopic() change the members and topicSizes() on every node; a topic with no member left is not listed',
      },
      async () => {
        const nodes = await h.open(3);
        const [a, b] = nodes;
        const [t1, t2] = [h.id('topic'), h.id('topic')];
        const [c1, c2] = [entryOf(a, h.id('client')), entryOf(a, h.id('client'))];
        const c3 = entryOf(b, h.id('client'));
        await a.backplane.addClient(c1);
        await a.backplane.addClient(c2);
        await b.backplane.addClient(c3);
        await a.backplane.joinTopic(c1.id, t1);
        await a.backplane.joinTopic(c2.id, t1);
        await b.backplane.joinTopic(c3.id, t1);
        await b.backplane.joinTopic(c3.id, t2);
        await expectSizes(nodes, { [t1]: 3, [t2]: 1 });
        await expectList(nodes, { topic: t2 }, [c3]);
        await a.backplane.leaveTopic(c2.id, t1);
        await b.backplane.leaveTopic(c3.id, t2);
        await expectSizes(nodes, { [t1]: 2 });
        await expectList(nodes, { topic: t1 }, [c1, c3]);
        await expectList(nodes, { topic: t2 }, []);
      },
    );

    h.test(
      {
        id: 'B-DIR-05',
        level: 'MUST',
        title:
          'removeClient() drops the entry and every topic membership of the client, on every node',
      },
      async () => {
        const nodes = await h.open(2);
        const [a] = nodes;
        const user = h.id('user');
        const [t1, t2] = [h.id('topic'), h.id('topic')];
        const gone = entryOf(a, h.id('client'), { user });
        const stays = entryOf(a, h.id('client'), { user });
        await a.backplane.addClient(gone);
        await a.backplane.addClient(stays);
        await a.backplane.joinTopic(gone.id, t1);
        await a.backplane.joinTopic(gone.id, t2);
        await a.backplane.joinTopic(stays.id, t1);
        await expectSizes(nodes, { [t1]: 2, [t2]: 1 });
        await a.backplane.removeClient(gone.id);
        await expectEntry(nodes, gone.id, undefined);
        await expectList(nodes, undefined, [stays]);
        await expectList(nodes, { user }, [stays]);
        await expectList(nodes, { topic: t1 }, [stays]);
        await expectList(nodes, { topic: t2 }, []);
        await expectSizes(nodes, { [t1]: 1 });
      },
    );

    h.test(
      {
        id: 'B-DIR-06',
        level: 'MUST',
        title:
          'addClient() of a listed client updates parked and connectedAt for every node, keeping its topics',
      },
      async () => {
        const nodes = await h.open(2);
        const [a] = nodes;
        const topic = h.id('topic');
        const first = entryOf(a, h.id('client'), { user: h.id('user'), connectedAt: 1000 });
        await a.backplane.addClient(first);
        await a.backplane.joinTopic(first.id, topic);
        const parked = { ...first, parked: true };
        await a.backplane.addClient(parked);
        await expectEntry(nodes, first.id, parked);
        const resumed = { ...first, parked: false, connectedAt: 2000 };
        await a.backplane.addClient(resumed);
        await expectEntry(nodes, first.id, resumed);
        await expectList(nodes, { topic }, [resumed]);
        await expectSizes(nodes, { [topic]: 1 });
      },
    );

    h.test(
      {
        id: 'B-DIR-07',
        level: 'SHOULD',
        title:
          'joining a topic twice counts once, and leaving a topic the client is not in changes nothing',
      },
      async () => {
        const nodes = await h.open(2);
        const [a] = nodes;
        const [t1, t2] = [h.id('topic'), h.id('topic')];
        const client = entryOf(a, h.id('client'));
        await a.backplane.addClient(client);
        await a.backplane.joinTopic(client.id, t1);
        await a.backplane.joinTopic(client.id, t1);
        await a.backplane.leaveTopic(client.id, t2);
        await expectSizes(nodes, { [t1]: 1 });
        await expectList(nodes, { topic: t1 }, [client]);
        await a.backplane.leaveTopic(client.id, t1);
        await expectSizes(nodes, {});
      },
    );
  });
}
