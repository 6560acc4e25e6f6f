import { expect } from '../assert.js';
import type { AnyFrame } from '../../src/index.js';
import {
  delay,
  describeFrame,
  mixedUtf8Text,
  waitUntil,
  withLoneSurrogatesReplaced,
} from '../helpers.js';
import type { TransportHarness } from '../transport-harness.js';
import { expectBothWays } from './delivery.js';

const MIB = 1024 * 1024;

/**
 * Text that a transport with a text-hostile layer gets wrong: a C-string layer (NUL), a
 * line-oriented one (CR/LF, U+2028/2029), newline-delimited framing, a decoder that strips a BOM
 * or takes U+FFFD for invalid input, and JSON or percent escaping done by hand.
 */
const SPECIAL_TEXT = [
  'a\u0000b',
  '\u0000',
  'ends with NUL\u0000',
  'crlf\r\nlf\nlone cr\rlf-cr\n\r',
  '\n',
  '\r\n',
  'ls\u2028ps\u2029',
  '\u2028',
  '\ufeffBOM first',
  '\ufeff',
  'mid\ufeffdle',
  '\ufffd replacement char',
  'tab\tbs\bff\fvt\u000bus\u001fdel\u007fnel\u0085csi\u009b',
  '"quoted" \\back\\slash\\ \\u0041 %41 &amp;',
];

/** Lone high and low surrogates at the start, in the middle and at the end of a frame. */
const LONE_SURROGATES = ['a\ud800b', '\udc00', 'end\ud83d', '\ude00start', 'ok 👋 then \udbff'];

/**
 * Registers the tests of text content beyond the frame tests' non-ASCII: control and line
 * characters, byte-order marks, lone surrogates, and a large frame of multi-byte characters.
 */
export function describeTextTests(h: TransportHarness): void {
  h.group('text content', () => {
    h.test(
      {
        id: 'T-TEXT-01',
        level: 'MUST',
        title:
          'text with control and line characters (NUL, CR/LF, U+2028/2029, BOM, U+FFFD, C0/C1 controls, quotes, backslashes) arrives intact both ways, one frame per send',
      },
      async () => {
        await expectBothWays(h, await h.pair(), SPECIAL_TEXT);
      },
    );

    h.test(
      {
        id: 'T-TEXT-02',
        level: 'MUST',
        title:
          'text with lone surrogates is accepted by send() and arrives, both ways, intact or with each lone surrogate replaced by U+FFFD',
      },
      async () => {
        const p = await h.pair();
        for (const frame of LONE_SURROGATES) {
          expect(
            p.client.send(frame),
            `client send(${JSON.stringify(frame)}) result (a lone surrogate must not be refused)`,
          ).to.equal(true);
          expect(
            p.server.send(p.connection, frame),
            `server send(${JSON.stringify(frame)}) result (a lone surrogate must not be refused)`,
          ).to.equal(true);
        }
        const n = LONE_SURROGATES.length;
        await waitUntil(
          () => p.log.messagesFrom(p.connection).length >= n && p.events.messages.length >= n,
          h.wait,
        );
        await delay(h.quiet);
        const arrived: [string, AnyFrame[]][] = [
          ['client → server', p.log.messagesFrom(p.connection)],
          ['server → client', p.events.messages],
        ];
        for (const [where, frames] of arrived) {
          expect(frames.length, `${where}: number of frames that arrived`).to.equal(n);
          frames.forEach((frame, i) => {
            const sent = LONE_SURROGATES[i];
            const replaced = withLoneSurrogatesReplaced(sent);
            if (frame === sent || frame === replaced) return;
            const got = typeof frame === 'string' ? JSON.stringify(frame) : describeFrame(frame);
            expect.fail(
              `${where}: frame ${i}, sent as ${JSON.stringify(sent)}, must arrive as it is or as ${JSON.stringify(replaced)}, but arrived as ${got}`,
            );
          });
        }
      },
    );

    h.test(
      {
        id: 'T-TEXT-03',
        level: 'MUST',
        title:
          'a 1 MiB text frame of mixed 1- to 4-byte characters (boundaries at every offset) arrives intact both ways',
      },
      async () => {
        await expectBothWays(h, await h.pair(), [mixedUtf8Text(MIB)]);
      },
    );
  });
}
