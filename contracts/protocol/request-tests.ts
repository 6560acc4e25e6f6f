// Requests a client makes of the server: answers on the same id, HANDLER_NOT_FOUND, malformed
// requests, several in flight, and frames the server must ignore.
import { expect, show } from '../assert.js';
import { jsonDifference } from '../helpers.js';
import { expectAck, NO_SUCH_HANDLER, type ProtocolHarness } from './harness.js';
import { objectOf } from './wire.js';

export function describeRequestTests(h: ProtocolHarness): void {
  h.group('requests', () => {
    h.test(
      {
        id: 'P-REQ-01',
        level: 'MUST',
        title: 'a req for a handler the server does not have gets nack HANDLER_NOT_FOUND on its id',
      },
      async () => {
        const { conn } = await h.admitted();
        await h.expectNack(
          conn,
          () => conn.send({ k: 'req', id: 5, name: NO_SUCH_HANDLER, payload: [1, 2] }),
          5,
          'HANDLER_NOT_FOUND',
          `a req for ${show(NO_SUCH_HANDLER)}`,
        );
      },
    );

    h.test(
      {
        id: 'P-REQ-02',
        level: 'MUST',
        title:
          "a req is answered with an ack on its id whose result is the handler's answer, JSON values intact (headers allowed)",
        requires: 'echoRequest',
      },
      async () => {
        const { conn } = await h.admitted();
        const payloads: unknown[] = [
          {
            text: 'héllo 👋 漢字 e\u0301',
            n: [0, -1.5, 1e21, true, false, null],
            deep: { a: { b: [[]] } },
          },
          'a string',
          0,
          [],
          {},
          '',
        ];
        let id = 20;
        for (const payload of payloads) {
          id++;
          const from = conn.frames.length;
          conn.send({
            k: 'req',
            id,
            name: h.options.echoRequest,
            payload,
            headers: { 'trace-id': `t${id}` },
          });
          const answer = await h.next(conn, from, `the answer to echo request ${id}`);
          expectAck(answer, id, `the answer to echo request ${id} with payload ${show(payload)}`);
          const difference = jsonDifference(answer.result, payload, 'result');
          if (difference !== undefined)
            expect.fail(`the echoed result of request ${id}: ${difference}`);
        }
      },
    );

    h.test(
      {
        id: 'P-REQ-03',
        level: 'MUST',
        title: 'a null result is sent as "result": null, and an absent one is left out',
        requires: 'echoRequest',
      },
      async () => {
        const { conn } = await h.admitted();
        let from = conn.frames.length;
        conn.send({ k: 'req', id: 31, name: h.options.echoRequest, payload: null });
        const withNull = await h.next(conn, from, 'the answer to an echo of null');
        expectAck(withNull, 31, 'the answer to an echo of null');
        expect(
          'result' in withNull && withNull.result === null,
          `the answer ${JSON.stringify(withNull)} has "result": null`,
        ).to.equal(true);
        from = conn.frames.length;
        conn.send({ k: 'req', id: 32, name: h.options.echoRequest });
        const without = await h.next(conn, from, 'the answer to an echo without payload');
        expectAck(without, 32, 'the answer to an echo without payload');
        expect(
          'result' in without,
          `the answer ${JSON.stringify(without)} has no "result"`,
        ).to.equal(false);
      },
    );

    h.test(
      {
        id: 'P-REQ-04',
        level: 'MUST',
        title:
          '50 requests in flight at once, ids in no order, are each answered once on their own id with their own result',
        requires: 'echoRequest',
      },
      async () => {
        const { conn } = await h.admitted();
        const ids = Array.from({ length: 50 }, (_, i) => ((i * 37) % 50) * 3 + 100);
        const from = conn.frames.length;
        for (const id of ids)
          conn.send({ k: 'req', id, name: h.options.echoRequest, payload: { asked: id } });
        const answers = (await h.barrier(conn, from))
          .map(objectOf)
          .filter((f) => f?.k === 'ack' || f?.k === 'nack');
        expect(
          answers.map((a) => a?.id),
          `the ids answered to requests ${show(ids)}`,
        ).to.have.members(ids);
        for (const answer of answers) {
          const result = answer?.result as { asked?: unknown } | undefined;
          expect(
            result?.asked,
            `the result of the answer ${JSON.stringify(answer)} names the request it answers`,
          ).to.equal(answer?.id);
        }
      },
    );

    h.test(
      {
        id: 'P-REQ-05',
        level: 'MUST',
        title:
          'a req with a valid id but a bad name, a "from", a bad "to" or non-object headers gets nack INVALID_MESSAGE on that id, not an error frame',
      },
      async () => {
        const { conn } = await h.admitted();
        const bad: Record<string, unknown>[] = [
          { k: 'req' },
          { k: 'req', name: '' },
          { k: 'req', name: 'n'.repeat(257) },
          { k: 'req', name: 7 },
          { k: 'req', name: NO_SUCH_HANDLER, from: 'someone' },
          { k: 'req', name: NO_SUCH_HANDLER, to: { user: 'u', extra: 1 } },
          { k: 'req', name: NO_SUCH_HANDLER, to: '' },
          { k: 'req', name: NO_SUCH_HANDLER, to: 42 },
          { k: 'req', name: NO_SUCH_HANDLER, headers: [] },
        ];
        let id = 40;
        for (const frame of bad) {
          const sent = { ...frame, id: ++id };
          await h.expectNack(conn, () => conn.send(sent), id, 'INVALID_MESSAGE', show(sent));
        }
      },
    );

    h.test(
      {
        id: 'P-REQ-06',
        level: 'MUST',
        title:
          'a cancel for an id not in flight, and an ack or nack answering no request, are ignored',
      },
      async () => {
        const { conn } = await h.admitted();
        const from = conn.frames.length;
        conn.send({ k: 'cancel', id: 424_241 });
        conn.send({ k: 'ack', id: 424_242, result: { late: true } });
        conn.send({ k: 'ack', id: 424_243 });
        conn.send({ k: 'nack', id: 424_244, error: { code: 'TIMEOUT', message: 'late' } });
        await h.expectSilence(conn, from, 'a stray cancel, acks and a nack');
      },
    );

    h.test(
      {
        id: 'P-REQ-07',
        level: 'MUST',
        title:
          'a join, leave or req whose id is not a non-negative integer, or that has none, gets an INVALID_MESSAGE error frame (no nack)',
      },
      async () => {
        const { conn } = await h.admitted();
        const bad: Record<string, unknown>[] = [
          { k: 'join', id: '1', topic: 't' },
          { k: 'leave', id: -1, topic: 't' },
          { k: 'req', id: 1.5, name: NO_SUCH_HANDLER },
          { k: 'req', name: NO_SUCH_HANDLER },
          { k: 'join', id: null, topic: 't' },
          { k: 'cancel' },
        ];
        for (const frame of bad) {
          await h.expectErrorFrame(conn, () => conn.send(frame), 'INVALID_MESSAGE', show(frame));
        }
      },
    );
  });
}
