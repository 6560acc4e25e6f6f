// Connecting, the welcome, what every server frame looks like, authentication and closing.
import { expect, show } from '../assert.js';
import { delay } from '../helpers.js';
import {
  AUTH_HEADER,
  expectAck,
  expectError,
  NO_SUCH_HANDLER,
  type ProtocolHarness,
} from './harness.js';
import { objectOf } from './wire.js';

export function describeConnectionTests(h: ProtocolHarness): void {
  h.group('connecting and the welcome', () => {
    h.test(
      {
        id: 'P-WELCOME-01',
        level: 'MUST',
        title:
          'the first frame is a welcome with protocol version 1 and a client id of 1–256 characters',
      },
      async () => {
        const conn = await h.open();
        expect(conn.opened, `the connection opened (${conn.describe()})`).to.equal(true);
        const first = await conn.frameAt(0, 'the first frame', h.wait);
        const welcome = objectOf(first);
        expect(welcome, `the first frame ${show(first.text)} as a JSON object`).to.be.an('object');
        expect(welcome?.k, `the kind of the first frame ${first.text}`).to.equal('welcome');
        expect(welcome?.v, `the protocol version of ${first.text}`).to.equal(1);
        expect(welcome?.id, `the client id of ${first.text}`).to.be.a('string');
        expect(
          (welcome?.id as string).length,
          `the length of the client id of ${first.text}`,
        ).to.be.within(1, 256);
      },
    );

    h.test(
      {
        id: 'P-WELCOME-02',
        level: 'MUST',
        title: 'every connection gets its own client id',
      },
      async () => {
        const admitted = await Promise.all([0, 1, 2, 3, 4].map(() => h.admitted()));
        const ids = admitted.map((a) => a.id);
        expect(
          new Set(ids).size,
          `distinct ids among the welcomes of 5 connections ${show(ids)}`,
        ).to.equal(5);
      },
    );

    h.test(
      {
        id: 'P-WELCOME-04',
        level: 'MUST',
        title: "the welcome's user, when present, is a principal id of 1–256 characters",
      },
      async () => {
        const conn = await h.open();
        const first = await conn.frameAt(0, 'the first frame', h.wait);
        const welcome = objectOf(first);
        if (welcome === undefined || !('user' in welcome)) return;
        const user = welcome.user;
        expect(
          typeof user === 'string' && user.length >= 1 && user.length <= 256,
          `the user of ${first.text} is a string of 1–256 characters`,
        ).to.equal(true);
      },
    );

    h.test(
      {
        id: 'P-WELCOME-03',
        level: 'MUST',
        title: 'frames sent before the welcome arrives are answered after it, in the order sent',
      },
      async () => {
        const conn = await h.open();
        // Sent at once on open, without waiting for the welcome.
        conn.send({ k: 'join', id: 1, topic: 'plugsocket-contract-early' });
        conn.send({ k: 'req', id: 2, name: NO_SUCH_HANDLER });
        conn.send({ k: 'leave', id: 3, topic: 'plugsocket-contract-early' });
        await conn.find((f) => f.id === 3, 'the answer to the third early frame', h.wait);
        const order = conn.frames.map((frame) => {
          const f = objectOf(frame);
          return f?.k === 'welcome' ? 'welcome' : `${String(f?.k)} ${JSON.stringify(f?.id)}`;
        });
        expect(
          order,
          'the frames: the welcome, then the answers to join 1, req 2, leave 3',
        ).to.deep.equal(['welcome', 'ack 1', 'nack 2', 'ack 3']);
      },
    );

    h.test(
      {
        id: 'P-FRAME-01',
        level: 'MUST',
        title:
          'every frame the server sends is one text message holding a JSON object with a string "k"',
      },
      async () => {
        const { conn } = await h.admitted();
        const from = conn.frames.length;
        conn.send({ k: 'join', id: 1, topic: 'plugsocket-contract-frames' });
        conn.send({ k: 'req', id: 2, name: NO_SUCH_HANDLER });
        conn.sendText('{"k":');
        await h.barrier(conn, from);
        for (const frame of conn.frames) {
          expect(frame.binary, `frame ${show(frame.text)} came as a binary message`).to.equal(
            false,
          );
          const value = objectOf(frame);
          expect(value, `frame ${show(frame.text)} as a JSON object`).to.be.an('object');
          expect(value?.k, `the "k" of ${show(frame.text)}`).to.be.a('string');
        }
      },
    );
  });

  h.group('authentication', () => {
    h.test(
      {
        id: 'P-AUTH-01',
        level: 'MUST',
        title: 'a handshake with valid credentials is admitted with a welcome',
        requires: 'credentials',
      },
      async () => {
        const { conn } = await h.admitted();
        expect(conn.isOpen, `the admitted connection is open (${conn.describe()})`).to.equal(true);
      },
    );

    for (const [id, title, credentials] of [
      ['P-AUTH-02', 'invalid credentials', () => h.options.credentials?.invalid],
      ['P-AUTH-03', 'no credentials at all', () => null],
    ] as const) {
      h.test(
        {
          id,
          level: 'MUST',
          title: `a handshake with ${title} is closed with 4401, and no frame comes before the close`,
          requires: 'credentials',
        },
        async () => {
          const closed = await h.refused(credentials(), `a handshake with ${title}`);
          expect(closed.code, `the close code of a handshake with ${title}`).to.equal(4401);
        },
      );
    }

    h.test(
      {
        id: 'P-AUTH-04',
        level: 'SHOULD',
        title: 'the 4401 close carries a reason saying why',
        requires: 'credentials',
      },
      async () => {
        const closed = await h.refused(
          h.options.credentials?.invalid,
          'a handshake with invalid credentials',
        );
        expect(closed.code, 'the close code of a refused handshake').to.equal(4401);
        expect(closed.reason, 'the close reason of a refused handshake').to.not.equal('');
      },
    );

    h.test(
      {
        id: 'P-AUTH-05',
        level: 'MUST',
        title: 'a refused handshake leaves admitted connections open, served and unaware of it',
        requires: 'credentials',
      },
      async () => {
        const { conn } = await h.admitted();
        const from = conn.frames.length;
        await h.refused(h.options.credentials?.invalid, 'a handshake with invalid credentials');
        await h.expectSilence(
          conn,
          from,
          'an admitted connection, while another handshake was refused',
        );
      },
    );

    h.test(
      {
        id: 'P-AUTH-06',
        level: 'MUST',
        title: `an ${AUTH_HEADER} header that is not base64url JSON is refused with HTTP 400`,
        requires: 'credentials',
      },
      async () => {
        const conn = await h.open({
          credentials: null,
          headers: { [AUTH_HEADER]: 'not*base64url!' },
        });
        expect(conn.httpStatus, `the HTTP status of the upgrade (${conn.describe()})`).to.equal(
          400,
        );
        expect(conn.opened, 'whether the WebSocket opened').to.equal(false);
      },
    );
  });

  h.group('liveness', () => {
    h.test(
      {
        id: 'P-PING-01',
        level: 'MUST',
        title: 'a ping frame is answered with exactly {"k":"pong"}, and the connection stays open',
      },
      async () => {
        const { conn } = await h.admitted();
        conn.send({ k: 'ping' });
        const pong = await conn.find((f) => f.k === 'pong', 'the pong answering a ping', h.wait);
        expect(pong, 'the answer to {"k":"ping"}').to.deep.equal({ k: 'pong' });
        expect(conn.isOpen, `the connection stays open (${conn.describe()})`).to.equal(true);
      },
    );

    h.test(
      {
        id: 'P-PING-02',
        level: 'MUST',
        title: 'pings between requests are each answered, in order with the other answers',
      },
      async () => {
        const { conn } = await h.admitted();
        conn.send({ k: 'join', id: 81, topic: 'plugsocket-contract-ping' });
        conn.send({ k: 'ping' });
        conn.send({ k: 'leave', id: 82, topic: 'plugsocket-contract-ping' });
        conn.send({ k: 'ping' });
        await conn.find((f) => f.k === 'ack' && f.id === 82, 'the answer to leave 82', h.wait);
        await conn.find(
          (f) => f.k === 'pong' && conn.frames.filter((x) => objectOf(x)?.k === 'pong').length >= 2,
          'the second pong',
          h.wait,
        );
        const order = conn.frames
          .map((frame) => objectOf(frame))
          .filter((f) => f?.k !== 'welcome')
          .map((f) => (f?.k === 'pong' ? 'pong' : `${String(f?.k)} ${JSON.stringify(f?.id)}`));
        expect(order, 'the answers, in the order of what they answer').to.deep.equal([
          'ack 81',
          'pong',
          'ack 82',
          'pong',
        ]);
      },
    );
  });

  h.group('refreshing credentials', () => {
    h.test(
      {
        id: 'P-AUTH-07',
        level: 'MUST',
        title:
          'an auth frame with valid credentials on an admitted connection is answered with an ack on its id whose result lists the topics left',
        requires: 'credentials',
      },
      async () => {
        const { conn } = await h.admitted();
        conn.send({ k: 'auth', id: 71, credentials: h.options.credentials?.valid.auth ?? {} });
        const answer = await conn.find(
          (f) => (f.k === 'ack' || f.k === 'nack') && f.id === 71,
          'the answer to an auth frame (id 71)',
          h.wait,
        );
        expectAck(answer, 71, 'a refresh with valid credentials');
        const left = (answer.result as { left?: unknown } | undefined)?.left;
        expect(
          Array.isArray(left) && left.every((t) => typeof t === 'string'),
          `the result of ${JSON.stringify(answer)} is { left: [topic, …] }`,
        ).to.equal(true);
        expect(conn.isOpen, `the connection stays open (${conn.describe()})`).to.equal(true);
      },
    );

    h.test(
      {
        id: 'P-AUTH-08',
        level: 'MUST',
        title:
          'an auth frame with the invalid credentials (their auth object, when they have one) is answered with nack AUTHENTICATION_FAILED on its id, and the connection stays open and served',
        requires: 'credentials',
      },
      async () => {
        const invalid = h.options.credentials?.invalid.auth;
        const { conn } = await h.admitted();
        conn.send({ k: 'auth', id: 72, credentials: invalid ?? { token: '' } });
        const answer = await conn.find(
          (f) => (f.k === 'ack' || f.k === 'nack') && f.id === 72,
          'the answer to an auth frame with invalid credentials (id 72)',
          h.wait,
        );
        // Credentials the server reads from elsewhere (a header, the url) may still hold: an
        // empty auth object then refreshes them, which is an ack.
        if (invalid !== undefined) {
          expectError(answer, 'nack', 72, 'AUTHENTICATION_FAILED', 'a refused refresh');
        }
        conn.send({ k: 'join', id: 73, topic: 'plugsocket-contract-after-refresh' });
        const after = await conn.find(
          (f) => (f.k === 'ack' || f.k === 'nack') && f.id === 73,
          'the answer to a join after a refused refresh',
          h.wait,
        );
        expect(after.id, 'a join after a refused refresh is answered').to.equal(73);
        expect(conn.isOpen, `the connection stays open (${conn.describe()})`).to.equal(true);
      },
    );
  });

  h.group('closing', () => {
    h.test(
      {
        id: 'P-CLOSE-01',
        level: 'MUST',
        title:
          'a client close (1000, and 4426 for a version it does not speak) gets a closing handshake back echoing its code, not a broken connection',
      },
      async () => {
        for (const code of [1000, 4426]) {
          const { conn } = await h.admitted();
          conn.close(code, 'contract');
          const closed = await conn.closedWithin(`the server's answer to a ${code} close`, h.wait);
          expect(closed.code, `the close code seen after the client closed with ${code}`).to.equal(
            code,
          );
        }
      },
    );

    h.test(
      {
        id: 'P-CLOSE-02',
        level: 'MUST',
        title:
          'after a client leaves, the others keep being served and a new client is admitted with another id',
      },
      async () => {
        const a = await h.admitted();
        const b = await h.admitted();
        const from = b.conn.frames.length;
        a.conn.close(1000);
        await a.conn.closedWithin('the close of the first client', h.wait);
        await delay(20);
        const id = b.conn.nextId();
        b.conn.send({ k: 'join', id, topic: 'plugsocket-contract-after-close' });
        expectAck(
          await h.next(b.conn, from, 'the answer to a join after another client left'),
          id,
          'a join',
        );
        const c = await h.admitted();
        expect(c.id, 'the id of a client admitted after another left').to.not.equal(a.id);
      },
    );
  });
}
