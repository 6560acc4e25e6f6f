// Decoding safety, path by path: a received `__proto__` key never becomes a prototype (refused in
// frames; dropped from credentials), and a nesting bomb is refused cheaply (MAX_NESTING_DEPTH),
// in text JSON, compact and structured (Socket.IO) frames, and the handshake's auth value on
// every transport (ws header, Socket.IO auth, memory).
import { expect } from 'chai';
import {
  CompactCodec,
  JsonCodec,
  normalizeHandshake,
  PlugSocketError,
  SocketClient,
  SocketServer,
  type AbstractSocket,
  type AbstractSocketServer,
  type AuthorizationStrategy,
  type Codec,
  type Handshake,
} from '../../src/index.js';
import { FRAME_KINDS } from '../../src/protocol/kinds.js';
import { MAX_NESTING_DEPTH } from '../../src/protocol/limits.js';
import { createServerFrameReader } from '../../src/protocol/frame-reader.js';
import { decodeAuthHeader, WS_AUTH_HEADER } from '../../adapters/ws/auth-header.js';
import { WsSocket, WsSocketServer } from '../../adapters/ws/index.js';
import { SocketIoServer } from '../../adapters/socket.io/index.js';
import { SocketIoSocket } from '../../adapters/socket.io/client.js';
import { boundedSocketIoParser } from '../../adapters/socket.io/socket-io-parser.js';
import { MemorySocket, MemorySocketServer } from '../../adapters/memory/index.js';
import type { Packet } from 'socket.io-parser';
import { WebSocket } from 'ws';

const PROTO = 'frame contains a forbidden "__proto__" key';
const CTOR = 'frame contains a forbidden "constructor.prototype" key';
const TOO_DEEP = `frame nests deeper than ${MAX_NESTING_DEPTH} levels`;
/** Far past the limit, and past where JSON.stringify or a recursive walk would overflow. */
const BOMB = 20_000;
/** A generous bound for refusing a bomb: its cost must not grow with its depth. */
const CHEAP_MS = 250;

const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

/** JSON text of `inner` in `levels` arrays, built without recursion. */
const arraysText = (levels: number, inner = '0'): string =>
  '['.repeat(levels) + inner + ']'.repeat(levels);
/** JSON text of `inner` in `levels` objects `{"a":…}`. */
const objectsText = (levels: number, inner = '0'): string =>
  '{"a":'.repeat(levels) + inner + '}'.repeat(levels);

/** `inner` in `levels` arrays, built without recursion (a cycle-free bomb). */
function inArrays(levels: number, inner: unknown): unknown[] {
  let value: unknown = inner;
  for (let i = 0; i < levels; i++) value = [value];
  return value as unknown[];
}

/** The caught error of `fn`, failing when it does not throw. */
function thrown(fn: () => unknown): PlugSocketError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(PlugSocketError);
    return error as PlugSocketError;
  }
  expect.fail('expected a throw');
}

function timed<T>(fn: () => T): [T | undefined, number] {
  const start = performance.now();
  let out: T | undefined;
  try {
    out = fn();
  } catch {
    out = undefined;
  }
  return [out, performance.now() - start];
}

/**
 * Every object position of every frame kind, in the object form: the envelope itself, and each
 * field that may hold an object (written as an object, with the poison inside).
 */
function objectPositions(poison: string): string[] {
  const frames: string[] = [];
  for (const kind of FRAME_KINDS) {
    frames.push(`{"k":"${kind.k}",${poison}}`);
    for (const field of kind.fields) {
      frames.push(`{"k":"${kind.k}","${field.name}":{${poison}}}`);
      frames.push(`{"k":"${kind.k}","${field.name}":[{"deep":{${poison}}}]}`);
    }
  }
  return frames;
}

/** The same, in the compact form: every field position of every kind. */
function compactPositions(poison: string): string[] {
  const frames: string[] = [`["t",{${poison}}]`];
  for (const kind of FRAME_KINDS) {
    for (let at = 0; at < kind.fields.length; at++) {
      const items = kind.fields.map((_, i) => (i === at ? `{"x":[{${poison}}]}` : '1'));
      frames.push(`[${kind.id},${items.join(',')}]`);
      frames.push(`[${kind.id},${items.map((v, i) => (i === at ? `{${poison}}` : v)).join(',')}]`);
    }
  }
  return frames;
}

const POISONS: [string, string][] = [
  ['"__proto__":{"polluted":true}', PROTO],
  ['"\\u005f_proto__":{"polluted":true}', PROTO],
  ['"__proto\\u005f_":{"polluted":true}', PROTO],
  ['"constructor":{"prototype":{"polluted":true}}', CTOR],
];

const CODECS: [string, () => Codec][] = [
  ['JsonCodec', () => new JsonCodec()],
  ['CompactCodec', () => new CompactCodec()],
  ['CompactCodec bounded', () => new CompactCodec({ maxBytes: 1 << 20 })],
];

afterEach(() => {
  // Whatever a test decoded, nothing may have reached Object.prototype.
  expect(Object.getOwnPropertyNames(Object.prototype)).to.not.include('polluted');
  expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
});

describe('decode hardening', () => {
  describe('text JSON frames', () => {
    for (const [name, make] of CODECS) {
      const codec = make();

      it(`${name}: refuses a prototype key at every object position of every kind, text and binary`, () => {
        let checked = 0;
        for (const [poison, message] of POISONS) {
          for (const frame of [...objectPositions(poison), ...compactPositions(poison)]) {
            for (const form of [frame, utf8(frame)]) {
              const error = thrown(() => codec.decode(form));
              expect(error.code, frame).to.equal('INVALID_MESSAGE');
              expect(error.message, frame).to.equal(message);
              checked++;
            }
          }
        }
        expect(checked).to.be.greaterThan(200);
      });

      it(`${name}: keeps the harmless "prototype" and string "constructor" keys as own data`, () => {
        const decoded = codec.decode(
          '{"k":"msg","type":"t","headers":{"prototype":"p","constructor":"c"},"payload":{"prototype":{}}}',
        ) as { headers: Record<string, unknown>; payload: Record<string, unknown> };
        expect(Object.getPrototypeOf(decoded.headers)).to.equal(Object.prototype);
        expect(Object.getPrototypeOf(Object.assign({}, decoded.headers))).to.equal(
          Object.prototype,
        );
        expect(decoded.headers.constructor).to.equal('c');
      });

      for (const [shape, text] of [
        ['arrays', arraysText],
        ['objects', objectsText],
      ] as const) {
        it(`${name}: refuses a ${BOMB}-level bomb of ${shape} cheaply, in a payload and as the frame`, () => {
          for (const frame of [
            `{"k":"msg","type":"t","payload":${text(BOMB)}}`,
            `{"k":"req","id":1,"name":"n","payload":${text(BOMB)}}`,
            `{"k":"auth","id":1,"credentials":${objectsText(BOMB)}}`,
            text(BOMB),
            `{"k":"msg","type":"t","payload":${text(BOMB, '"__proto__"')}}`,
          ]) {
            for (const form of [frame, utf8(frame)]) {
              const start = performance.now();
              expect(thrown(() => codec.decode(form)).message).to.equal(TOO_DEEP);
              const ms = performance.now() - start;
              // JSON.parse reads the whole text (linear); the depth walk stops at the limit.
              expect(ms, `${shape} ${frame.slice(0, 30)}`).to.be.below(CHEAP_MS);
            }
          }
        });
      }
    }
  });

  describe('compact (structured) frames', () => {
    for (const [name, make] of CODECS) {
      const codec = make();

      it(`${name}: refuses a parsed prototype key at every position of every kind`, () => {
        for (const [poison, message] of POISONS) {
          for (const text of compactPositions(poison)) {
            const frame = JSON.parse(text) as unknown[];
            const error = thrown(() => codec.decode(frame));
            expect(error.code, text).to.equal('INVALID_MESSAGE');
            expect(error.message, text).to.equal(message);
          }
        }
      });

      it(`${name}: refuses a ${BOMB}-level bomb, and a cyclic frame, cheaply`, () => {
        const cyclic: unknown[] = ['t'];
        cyclic.push(cyclic);
        const ownCycle: Record<string, unknown> = {};
        ownCycle.self = ownCycle;
        for (const frame of [
          inArrays(BOMB, 0),
          ['t', inArrays(BOMB, 0)],
          [7, 1, 'n', null, null, null, inArrays(BOMB, 0)],
          [9, 1, { c: inArrays(BOMB, 0) }],
          ['t', JSON.parse(objectsText(BOMB)) as unknown],
          cyclic,
          ['t', ownCycle],
        ]) {
          const start = performance.now();
          expect(thrown(() => codec.decode(frame)).message).to.equal(TOO_DEEP);
          const ms = performance.now() - start;
          expect(ms).to.be.below(CHEAP_MS);
        }
      });
    }

    it('the server frame reader refuses both, and answers a request with its id', () => {
      const reader = createServerFrameReader({
        supports: {
          binary: true,
          structured: true,
        } as unknown as Parameters<typeof createServerFrameReader>[0]['supports'],
        maxPayload: 1 << 20,
        owner: 'test',
      });
      const proto = JSON.parse(
        '[7,5,"n",null,null,null,{"__proto__":{"polluted":1}}]',
      ) as unknown[];
      const error = thrown(() => reader.read(proto));
      expect(error.message).to.equal(PROTO);
      expect((error as PlugSocketError & { requestId?: number }).requestId).to.equal(5);
      expect(thrown(() => reader.read(['t', inArrays(BOMB, 0)])).message).to.equal(TOO_DEEP);
    });
  });

  describe('Socket.IO packets', () => {
    /** What the adapter's Socket.IO parser decodes from one packet. */
    function decodePacket(text: string): Packet {
      const decoder = new boundedSocketIoParser.Decoder();
      let packet: Packet | undefined;
      decoder.on('decoded', (p: Packet) => void (packet = p));
      decoder.add(text);
      expect(packet, text.slice(0, 40)).to.not.equal(undefined);
      return packet!;
    }

    it('a "v" or "l" event with a prototype key anywhere is refused by the codec', () => {
      for (const [poison, message] of POISONS) {
        for (const text of compactPositions(poison)) {
          for (const packet of [`2["v",${text.slice(1, -1)}]`, `2["l",${text}]`]) {
            const data = decodePacket(packet).data as unknown[];
            const frame = data[0] === 'v' ? data.slice(1) : (data[1] as unknown[]);
            expect(thrown(() => new CompactCodec().decode(frame)).message, packet).to.equal(
              message,
            );
          }
        }
      }
    });

    it('a nesting bomb in an event is refused by the codec cheaply', () => {
      const data = decodePacket(`2["l",["t",${arraysText(BOMB)}]]`).data as unknown[];
      const start = performance.now();
      expect(thrown(() => new CompactCodec().decode(data[1] as unknown[])).message).to.equal(
        TOO_DEEP,
      );
      const ms = performance.now() - start;
      expect(ms).to.be.below(CHEAP_MS);
    });
  });

  describe('handshake auth: normalizeHandshake (every adapter)', () => {
    const polluting = (): Record<string, unknown> =>
      JSON.parse(
        '{"token":"t","__proto__":{"admin":true},"nested":{"__proto__":{"admin":true},"list":[{"__proto__":{"admin":true},"ok":1}]},"constructor":{"prototype":{"admin":true}}}',
      ) as Record<string, unknown>;

    it('drops prototype keys at every depth; copies by spread or Object.assign keep Object.prototype', () => {
      const { auth } = normalizeHandshake({ auth: polluting() });
      expect(auth).to.deep.equal({ token: 't', nested: { list: [{ ok: 1 }] } });
      const nested = auth.nested as Record<string, unknown>;
      const item = (nested.list as Record<string, unknown>[])[0];
      for (const value of [auth, nested, item]) {
        expect(Object.prototype.hasOwnProperty.call(value, '__proto__')).to.equal(false);
        for (const copy of [{ ...value }, Object.assign({}, value), structuredClone(value)]) {
          expect(Object.getPrototypeOf(copy)).to.equal(Object.prototype);
          expect(copy.admin).to.equal(undefined);
        }
      }
      expect(Object.isFrozen(auth)).to.equal(true);
    });

    it('keeps clean credentials as they were, and one with only a prototype key as none', () => {
      expect(normalizeHandshake({ auth: { token: 't', n: { a: [1] } } }).auth).to.deep.equal({
        token: 't',
        n: { a: [1] },
      });
      expect(
        normalizeHandshake({ auth: JSON.parse('{"__proto__":{"a":1}}') as Record<string, unknown> })
          .auth,
      ).to.be.empty;
    });

    it('drops credentials nesting past the limit, or cyclic, whole and cheaply', () => {
      const cyclic: Record<string, unknown> = { token: 't' };
      cyclic.self = cyclic;
      for (const auth of [
        { token: 't', deep: JSON.parse(objectsText(BOMB)) as unknown },
        { token: 't', deep: inArrays(BOMB, 0) },
        { token: 't', deep: inArrays(MAX_NESTING_DEPTH, 0) },
        cyclic,
      ]) {
        const [handshake, ms] = timed(() => normalizeHandshake({ auth }));
        expect(handshake!.auth).to.deep.equal({});
        expect(ms).to.be.below(CHEAP_MS);
      }
      // At the limit (the credentials themselves are level 1) they are kept.
      const atLimit = { token: 't', deep: inArrays(MAX_NESTING_DEPTH - 2, 0) };
      expect(normalizeHandshake({ auth: atLimit }).auth.token).to.equal('t');
    });

    it('headers and query keep "__proto__" as own string data, which no copy turns into a prototype', () => {
      const { headers, query } = normalizeHandshake({
        headers: JSON.parse('{"__proto__":"x","a":"1"}') as Record<string, string>,
        query: JSON.parse('{"__proto__":"x"}') as Record<string, string>,
      });
      for (const value of [headers, query]) {
        expect(Object.getPrototypeOf(Object.assign({}, value))).to.equal(Object.prototype);
        expect(Object.getPrototypeOf({ ...value })).to.equal(Object.prototype);
      }
    });
  });

  describe('handshake auth: the ws auth header', () => {
    const header = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

    it('decodes a deep or prototype-keyed value as own data cheaply (normalizeHandshake then drops it)', () => {
      const [decoded, ms] = timed(() => decodeAuthHeader(header(objectsText(BOMB))));
      expect(ms).to.be.below(CHEAP_MS * 4);
      expect(normalizeHandshake({ auth: decoded! }).auth).to.deep.equal({});
      const proto = decodeAuthHeader(header('{"__proto__":{"admin":true},"t":1}'))!;
      expect(Object.getPrototypeOf(proto)).to.equal(Object.prototype);
      expect(normalizeHandshake({ auth: proto }).auth).to.deep.equal({ t: 1 });
    });
  });

  describe('handshake auth over live transports', function () {
    this.timeout(10_000);
    const deep = (): Record<string, unknown> => ({
      token: 't',
      deep: JSON.parse(objectsText(MAX_NESTING_DEPTH + 50)) as unknown,
    });
    const polluting = (): Record<string, unknown> =>
      JSON.parse(
        '{"token":"t","__proto__":{"admin":true},"n":{"__proto__":{"admin":true}}}',
      ) as Record<string, unknown>;

    const TRANSPORTS: [string, () => AbstractSocketServer, () => AbstractSocket][] = [
      ['memory', () => new MemorySocketServer(), () => new MemorySocket()],
      ['ws', () => new WsSocketServer({ port: 0, host: '127.0.0.1' }), () => new WsSocket()],
      [
        'socket.io',
        () => new SocketIoServer({ port: 0, host: '127.0.0.1' }),
        () => new SocketIoSocket(),
      ],
    ];

    for (const [name, makeServer, makeClient] of TRANSPORTS) {
      it(`${name}: the strategy sees credentials without prototype keys, and deep ones as none or refused`, async () => {
        const seen: Handshake[] = [];
        const authorization: AuthorizationStrategy = {
          applyAuthorization: (options) => options,
          authorize: (handshake) => {
            seen.push(handshake);
            return { ok: true, principal: 'p' };
          },
        };
        const server = new SocketServer(makeServer(), { authorization });
        const { url } = await server.listen();
        const clients: SocketClient[] = [];
        try {
          const connect = async (auth: Record<string, unknown>): Promise<boolean> => {
            const client = new SocketClient(makeClient(), {
              url: url!,
              auth,
              connectTimeout: 3000,
            });
            clients.push(client);
            return client.connect().then(
              () => true,
              () => false,
            );
          };
          expect(await connect(polluting())).to.equal(true);
          const auth = seen[0].auth;
          expect(auth).to.deep.equal({ token: 't', n: {} });
          expect(Object.getPrototypeOf(Object.assign({}, auth))).to.equal(Object.prototype);
          expect(Object.getPrototypeOf(Object.assign({}, auth.n))).to.equal(Object.prototype);

          // Too deep: dropped whole, as no credentials, on every transport alike.
          expect(await connect(deep())).to.equal(true);
          expect(seen[1].auth).to.deep.equal({});
        } finally {
          await Promise.allSettled(clients.map((c) => c.disconnect()));
          await server.shutdown();
        }
      });
    }

    it('ws: a raw upgrade with a deep or prototype-keyed auth header is admitted with clean auth', async () => {
      const seen: Handshake[] = [];
      const authorization: AuthorizationStrategy = {
        applyAuthorization: (options) => options,
        authorize: (handshake) => {
          seen.push(handshake);
          return { ok: true, principal: 'p' };
        },
      };
      const server = new SocketServer(new WsSocketServer({ port: 0, host: '127.0.0.1' }), {
        authorization,
      });
      const { url } = await server.listen();
      try {
        for (const text of [objectsText(2000), '{"__proto__":{"admin":true},"t":1}']) {
          const status = await new Promise<number>((resolve) => {
            const ws = new WebSocket(url!, {
              headers: { [WS_AUTH_HEADER]: Buffer.from(text).toString('base64url') },
            });
            ws.on('unexpected-response', (_req, res) => {
              resolve(res.statusCode ?? 0);
              ws.terminate();
            });
            ws.on('message', () => {
              resolve(101);
              ws.close();
            });
            ws.on('error', () => resolve(-1));
          });
          expect(status, text.slice(0, 20)).to.equal(101);
        }
        expect(seen.map((h) => h.auth)).to.deep.equal([{}, { t: 1 }]);
      } finally {
        await server.shutdown();
      }
    });
  });
});
