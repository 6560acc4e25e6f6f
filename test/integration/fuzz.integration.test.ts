// Property-based fuzzing of a live SocketServer on each real transport (ws, Socket.IO): random
// and malformed frames of every kind, in both forms, huge and deep values, prototype keys,
// unknown kinds and garbage handshake credentials — while a well-behaved client on the same
// server keeps exchanging numbered messages and requests. Reproduce a failure with the printed
// seed: PLUGSOCKET_FUZZ_SEED=<seed> npx mocha test/integration/fuzz.integration.test.ts
import { expect } from 'chai';
import fc from 'fast-check';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import {
  PlugSocketError,
  SocketClient,
  SocketServer,
  type AbstractSocket,
  type AbstractSocketServer,
  type AuthorizationStrategy,
} from 'plugsocket';
import { SocketIoServer } from 'plugsocket/socket.io';
import { SocketIoSocket } from 'plugsocket/socket.io/client';
import { WsSocket, WsSocketServer } from 'plugsocket/ws';
import { io, type Socket as IoClientSocket } from 'socket.io-client';
import { WebSocket } from 'ws';
import { FRAME_KINDS } from '../../src/protocol/kinds.js';
import { waitFor } from './transports.js';

const SEED = Number(process.env.PLUGSOCKET_FUZZ_SEED ?? 0x5eed);
const NUM_RUNS = Number(process.env.PLUGSOCKET_FUZZ_RUNS ?? 250);
const MAX_PAYLOAD = 16 * 1024;
const AUTH_HEADER = 'x-plugsocket-auth';
const POLLUTION_KEYS = ['polluted', 'admin', 'isAdmin'];

/** `global.gc`, or V8's gc exposed at run time, or nothing. */
function gc(): (() => void) | undefined {
  const g = globalThis as { gc?: () => void };
  if (typeof g.gc === 'function') return g.gc;
  try {
    setFlagsFromString('--expose_gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------- arbitraries

const KIND_NAMES = FRAME_KINDS.map((k) => k.k);
const KIND_IDS = FRAME_KINDS.map((k) => k.id);
const PROTO_KEYS = ['__proto__', 'constructor', 'prototype'];

/** A JSON value with a prototype key planted in objects here and there. */
const poisoned: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.jsonValue({ maxDepth: 2 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc
      .tuple(
        fc.dictionary(fc.string({ maxLength: 6 }), tie('value'), { maxKeys: 3 }),
        fc.constantFrom(...PROTO_KEYS),
        fc.oneof(
          fc.constant({ polluted: true }),
          fc.constant({ prototype: { polluted: true } }),
          tie('value'),
        ),
      )
      .map(([record, key, item]) => {
        Object.defineProperty(record, key, {
          value: item,
          enumerable: true,
          writable: true,
          configurable: true,
        });
        return record;
      }),
  ),
})).value;

/** Brackets thousands deep, as JSON text, optionally unbalanced. */
const deepText = fc
  .tuple(
    fc.integer({ min: 100, max: 6000 }),
    fc.constantFrom('[', '{"a":'),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([depth, open, balanced, asPayload]) => {
    const close = open === '[' ? ']' : '}';
    const body = open.repeat(depth) + '0' + close.repeat(balanced ? depth : depth >> 1);
    return asPayload ? `{"k":"msg","type":"deep","payload":${body}}` : body;
  });

/** A huge string near or over maxPayload, in a message. */
const hugeText = fc
  .tuple(fc.integer({ min: -64, max: 64 }), fc.constantFrom('a', 'ü', '"', '\\u0000'))
  .map(([delta, ch]) => {
    const frame = `{"k":"msg","type":"huge","payload":""}`;
    const room = Math.max(0, MAX_PAYLOAD - frame.length + delta);
    return frame.replace(
      '""',
      `"${ch.repeat(Math.ceil(room / ch.length / (ch === 'ü' ? 2 : 1)))}"`,
    );
  });

/** An object frame of any kind (or an unknown one) with fields of any value and type. */
const objectFrame = fc
  .tuple(
    fc.oneof(fc.constantFrom(...KIND_NAMES), fc.jsonValue({ maxDepth: 1 })),
    fc.array(
      fc.tuple(
        fc.constantFrom(
          'id',
          'type',
          'topic',
          'name',
          'headers',
          'payload',
          'result',
          'error',
          'to',
          'from',
          'v',
          'credentials',
          'k',
          '__proto__',
          'constructor',
        ),
        poisoned,
      ),
      { maxLength: 6 },
    ),
  )
  .map(([k, fields]) => {
    const frame: Record<string, unknown> = { k };
    for (const [key, value] of fields) {
      Object.defineProperty(frame, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return frame;
  });

/** A compact frame: a kind number (or anything), then fields of any value. */
const compactFrame = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...KIND_IDS),
      fc.integer({ min: -2, max: 20 }),
      fc.string({ maxLength: 8 }),
      fc.jsonValue({ maxDepth: 1 }),
    ),
    fc.array(poisoned, { maxLength: 7 }),
  )
  .map(([head, rest]) => [head, ...rest]);

/** Text of a frame, maybe truncated. */
const asText = (frame: fc.Arbitrary<unknown>): fc.Arbitrary<string> =>
  fc.tuple(frame, fc.option(fc.nat(), { nil: undefined })).map(([value, cut]) => {
    const text = JSON.stringify(value) ?? 'null';
    return cut === undefined ? text : text.slice(0, cut % (text.length + 1));
  });

/** Garbage credentials: deep, huge, prototype-keyed, odd. */
const garbageAuth: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.dictionary(fc.string({ maxLength: 8 }), poisoned, { maxKeys: 4 }),
  fc.integer({ min: 129, max: 1500 }).map((depth) => ({
    deep: JSON.parse('{"a":'.repeat(depth) + '1' + '}'.repeat(depth)) as unknown,
  })),
  fc.integer({ min: 1, max: 6000 }).map((n) => ({ token: 'x'.repeat(n) })),
  fc.constant(JSON.parse('{"__proto__":{"admin":true},"token":"t"}') as Record<string, unknown>),
  fc.constant(
    JSON.parse('{"constructor":{"prototype":{"isAdmin":true}}}') as Record<string, unknown>,
  ),
);

/** One attack. */
type Attack =
  | { via: 'text'; data: string }
  | { via: 'binary'; data: Uint8Array }
  | { via: 'structured'; data: unknown[]; spread: boolean }
  | { via: 'event'; name: string; args: unknown[] }
  | { via: 'raw'; data: string }
  | { via: 'auth'; auth: Record<string, unknown> }
  | { via: 'authHeader'; header: string };

const attack: fc.Arbitrary<Attack> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }).map((data): Attack => ({ via: 'text', data })),
  fc.uint8Array({ maxLength: 120 }).map((data): Attack => ({ via: 'binary', data })),
  asText(objectFrame).map((data): Attack => ({ via: 'text', data })),
  asText(compactFrame).map((data): Attack => ({ via: 'text', data })),
  asText(objectFrame).map((data): Attack => ({ via: 'binary', data: Buffer.from(data) })),
  deepText.map((data): Attack => ({ via: 'text', data })),
  hugeText.map((data): Attack => ({ via: 'text', data })),
  fc
    .tuple(compactFrame, fc.boolean())
    .map(([data, spread]): Attack => ({ via: 'structured', data, spread })),
  fc
    .tuple(fc.string({ maxLength: 4 }), fc.array(poisoned, { maxLength: 4 }))
    .map(([name, args]): Attack => ({ via: 'event', name, args })),
  fc
    .oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      asText(compactFrame).map((t) => `42["v",${t.slice(1)}`),
      asText(poisoned).map((t) => `42["l",${t}]`),
      deepText.map((t) => `42["l",${t}]`),
      fc.constantFrom(
        '40',
        '41',
        '42',
        '4',
        '2',
        '3',
        '6',
        '5',
        '1',
        '451-["v",{"_placeholder":true,"num":7}]',
      ),
    )
    .map((data): Attack => ({ via: 'raw', data })),
  garbageAuth.map((auth): Attack => ({ via: 'auth', auth })),
  fc
    .oneof(
      fc.string({ maxLength: 40 }),
      garbageAuth.map((a) => Buffer.from(JSON.stringify(a)).toString('base64url')),
      fc.constant(Buffer.from('{"a":'.repeat(2000) + '1' + '}'.repeat(2000)).toString('base64url')),
    )
    .map((header): Attack => ({ via: 'authHeader', header })),
);

// ---------------------------------------------------------------- the harness

interface FuzzTransport {
  name: string;
  createServer: () => AbstractSocketServer;
  createClient: () => AbstractSocket;
  /** Opens a raw connection that speaks the transport's wire format. */
  raw: (url: string, auth?: Record<string, unknown>, header?: string) => Promise<RawPeer>;
}

/** A raw peer: sends attacks; `alive` turns false once the server closed it. */
interface RawPeer {
  alive: boolean;
  send: (a: Attack) => void;
  close: () => void;
}

function opened(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    ws.once('open', () => resolve());
    ws.once('error', () => resolve());
    ws.once('unexpected-response', () => resolve());
    ws.once('close', () => resolve());
  });
}

const wsTransport: FuzzTransport = {
  name: 'ws',
  createServer: () => new WsSocketServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new WsSocket(),
  raw: async (url, auth, header) => {
    const headers: Record<string, string> = {};
    if (header !== undefined) headers[AUTH_HEADER] = header;
    else if (auth !== undefined) {
      try {
        headers[AUTH_HEADER] = Buffer.from(JSON.stringify(auth)).toString('base64url');
      } catch {
        // Too deep for this side's JSON.stringify: nothing to send.
      }
    }
    const ws = new WebSocket(url, { headers });
    const peer: RawPeer = {
      alive: true,
      send: (a) => {
        if (ws.readyState !== WebSocket.OPEN) return;
        if (a.via === 'binary') ws.send(a.data, { binary: true });
        else if (a.via === 'text' || a.via === 'raw') ws.send(a.data);
        else if (a.via === 'structured') ws.send(JSON.stringify(a.data) ?? 'null');
        else if (a.via === 'event') ws.send(JSON.stringify([a.name, ...a.args]) ?? 'null');
      },
      close: () => ws.terminate(),
    };
    ws.on('error', () => void (peer.alive = false));
    ws.on('close', () => void (peer.alive = false));
    await opened(ws);
    if (ws.readyState !== WebSocket.OPEN) peer.alive = false;
    return peer;
  },
};

const socketIoTransport: FuzzTransport = {
  name: 'socket.io',
  createServer: () => new SocketIoServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new SocketIoSocket(),
  raw: async (url, auth, header) => {
    const u = new URL(url);
    const base = `http://${u.host}`;
    if (header !== undefined || auth === undefined) {
      // Engine.IO spoken by hand: the open packet, then the namespace connect with garbage auth.
      const ws = new WebSocket(`ws://${u.host}/socket.io/?EIO=4&transport=websocket`);
      const peer: RawPeer = {
        alive: true,
        send: (a) => {
          if (ws.readyState !== WebSocket.OPEN) return;
          if (a.via === 'raw' || a.via === 'text')
            ws.send(a.via === 'text' ? `42["m",${JSON.stringify(a.data)}]` : a.data);
          else if (a.via === 'binary') ws.send(a.data, { binary: true });
          else if (a.via === 'structured')
            ws.send(`42${JSON.stringify(a.spread ? ['v', ...a.data] : ['l', a.data]) ?? ''}`);
          else if (a.via === 'event') ws.send(`42${JSON.stringify([a.name, ...a.args]) ?? ''}`);
        },
        close: () => ws.terminate(),
      };
      ws.on('error', () => void (peer.alive = false));
      ws.on('close', () => void (peer.alive = false));
      ws.on('message', (data: Buffer) => {
        const text = data.toString('utf8');
        if (text === '2') ws.send('3'); // Engine.IO ping
      });
      await opened(ws);
      if (ws.readyState !== WebSocket.OPEN) peer.alive = false;
      else ws.send(header === undefined ? '40' : `40${header}`);
      return peer;
    }
    // socket.io-client with garbage auth; sends wrong shapes through its own encoder.
    let socket: IoClientSocket;
    try {
      socket = io(`${base}${u.pathname === '/' ? '' : u.pathname}`, {
        transports: ['websocket'],
        forceNew: true,
        reconnection: false,
        auth,
        timeout: 2000,
      });
    } catch {
      return { alive: false, send: () => undefined, close: () => undefined };
    }
    const peer: RawPeer = {
      alive: true,
      send: (a) => {
        if (!socket.connected) return;
        try {
          if (a.via === 'structured') {
            if (a.spread) socket.emit('v', ...a.data);
            else socket.emit('l', a.data);
          } else if (a.via === 'event') socket.emit(a.name || 'v', ...a.args);
          else if (a.via === 'text' || a.via === 'raw') socket.emit('m', a.data);
          else if (a.via === 'binary') socket.emit('v', Buffer.from(a.data));
        } catch {
          // A reserved event name, or a value its encoder cannot write: the client's own error.
        }
      },
      close: () => void socket.disconnect(),
    };
    socket.on('disconnect', () => void (peer.alive = false));
    socket.on('connect_error', () => void (peer.alive = false));
    await new Promise<void>((resolve) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', () => resolve());
      setTimeout(resolve, 2000);
    });
    return peer;
  },
};

for (const transport of [wsTransport, socketIoTransport]) {
  describe(`fuzz: a live SocketServer over ${transport.name}`, function () {
    this.timeout(120_000);

    it(`survives ${NUM_RUNS} random attacks while a good client loses nothing (seed ${SEED})`, async () => {
      const uncaught: unknown[] = [];
      const onUncaught = (error: unknown): void => void uncaught.push(error);
      process.on('uncaughtException', onUncaught);
      process.on('unhandledRejection', onUncaught);
      const collect = gc();

      const authSeen: string[] = [];
      const authorization: AuthorizationStrategy = {
        applyAuthorization: (options) => options,
        authorize: (handshake) => {
          // What an application does with credentials: copy them, write them out.
          const copy = Object.assign({}, handshake.auth);
          if (Object.getPrototypeOf(copy) !== Object.prototype) authSeen.push('prototype changed');
          for (const key of POLLUTION_KEYS)
            if ((copy as Record<string, unknown>)[key] !== undefined && !Object.hasOwn(copy, key))
              authSeen.push(`inherited ${key}`);
          try {
            JSON.stringify(handshake.auth);
          } catch (error) {
            authSeen.push(`unwritable auth: ${String(error)}`);
          }
          return { ok: true, principal: 'p' };
        },
      };
      const server = new SocketServer(transport.createServer(), {
        maxPayload: MAX_PAYLOAD,
        authorization,
        handshakeTimeout: 2000,
      });
      const errors: unknown[] = [];
      server.onError((_id, error) => void errors.push(error));
      const { url } = await server.listen();
      const peers: RawPeer[] = [];
      const good = new SocketClient(transport.createClient(), {
        url: url!,
        connectTimeout: 5000,
        requestTimeout: 10_000,
      });
      try {
        await good.connect();
        const goodId = good.id;
        const received: number[] = [];
        server.onMessage((id, message) => {
          if (id === goodId && message.type === 'num') received.push(message.payload as number);
        });
        server.handle('echo', (payload: unknown) => payload);

        // The good client: numbered messages and requests, until the fuzz ends (bounded).
        let stop = false;
        const answers: number[] = [];
        let sent = 0;
        const goodLoop = (async () => {
          for (let i = 0; i < 5000 && !stop; i++) {
            good.emit('num', i);
            sent = i + 1;
            answers.push((await good.request('echo', i)) as number);
          }
        })();

        const before = (collect?.(), process.memoryUsage().heapUsed);
        let runs = 0;
        const pool = async (): Promise<RawPeer> => {
          const live = peers.filter((p) => p.alive);
          if (live.length >= 3) return live[runs % live.length];
          const peer = await transport.raw(url!);
          peers.push(peer);
          return peer;
        };
        try {
          await fc.assert(
            fc.asyncProperty(fc.array(attack, { minLength: 1, maxLength: 4 }), async (attacks) => {
              runs++;
              for (const a of attacks) {
                if (a.via === 'auth' || a.via === 'authHeader') {
                  const peer = await transport.raw(
                    url!,
                    a.via === 'auth' ? a.auth : undefined,
                    a.via === 'authHeader' ? a.header : undefined,
                  );
                  peers.push(peer);
                  peer.send({ via: 'text', data: '{"k":"msg","type":"hello"}' });
                } else (await pool()).send(a);
              }
              await new Promise((resolve) => setImmediate(resolve));
              // Close what the server has already dropped, and keep the pool small.
              for (let i = peers.length - 1; i >= 0; i--) {
                if (!peers[i].alive || peers.length > 12) {
                  peers[i].close();
                  peers.splice(i, 1);
                }
              }
              expect(uncaught).to.deep.equal([]);
            }),
            { seed: SEED, numRuns: NUM_RUNS, endOnFailure: true },
          );
        } catch (error) {
          console.error(
            `fuzz over ${transport.name} failed; reproduce with PLUGSOCKET_FUZZ_SEED=${SEED}`,
          );
          throw error;
        }
        stop = true;
        await goodLoop;
        await waitFor(() => received.length === sent, 10_000, 'every numbered message');

        if (process.env.PLUGSOCKET_FUZZ_VERBOSE)
          console.log({
            runs,
            sent,
            errors: errors.length,
            codes: [...new Set(errors.map((e) => (e as PlugSocketError).code))],
          });
        expect(runs).to.equal(NUM_RUNS);
        expect(sent).to.be.greaterThan(0);
        expect(received).to.deep.equal(Array.from({ length: sent }, (_, i) => i));
        expect(answers).to.deep.equal(Array.from({ length: sent }, (_, i) => i));
        expect(good.isConnected).to.equal(true);
        expect(uncaught).to.deep.equal([]);
        for (const error of errors) expect(error).to.be.instanceOf(PlugSocketError);
        expect(authSeen).to.deep.equal([]);
        expect(Object.getOwnPropertyNames(Object.prototype)).to.not.include.members(POLLUTION_KEYS);
        for (const key of POLLUTION_KEYS)
          expect(({} as Record<string, unknown>)[key], key).to.equal(undefined);

        for (const peer of peers.splice(0)) peer.close();
        await waitFor(() => server.clientCount === 1, 10_000, 'attackers gone');
        collect?.();
        const growth = process.memoryUsage().heapUsed - before;
        expect(growth, `heap grew by ${growth} bytes`).to.be.below(
          (collect === undefined ? 256 : 64) * 1024 * 1024,
        );
      } finally {
        for (const peer of peers) peer.close();
        await good.disconnect().catch(() => undefined);
        await server.shutdown();
        process.off('uncaughtException', onUncaught);
        process.off('unhandledRejection', onUncaught);
      }
    });
  });
}
