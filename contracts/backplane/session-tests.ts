import type { SessionRecord } from '../../src/index.js';
import { expect } from '../assert.js';
import { delay, everyByteValue, expectNoDifference, pseudoRandomBytes } from '../helpers.js';
import { topicsDifference, valueDifference } from './equality.js';
import type { BackplaneHarness, ClusterNode } from './harness.js';

/** A long ttl: the record must not expire during the test. */
const KEEP = 60_000;

/**
 * Describes how a taken record differs from the one saved, or returns undefined: every field
 * equal (frames of the log by bytes), but `principal`, which a store that serializes may leave
 * out (the resuming server verifies the client again), and so may be undefined, and `topics`,
 * which compares as a set (the port promises no order).
 */
function recordDifference(actual: SessionRecord | undefined, expected: SessionRecord) {
  if (typeof actual !== 'object' || actual === null)
    return `expected a record, got ${String(actual)}`;
  const { principal, topics, ...rest } = actual;
  const { principal: wanted, topics: wantedTopics, ...want } = expected;
  if (principal !== undefined) {
    const difference = valueDifference(principal, wanted, 'record.principal');
    if (difference !== undefined) return difference;
  }
  return (
    topicsDifference(topics, wantedTopics, 'record.topics') ?? valueDifference(rest, want, 'record')
  );
}

/**
 * Registers the tests of the shared session store (`backplane.sessions`): a record saved on one
 * node is taken on another, once, equal; refused records stay; expired ones are not returned.
 */
export function describeSessionTests(h: BackplaneHarness): void {
  /** A session record with every field set, binary and Unicode frames in its log. */
  function record(fields: Partial<SessionRecord> = {}): SessionRecord {
    return {
      id: h.id('session'),
      secret: h.id('secret'),
      previousSecret: h.id('previous'),
      principal: { sub: 'user-1', roles: ['reader', 'writer'] },
      principalKey: 'user-1',
      topics: ['room:1', 'présence 漢'],
      data: [
        ['plain', { nested: [1, 'two', null, true] }],
        ['count', 3],
      ],
      received: 7,
      logStart: 40,
      log: [
        '{"t":"msg","d":"é漢👋"}',
        everyByteValue(),
        pseudoRandomBytes(1000, 6),
        '',
        new Uint8Array(0),
      ],
      expiresAt: Date.now() + KEEP,
      ...fields,
    };
  }

  /** `take` on `node`, accepting anything, awaited whether the store is sync or async. */
  async function take(node: ClusterNode, id: string): Promise<SessionRecord | undefined> {
    return node.backplane.sessions.take(id, () => true);
  }

  h.group('session store', () => {
    h.test(
      {
        id: 'B-SESS-01',
        level: 'MUST',
        title:
          'a record saved on one node is taken on another, equal (binary and text frames of its log exact)',
      },
      async () => {
        const [a, b] = await h.open(2);
        const saved = record();
        await a.backplane.sessions.save(saved, KEEP);
        expectNoDifference(recordDifference(await take(b, saved.id), saved), 'the taken record');
      },
    );

    h.test(
      {
        id: 'B-SESS-02',
        level: 'MUST',
        title: 'take() removes the record: taking it again, on any node, answers undefined',
      },
      async () => {
        const [a, b] = await h.open(2);
        const saved = record();
        await a.backplane.sessions.save(saved, KEEP);
        expect(await take(b, saved.id), 'the first take').to.not.equal(undefined);
        expect(await take(a, saved.id), 'a second take, on the saving node').to.equal(undefined);
        expect(await take(b, saved.id), 'a second take, on the taking node').to.equal(undefined);
        expect(await take(a, h.id('session')), 'a take of an id never saved').to.equal(undefined);
      },
    );

    h.test(
      {
        id: 'B-SESS-03',
        level: 'MUST',
        title:
          'a record accept() refuses is not returned and stays stored, for a later take() that accepts it',
      },
      async () => {
        const [a, b] = await h.open(2);
        const saved = record();
        await a.backplane.sessions.save(saved, KEEP);
        const seen: SessionRecord[] = [];
        const refused = await b.backplane.sessions.take(saved.id, (r) => {
          seen.push(r);
          return false;
        });
        expect(refused, 'take() with accept() refusing').to.equal(undefined);
        expect(seen, 'records accept() was called with').to.have.length(1);
        expectNoDifference(recordDifference(seen[0], saved), 'the record accept() was shown');
        expectNoDifference(
          recordDifference(await take(a, saved.id), saved),
          'the refused record, taken afterwards',
        );
      },
    );

    h.test(
      {
        id: 'B-SESS-04',
        level: 'MUST',
        title: 'a record past its ttl is not returned (one within its ttl still is)',
      },
      async () => {
        const [a, b] = await h.open(2);
        // expiresAt is far off for both: only the ttl given to save() ends the short one.
        const short = record();
        const long = record();
        await a.backplane.sessions.save(short, 50);
        await a.backplane.sessions.save(long, KEEP);
        await delay(200);
        expect(await take(b, short.id), 'a record 150 ms past its 50 ms ttl').to.equal(undefined);
        expectNoDifference(
          recordDifference(await take(b, long.id), long),
          'the record within its ttl',
        );
      },
    );

    h.test(
      {
        id: 'B-SESS-05',
        level: 'MUST',
        title:
          'take() is atomic: of two nodes taking one record at once, exactly one gets it (20 records)',
      },
      async () => {
        const [a, b] = await h.open(2);
        const records = Array.from({ length: 20 }, () => record());
        for (const r of records) await a.backplane.sessions.save(r, KEEP);
        const outcomes = await Promise.all(
          records.map((r) => Promise.all([take(a, r.id), take(b, r.id)])),
        );
        outcomes.forEach(([onA, onB], i) => {
          expect(
            Number(onA !== undefined) + Number(onB !== undefined),
            `nodes that got record ${records[i].id}`,
          ).to.equal(1);
        });
      },
    );

    h.test(
      {
        id: 'B-SESS-06',
        level: 'MUST',
        title: 'save() replaces a record with the same id',
      },
      async () => {
        const [a, b] = await h.open(2);
        const first = record();
        const second = record({ id: first.id, received: 99, log: ['newer'] });
        await a.backplane.sessions.save(first, KEEP);
        await b.backplane.sessions.save(second, KEEP);
        expectNoDifference(recordDifference(await take(a, first.id), second), 'the taken record');
        expect(await take(b, first.id), 'a second take').to.equal(undefined);
      },
    );
  });
}
