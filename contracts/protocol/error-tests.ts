// Frames the server must refuse (and how), the size limit, and binary WebSocket messages.
import { expect, show } from '../assert.js';
import { NO_SUCH_HANDLER, type ProtocolHarness } from './harness.js';
import { objectOf } from './wire.js';

/** `depth` nested arrays as JSON text: `[[…]]`. */
function nested(depth: number): string {
  return `${'['.repeat(depth)}${']'.repeat(depth)}`;
}

const utf8 = new TextEncoder();

/** A msg frame's text whose UTF-8 is exactly `bytes` long, padded with `pad` (then ASCII). */
function msgOfBytes(bytes: number, pad: string): string {
  const head = '{"k":"msg","type":"plugsocket-contract/size","payload":"';
  const tail = '"}';
  let room = bytes - utf8.encode(head + tail).length;
  const unit = utf8.encode(pad).length;
  const body = pad.repeat(Math.floor(room / unit));
  room -= utf8.encode(body).length;
  return head + body + 'a'.repeat(room) + tail;
}

/** Frames that are not requests and must each get one INVALID_MESSAGE error frame. */
const BAD_FRAMES: [string, string][] = [
  ['malformed JSON', '{"k":"msg","type":"say"'],
  ['text that is not JSON', 'hello'],
  ['an unknown kind', '{"k":"shout"}'],
  ['a frame without "k"', '{"type":"say"}'],
  ['a numeric "k"', '{"k":0,"type":"say"}'],
  ['a welcome (only a server sends it)', '{"k":"welcome","v":1,"id":"x"}'],
  ['an error (only a server sends it)', '{"k":"error","error":{"code":"X","message":"y"}}'],
  ['an array', '[1,2]'],
  ['a string', '"x"'],
  ['null', 'null'],
  ['a number', '42'],
  ['a msg without type', '{"k":"msg"}'],
  ['a "__proto__" key', '{"k":"msg","type":"x","payload":{"__proto__":{"admin":true}}}'],
  ['a nested "__proto__" key', '{"k":"msg","type":"x","payload":[{"a":[{"__proto__":1}]}]}'],
  [
    'a "constructor" holding "prototype"',
    '{"k":"msg","type":"x","payload":{"constructor":{"prototype":{}}}}',
  ],
  ['129 levels of nesting', `{"k":"msg","type":"x","payload":${nested(128)}}`],
];

export function describeErrorTests(h: ProtocolHarness): void {
  h.group('refused frames', () => {
    const battery = (id: string, title: string, pick: (what: string) => boolean): void => {
      h.test({ id, level: 'MUST', title }, async () => {
        const { conn } = await h.admitted();
        for (const [what, text] of BAD_FRAMES.filter(([what]) => pick(what))) {
          await h.expectErrorFrame(
            conn,
            () => conn.sendText(text),
            'INVALID_MESSAGE',
            `${what} ${show(text)}`,
          );
        }
      });
    };
    battery(
      'P-ERROR-01',
      'malformed JSON, or text that is not JSON, gets an INVALID_MESSAGE error frame',
      (w) => /JSON/.test(w),
    );
    battery(
      'P-ERROR-02',
      'a frame with an unknown, missing or non-string kind, or a kind only a server sends, gets an INVALID_MESSAGE error frame',
      (w) => /kind|"k"|only a server/.test(w),
    );
    battery(
      'P-ERROR-03',
      'a frame that is not a JSON object (array, string, null, number) gets an INVALID_MESSAGE error frame',
      (w) => ['an array', 'a string', 'null', 'a number'].includes(w),
    );

    h.test(
      {
        id: 'P-ERROR-04',
        level: 'MUST',
        title:
          'a "__proto__" key or a "constructor" holding "prototype", at any depth, is refused with INVALID_MESSAGE (a nack for a req with a valid id); a plain "constructor" key is accepted',
      },
      async () => {
        const { conn } = await h.admitted();
        for (const [what, text] of BAD_FRAMES.filter(([w]) => /proto|constructor/.test(w))) {
          await h.expectErrorFrame(
            conn,
            () => conn.sendText(text),
            'INVALID_MESSAGE',
            `${what} ${show(text)}`,
          );
        }
        const req = `{"k":"req","id":61,"name":"${NO_SUCH_HANDLER}","payload":{"__proto__":{"admin":true}}}`;
        await h.expectNack(
          conn,
          () => conn.sendText(req),
          61,
          'INVALID_MESSAGE',
          `a req with a "__proto__" key ${show(req)}`,
        );
        const from = conn.frames.length;
        conn.sendText('{"k":"msg","type":"x","payload":{"constructor":{"name":"ok"}}}');
        await h.expectSilence(conn, from, 'a msg with a "constructor" key holding no "prototype"');
      },
    );

    h.test(
      {
        id: 'P-ERROR-05',
        level: 'MUST',
        title:
          'a frame nesting 128 levels is accepted; 129 levels are refused with INVALID_MESSAGE (a nack for a req with a valid id)',
      },
      async () => {
        const { conn } = await h.admitted();
        const from = conn.frames.length;
        conn.sendText(`{"k":"msg","type":"x","payload":${nested(127)}}`);
        await h.expectSilence(conn, from, 'a msg nesting 128 levels (the frame included)');
        const deep = `{"k":"msg","type":"x","payload":${nested(128)}}`;
        await h.expectErrorFrame(
          conn,
          () => conn.sendText(deep),
          'INVALID_MESSAGE',
          'a msg nesting 129 levels',
        );
        const req = `{"k":"req","id":62,"name":"${NO_SUCH_HANDLER}","payload":${nested(128)}}`;
        await h.expectNack(
          conn,
          () => conn.sendText(req),
          62,
          'INVALID_MESSAGE',
          'a req nesting 129 levels',
        );
      },
    );

    h.test(
      {
        id: 'P-ERROR-06',
        level: 'MUST',
        title: "keys a frame's kind does not define are ignored",
      },
      async () => {
        const { conn } = await h.admitted();
        let from = conn.frames.length;
        conn.send({
          k: 'join',
          id: 63,
          topic: 'plugsocket-contract-extra',
          extra: { y: [1] },
          v: 2,
        });
        const ack = await h.next(conn, from, 'the answer to a join with extra keys');
        expect(ack.k, `the answer ${JSON.stringify(ack)} to a join with extra keys`).to.equal(
          'ack',
        );
        from = conn.frames.length;
        conn.send({ k: 'msg', type: 'x', zz: true, id: 'not-an-id' });
        await h.expectSilence(conn, from, 'a msg with extra keys');
      },
    );

    h.test(
      {
        id: 'P-ERROR-07',
        level: 'MUST',
        title:
          'after every refused frame the connection stays open and serving, each gets exactly one error frame, and other connections see nothing of it',
      },
      async () => {
        const a = await h.admitted();
        const b = await h.admitted();
        const fromA = a.conn.frames.length;
        const fromB = b.conn.frames.length;
        for (const [, text] of BAD_FRAMES) a.conn.sendText(text);
        const answers = await h.barrier(a.conn, fromA);
        const kinds = answers.map(
          (f) =>
            `${String(objectOf(f)?.k)} ${String((objectOf(f)?.error as { code?: unknown } | undefined)?.code)}`,
        );
        expect(
          kinds,
          `the answers to ${BAD_FRAMES.length} refused frames sent at once`,
        ).to.deep.equal(BAD_FRAMES.map(() => 'error INVALID_MESSAGE'));
        expect(
          a.conn.isOpen,
          `the connection is open after refused frames (${a.conn.describe()})`,
        ).to.equal(true);
        await h.expectSilence(
          b.conn,
          fromB,
          'a bystander while another connection sent refused frames',
        );
      },
    );
  });

  h.group('size limit', () => {
    const spec = (id: string, title: string) =>
      ({ id, level: 'MUST', title, requires: 'maxPayload' }) as const;

    h.test(
      spec(
        'P-SIZE-01',
        'a frame one byte over maxPayload (counted in UTF-8 bytes, not characters) gets a PAYLOAD_TOO_LARGE error frame and the connection stays open',
      ),
      async () => {
        const { conn } = await h.admitted();
        const max = h.options.maxPayload;
        for (const [what, pad] of [
          ['ASCII', 'a'],
          ['two-byte characters', 'é'],
        ]) {
          const text = msgOfBytes(max + 1, pad);
          await h.expectErrorFrame(
            conn,
            () => conn.sendText(text),
            'PAYLOAD_TOO_LARGE',
            `a msg of ${max + 1} bytes of ${what} (${text.length} characters)`,
          );
        }
        const from = conn.frames.length;
        await h.barrier(conn, from);
        expect(conn.isOpen, 'the connection is open after oversized frames').to.equal(true);
      },
    );

    h.test(spec('P-SIZE-02', 'a frame of exactly maxPayload bytes is accepted'), async () => {
      const { conn } = await h.admitted();
      const from = conn.frames.length;
      conn.sendText(msgOfBytes(h.options.maxPayload, 'é'));
      await h.expectSilence(conn, from, `a msg of exactly ${h.options.maxPayload} bytes`);
    });

    h.test(
      spec(
        'P-SIZE-03',
        'an oversized text req is refused with a PAYLOAD_TOO_LARGE error frame (its id is not read) and never run',
      ),
      async () => {
        const { conn } = await h.admitted();
        const from = conn.frames.length;
        const filler = 'x'.repeat(h.options.maxPayload);
        conn.send({ k: 'req', id: 64, name: NO_SUCH_HANDLER, payload: filler });
        const answer = await h.next(conn, from, 'the answer to an oversized req');
        const text = JSON.stringify(answer);
        expect(answer.k, `the kind of the answer ${text}`).to.equal('error');
        expect(
          (answer.error as { code?: unknown } | undefined)?.code,
          `the code of ${text}`,
        ).to.equal('PAYLOAD_TOO_LARGE');
        const later = await h.barrier(conn, from + 1);
        expect(
          later.map((f) => f.text),
          'further answers to the oversized req',
        ).to.deep.equal([]);
      },
    );
  });

  h.group('binary messages', () => {
    h.test(
      {
        id: 'P-BINARY-01',
        level: 'MUST',
        title: 'a binary WebSocket message is read as UTF-8 JSON text',
      },
      async () => {
        const { conn } = await h.admitted();
        const from = conn.frames.length;
        conn.sendBinary(utf8.encode('{"k":"join","id":65,"topic":"tópico ☃"}'));
        const ack = await h.next(conn, from, 'the answer to a join sent as a binary message');
        expect(
          ack.k === 'ack' && ack.id === 65,
          `the answer ${JSON.stringify(ack)} is an ack on 65`,
        ).to.equal(true);
        await h.expectNack(
          conn,
          () => conn.sendBinary(utf8.encode(`{"k":"req","id":66,"name":"${NO_SUCH_HANDLER}"}`)),
          66,
          'HANDLER_NOT_FOUND',
          'a req sent as a binary message',
        );
      },
    );

    h.test(
      {
        id: 'P-BINARY-02',
        level: 'SHOULD',
        title:
          'a binary message that is not valid UTF-8 gets an INVALID_MESSAGE error frame and the connection stays open',
      },
      async () => {
        const { conn } = await h.admitted();
        await h.expectErrorFrame(
          conn,
          () => conn.sendBinary(Uint8Array.from([0x7b, 0xff, 0xfe, 0x7d])),
          'INVALID_MESSAGE',
          'a binary message of invalid UTF-8',
        );
        await h.barrier(conn, conn.frames.length);
      },
    );
  });
}
