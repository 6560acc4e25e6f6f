// Session resume (docs/protocol.md, "Session resume"), for servers that offer it: a welcome with a
// `session` token. A server that does not offer it passes these by saying so (no token).
import { expect, show } from '../assert.js';
import { delay } from '../helpers.js';
import { BARRIER_TOPIC, type ProtocolHarness } from './harness.js';
import { objectOf, type RawConnection } from './wire.js';

const RESUME = 'plugsocket-resume';
const RECEIVED = 'plugsocket-received';
/** What a client that wants a resumable session adds to its first connect. */
const ASK = { [RESUME]: 'new' };

/** The welcome of a connection, as an object. */
async function welcomeOf(
  h: ProtocolHarness,
  conn: RawConnection,
): Promise<Record<string, unknown>> {
  const first = await conn.frameAt(0, 'the welcome frame', h.wait);
  const welcome = objectOf(first);
  if (welcome?.k !== 'welcome')
    expect.fail(`the first frame must be a welcome, got ${show(first.text)}`);
  return welcome;
}

/** Sends `count` leave probes, each answered by an ack (a stream frame each way). */
async function probes(h: ProtocolHarness, conn: RawConnection, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = conn.nextId();
    ids.push(id);
    conn.send({ k: 'leave', id, topic: BARRIER_TOPIC });
  }
  const last = ids.at(-1)!;
  await conn.find((f) => f.k === 'ack' && f.id === last, `the ack of probe ${last}`, h.wait);
  return ids;
}

export function describeResumeTests(h: ProtocolHarness): void {
  h.group('session resume', () => {
    h.test(
      {
        id: 'P-RESUME-01',
        level: 'MUST',
        title:
          "a welcome's session token (given to a client that asks with plugsocket-resume=new), when present, is a string of 1–256 characters; a server that does not resume sends none",
      },
      async () => {
        const { conn } = await h.admitted({ query: ASK });
        const welcome = await welcomeOf(h, conn);
        if (!('session' in welcome)) return;
        const token = welcome.session;
        expect(
          typeof token === 'string' && token.length >= 1 && token.length <= 256,
          `the session of ${show(welcome)} is a string of 1–256 characters`,
        ).to.equal(true);
      },
    );

    h.test(
      {
        id: 'P-RESUME-02',
        level: 'MUST',
        title:
          'a client that resumes after a lost connection gets the same id, resumed true, the count of its frames the server took, then the frames it had not received, in order',
      },
      async () => {
        const first = await h.admitted({ query: ASK });
        const welcome = await welcomeOf(h, first.conn);
        if (typeof welcome.session !== 'string') return;
        const ids = await probes(h, first.conn, 3);
        // The client says it processed only the first ack: the other two must come again.
        first.conn.close(1001, 'going away');
        await first.conn.closedWithin('the close of the first connection', h.wait);
        await delay(50);
        const again = await h.open({ query: { [RESUME]: welcome.session, [RECEIVED]: '1' } });
        const resumed = await welcomeOf(h, again);
        expect(resumed.id, `the id in ${show(resumed)}`).to.equal(first.id);
        expect(resumed.resumed, `resumed in ${show(resumed)}`).to.equal(true);
        expect(resumed.received, `received in ${show(resumed)} (3 leaves were sent)`).to.equal(3);
        const next = [
          objectOf(await again.frameAt(1, 'the first replayed frame', h.wait)),
          objectOf(await again.frameAt(2, 'the second replayed frame', h.wait)),
        ];
        expect(next, 'the two frames replayed after the welcome').to.deep.equal([
          { k: 'ack', id: ids[1] },
          { k: 'ack', id: ids[2] },
        ]);
        expect(typeof resumed.session, 'a resumed welcome carries a new token').to.equal('string');
        expect(resumed.session, 'the new token differs from the used one').to.not.equal(
          welcome.session,
        );
      },
    );

    h.test(
      {
        id: 'P-RESUME-03',
        level: 'MUST',
        title:
          'a resume that cannot be honoured (an unknown session) is a new session: a new id, resumed false and a reason',
      },
      async () => {
        const first = await h.admitted({ query: ASK });
        const welcome = await welcomeOf(h, first.conn);
        if (typeof welcome.session !== 'string') return;
        const conn = await h.open({
          query: { [RESUME]: 'no-such-session.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', [RECEIVED]: '0' },
        });
        const answer = await welcomeOf(h, conn);
        expect(answer.resumed, `resumed in ${show(answer)}`).to.equal(false);
        expect(
          ['expired', 'overflow', 'denied', 'disabled'],
          `reason in ${show(answer)}`,
        ).to.include(answer.reason);
        expect(answer.id, `the id in ${show(answer)}`).to.not.equal('no-such-session');
      },
    );

    h.test(
      {
        id: 'P-RESUME-04',
        level: 'MUST',
        title:
          'a server that resumes acknowledges the client’s stream with got: {"k":"got","n":32} after 32 frames',
      },
      async () => {
        const { conn } = await h.admitted({ query: ASK });
        const welcome = await welcomeOf(h, conn);
        if (typeof welcome.session !== 'string') return;
        await probes(h, conn, 32);
        const got = await conn.find((f) => f.k === 'got', 'a got frame', h.wait, 1);
        expect(got, 'the got frame').to.deep.equal({ k: 'got', n: 32 });
      },
    );

    h.test(
      {
        id: 'P-RESUME-05',
        level: 'MUST',
        title:
          'a client that does not ask for a resumable session gets none: no token in its welcome and no got frames',
      },
      async () => {
        const { conn } = await h.admitted();
        const welcome = await welcomeOf(h, conn);
        expect('session' in welcome, `a session token in ${show(welcome)}`).to.equal(false);
        await probes(h, conn, 40);
        const got = conn.frames.map((f) => objectOf(f)).filter((f) => f?.k === 'got');
        expect(got, 'got frames sent to a client that did not ask to resume').to.deep.equal([]);
      },
    );
  });
}
