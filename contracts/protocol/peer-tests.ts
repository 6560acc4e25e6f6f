// Client-to-client requests (`req` with `to`): the server forwards them with its own id and
// `from`, carries the answer back under the asker's id, and passes cancels and departures on.
import { expect, show } from '../assert.js';
import { jsonDifference } from '../helpers.js';
import { expectAck, expectError, type Admitted, type ProtocolHarness } from './harness.js';
import { objectOf } from './wire.js';

const NAME = 'plugsocket-contract/confirm';

/** A asks B (by B's client id); resolves with the `req` B received. */
async function ask(
  h: ProtocolHarness,
  a: Admitted,
  b: Admitted,
  id: number,
  payload: unknown,
): Promise<Record<string, unknown>> {
  const from = b.conn.frames.length;
  a.conn.send({ k: 'req', id, name: NAME, payload, to: b.id });
  return b.conn.find(
    (f) => f.k === 'req' && f.name === NAME,
    `the forwarded req ${show(NAME)} at its target`,
    h.wait,
    from,
  );
}

/** The answers (ack or nack) on `id` that `conn` received from `from` on. */
function answersOn(a: Admitted, id: number, from: number): Record<string, unknown>[] {
  return a.conn.frames
    .slice(from)
    .map(objectOf)
    .filter(
      (f): f is Record<string, unknown> => (f?.k === 'ack' || f?.k === 'nack') && f.id === id,
    );
}

export function describePeerTests(h: ProtocolHarness): void {
  const pair = async (): Promise<[Admitted, Admitted]> => [await h.admitted(), await h.admitted()];
  const spec = (id: string, title: string) =>
    ({ id, level: 'MUST', title, requires: 'peerRequests' }) as const;

  h.group('client-to-client requests', () => {
    h.test(
      spec(
        'P-PEER-01',
        'a req with "to" reaches the target as a req with a server-chosen id, the same name and payload, and "from" set to the asker; the target\'s ack returns on the asker\'s id',
      ),
      async () => {
        const [a, b] = await pair();
        const from = a.conn.frames.length;
        const forwarded = await ask(h, a, b, 3, { q: 'lunch? 🍜' });
        const text = JSON.stringify(forwarded);
        expect(forwarded.from, `"from" of the forwarded req ${text}`).to.equal(a.id);
        expect(
          jsonDifference(forwarded.payload, { q: 'lunch? 🍜' }),
          `the payload of ${text}`,
        ).to.equal(undefined);
        expect(
          Number.isSafeInteger(forwarded.id) && (forwarded.id as number) >= 0,
          `the id of ${text} is a non-negative integer`,
        ).to.equal(true);
        expect('to' in forwarded, `the forwarded req ${text} carries no "to"`).to.equal(false);
        b.conn.send({ k: 'ack', id: forwarded.id, result: { yes: true } });
        const answer = await a.conn.find(
          (f) => f.id === 3,
          'the answer to the asker',
          h.wait,
          from,
        );
        expectAck(answer, 3, 'the answer to a forwarded request');
        expect(
          jsonDifference(answer.result, { yes: true }, 'result'),
          `the result of ${JSON.stringify(answer)}`,
        ).to.equal(undefined);
      },
    );

    h.test(
      spec(
        'P-PEER-02',
        "the target's nack reaches the asker with its code and message (RATE_LIMITED, HANDLER_NOT_FOUND)",
      ),
      async () => {
        const [a, b] = await pair();
        let id = 10;
        for (const code of ['RATE_LIMITED', 'HANDLER_NOT_FOUND']) {
          id++;
          const from = a.conn.frames.length;
          const forwarded = await ask(h, a, b, id, null);
          const message = `refused by the target (${code})`;
          b.conn.send({ k: 'nack', id: forwarded.id, error: { code, message } });
          const answer = await a.conn.find((f) => f.id === id, `the answer on ${id}`, h.wait, from);
          expectError(
            answer,
            'nack',
            id,
            code,
            `the asker's answer when the target refused with ${code}`,
          );
          expect(
            (answer.error as { message?: unknown }).message,
            `the message of ${JSON.stringify(answer)}`,
          ).to.equal(message);
        }
      },
    );

    h.test(
      spec(
        'P-PEER-03',
        'a req "to" a client id or { user } that is not connected gets nack TARGET_OFFLINE',
      ),
      async () => {
        const { conn } = await h.admitted();
        const targets = ['plugsocket-contract-nobody', { user: 'plugsocket-contract-nobody' }];
        let id = 20;
        for (const to of targets) {
          id++;
          await h.expectNack(
            conn,
            () => conn.send({ k: 'req', id, name: NAME, to }),
            id,
            'TARGET_OFFLINE',
            `a req to ${show(to)}`,
          );
        }
      },
    );

    h.test(
      spec(
        'P-PEER-04',
        "the asker's cancel reaches the target as a cancel of the target's id, and the asker gets no answer",
      ),
      async () => {
        const [a, b] = await pair();
        const from = a.conn.frames.length;
        const forwarded = await ask(h, a, b, 6, 'slow');
        const fromB = b.conn.frames.length;
        a.conn.send({ k: 'cancel', id: 6 });
        await b.conn.find(
          (f) => f.k === 'cancel' && f.id === forwarded.id,
          `a cancel of id ${String(forwarded.id)} at the target`,
          h.wait,
          fromB,
        );
        await h.barrier(a.conn, from);
        expect(answersOn(a, 6, from), 'answers on the cancelled request').to.deep.equal([]);
      },
    );

    h.test(
      spec('P-PEER-05', 'when the target leaves mid-request, the asker gets nack TARGET_OFFLINE'),
      async () => {
        const [a, b] = await pair();
        const from = a.conn.frames.length;
        await ask(h, a, b, 7, null);
        b.conn.close(1000);
        const answer = await a.conn.find(
          (f) => f.id === 7,
          "the asker's answer after the target left",
          h.wait,
          from,
        );
        expectError(
          answer,
          'nack',
          7,
          'TARGET_OFFLINE',
          'the answer when the target left mid-request',
        );
      },
    );

    h.test(
      spec('P-PEER-06', 'when the asker leaves mid-request, the target gets a cancel of its id'),
      async () => {
        const [a, b] = await pair();
        const forwarded = await ask(h, a, b, 8, null);
        const fromB = b.conn.frames.length;
        a.conn.close(1000);
        await b.conn.find(
          (f) => f.k === 'cancel' && f.id === forwarded.id,
          `a cancel of id ${String(forwarded.id)} at the target after the asker left`,
          h.wait,
          fromB,
        );
      },
    );

    h.test(
      spec(
        'P-PEER-07',
        'a second req whose id is still in flight gets an INVALID_MESSAGE error frame, not a nack, and the first is answered once',
      ),
      async () => {
        const [a, b] = await pair();
        const from = a.conn.frames.length;
        const forwarded = await ask(h, a, b, 9, 'first');
        const fromB = b.conn.frames.length;
        await h.expectErrorFrame(
          a.conn,
          () => a.conn.send({ k: 'req', id: 9, name: NAME, payload: 'second', to: b.id }),
          'INVALID_MESSAGE',
          'a req reusing an id in flight',
        );
        b.conn.send({ k: 'ack', id: forwarded.id, result: 'first answered' });
        await a.conn.find(
          (f) => f.k === 'ack' && f.id === 9,
          'the answer to the first request',
          h.wait,
          from,
        );
        await h.barrier(a.conn, from);
        const answers = answersOn(a, 9, from);
        expect(answers.length, `answers on id 9 (${show(answers)})`).to.equal(1);
        expect(answers[0]?.result, 'the result of the one answer').to.equal('first answered');
        const again = b.conn.frames
          .slice(fromB)
          .map(objectOf)
          .filter((f) => f?.k === 'req');
        expect(again, 'requests the target received for the refused duplicate').to.deep.equal([]);
      },
    );
  });
}
