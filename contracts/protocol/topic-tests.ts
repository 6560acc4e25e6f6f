// Application messages (`msg`) and topic membership (`join` / `leave` and their answers).
import { deepEqual, expect, show } from '../assert.js';
import { expectAck, type ProtocolHarness } from './harness.js';
import { objectOf } from './wire.js';

const TOPIC = 'plugsocket-contract-topic';

export function describeTopicTests(h: ProtocolHarness): void {
  h.group('messages', () => {
    h.test(
      {
        id: 'P-MSG-01',
        level: 'MUST',
        title: 'a valid msg (with or without payload and headers) is answered with nothing',
      },
      async () => {
        const { conn } = await h.admitted();
        const from = conn.frames.length;
        conn.send({ k: 'msg', type: 'plugsocket-contract/say' });
        conn.send({
          k: 'msg',
          type: 'plugsocket-contract/say',
          payload: { text: 'héllo 👋', list: [1, null, true] },
          headers: { 'trace-id': 'abc' },
        });
        conn.send({ k: 'msg', type: 'plugsocket-contract/say', payload: null });
        await h.expectSilence(conn, from, 'valid msg frames');
      },
    );

    h.test(
      {
        id: 'P-MSG-02',
        level: 'MUST',
        title:
          'a relayed msg reaches the other client with its type and payload and "from" set to the sender\'s id, and not the sender',
        requires: 'relayType',
      },
      async () => {
        const a = await h.admitted();
        const b = await h.admitted();
        const type = h.options.relayType;
        const payload = { text: 'héllo 👋', nested: { list: [1, 2.5, null, 'x'] } };
        const fromA = a.conn.frames.length;
        a.conn.send({ k: 'msg', type, payload });
        const got = await b.conn.find(
          (f) => f.k === 'msg' && f.type === type,
          `the relayed ${show(type)} message at the other client`,
          h.wait,
        );
        expect(got.from, `"from" of the relayed message ${JSON.stringify(got)}`).to.equal(a.id);
        expect(
          deepEqual(got.payload, payload),
          `the payload of ${JSON.stringify(got)} equals ${JSON.stringify(payload)}`,
        ).to.equal(true);
        await h.expectSilence(a.conn, fromA, 'the sender of a relayed message');
      },
    );

    h.test(
      {
        id: 'P-MSG-03',
        level: 'MUST',
        title:
          'a msg with a missing, empty, over-long or non-string type, non-object headers, or a "from" is refused with INVALID_MESSAGE; a type of 256 characters is accepted',
      },
      async () => {
        const { conn } = await h.admitted();
        const bad: [string, unknown][] = [
          ['a msg without type', { k: 'msg' }],
          ['an empty type', { k: 'msg', type: '' }],
          ['a type of 257 characters', { k: 'msg', type: 'x'.repeat(257) }],
          ['a numeric type', { k: 'msg', type: 5 }],
          ['headers that are an array', { k: 'msg', type: 'x', headers: [1] }],
          ['headers that are a string', { k: 'msg', type: 'x', headers: 'h' }],
          ['a "from" sent by a client', { k: 'msg', type: 'x', from: 'someone' }],
        ];
        for (const [what, frame] of bad) {
          await h.expectErrorFrame(
            conn,
            () => conn.send(frame),
            'INVALID_MESSAGE',
            `${what} ${show(frame)}`,
          );
        }
        const from = conn.frames.length;
        conn.send({ k: 'msg', type: 'y'.repeat(256) });
        await h.expectSilence(conn, from, 'a msg whose type has 256 characters');
      },
    );
  });

  h.group('topics', () => {
    h.test(
      {
        id: 'P-TOPIC-01',
        level: 'MUST',
        title:
          'join and leave are each answered with an ack on their id, leaving a topic the client is not in too',
      },
      async () => {
        const { conn } = await h.admitted();
        const steps: [string, number][] = [
          ['join', 1],
          ['join', 2], // the same topic again: answered too
          ['leave', 3],
          ['leave', 4], // no longer in it
          ['leave', 5],
        ];
        for (const [k, id] of steps) {
          const from = conn.frames.length;
          conn.send({ k, id, topic: id === 5 ? `${TOPIC}-never-joined` : TOPIC });
          expectAck(
            await h.next(conn, from, `the answer to ${k} ${id}`),
            id,
            `the answer to ${k} ${id}`,
          );
        }
      },
    );

    h.test(
      {
        id: 'P-TOPIC-02',
        level: 'MUST',
        title:
          'joining the refused topic is answered with nack UNAUTHORIZED on its id, and the client stays served',
        requires: 'refusedTopic',
      },
      async () => {
        const { conn } = await h.admitted();
        await h.expectNack(
          conn,
          () => conn.send({ k: 'join', id: 7, topic: h.options.refusedTopic }),
          7,
          'UNAUTHORIZED',
          `a join of the refused topic ${show(h.options.refusedTopic)}`,
        );
        const from = conn.frames.length;
        conn.send({ k: 'join', id: 8, topic: TOPIC });
        expectAck(
          await h.next(conn, from, 'the answer to a join after a refused one'),
          8,
          'a join',
        );
      },
    );

    h.test(
      {
        id: 'P-TOPIC-03',
        level: 'MUST',
        title:
          'a join or leave with a valid id but a missing, empty, over-long or non-string topic gets nack INVALID_MESSAGE on that id, not an error frame',
      },
      async () => {
        const { conn } = await h.admitted();
        const bad: [number, Record<string, unknown>][] = [
          [11, { k: 'join' }],
          [12, { k: 'join', topic: '' }],
          [13, { k: 'join', topic: 't'.repeat(257) }],
          [14, { k: 'join', topic: 5 }],
          [15, { k: 'leave', topic: null }],
          [16, { k: 'leave' }],
        ];
        for (const [id, frame] of bad) {
          const sent = { ...frame, id };
          await h.expectNack(conn, () => conn.send(sent), id, 'INVALID_MESSAGE', show(sent));
        }
      },
    );

    h.test(
      {
        id: 'P-TOPIC-04',
        level: 'MUST',
        title:
          'ids 0 and 2^53−1 and a 256-character topic are accepted, and joins sent at once are each answered once on their own id',
      },
      async () => {
        const { conn } = await h.admitted();
        for (const id of [0, Number.MAX_SAFE_INTEGER]) {
          const from = conn.frames.length;
          conn.send({ k: 'join', id, topic: 'z'.repeat(256) });
          expectAck(
            await h.next(conn, from, `the answer to join ${id}`),
            id,
            `the answer to join ${id}`,
          );
        }
        const ids = [90, 31, 77, 45, 12, 68, 23, 59, 84, 36];
        const from = conn.frames.length;
        for (const id of ids) conn.send({ k: 'join', id, topic: `${TOPIC}-${id}` });
        await h.barrier(conn, from);
        const answers = conn.frames
          .slice(from)
          .map(objectOf)
          .filter((f) => f?.k !== undefined && ids.includes(f.id as number));
        for (const answer of answers)
          expect(answer?.k, `the answer ${JSON.stringify(answer)}`).to.equal('ack');
        expect(
          answers.map((a) => a?.id),
          `the ids answered to joins ${show(ids)} sent at once`,
        ).to.have.members(ids);
        const errors = conn.frames.slice(from).filter((f) => objectOf(f)?.k === 'error');
        expect(
          errors.map((f) => f.text),
          'error frames answering valid joins sent at once',
        ).to.deep.equal([]);
      },
    );
  });
}
