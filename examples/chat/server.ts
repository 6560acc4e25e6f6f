// The chat example's server: one Node HTTP server that serves the page (index.html and the page's
// TypeScript, bundled with esbuild at start), answers POST /login with a token, and carries the
// WebSocket upgrades at /ws for a plugsocket SocketServer on the ws adapter.
//
// - Authentication: the page logs in with a name and password from DEMO_USERS and gets a random
//   token; the browser cannot set WebSocket headers, so it sends the token in the connection's
//   first frame (FirstFrameAuthorization), checked by a TokenVerifier over the issued tokens.
// - Rooms are topics. `join` is a request: the server subscribes the client and answers with the
//   room's last lines (history on join) and its members.
// - Presence is app level: whenever a room's membership changes (join, leave, lost connection,
//   resumed connection) its subscribers get `presence` { topic, members }.
// - Typing indicators are relayed by the server to the room's other members.
// - `say` and `roll` are requests the server answers: a line is posted, or its sender is told why
//   not (not in the room, empty); never dropped in silence.
// - Restart without losing sessions: everything that must outlive one server — the session store,
//   the issued tokens, the rooms' history — is in a ChatStore the caller may keep and hand to the
//   next startChat() (see chat.e2e.test.ts).
import { randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  FirstFrameAuthorization,
  MemorySessionStore,
  PlugSocketError,
  SocketServer,
  type AuthorizationResult,
  type TokenVerifier,
} from 'plugsocket';
import { WsSocketServer } from 'plugsocket/ws';
import {
  HISTORY_ON_JOIN,
  ROOM_PATTERN,
  type ChatLine,
  type ChatSchema,
  type Member,
} from './protocol.js';

/** The demo accounts: name → password. A real app checks a password hash in its user store. */
export const DEMO_USERS: Readonly<Record<string, string>> = Object.freeze({
  alice: 'alice-pw',
  bob: 'bob-pw',
  carol: 'carol-pw',
});

/** Lines kept per room. */
const HISTORY_KEPT = 200;
/** The longest line accepted, in characters. */
const MAX_TEXT = 500;
/** Line keys remembered (for sending again safely), over all users. */
const KEYS_KEPT = 10_000;
/** The longest line key accepted. */
const MAX_KEY = 64;
/** The WebSocket path on the HTTP server. */
export const WS_PATH = '/ws';

/** The tokens the server issued: token → user. A TokenVerifier, so any carrier can use it. */
export class IssuedTokens implements TokenVerifier<string> {
  readonly #users = new Map<string, string>();

  /** A new random token (128 bits) for `user`; every login gets its own, tabs do not evict each other. */
  issue(user: string): string {
    const token = randomBytes(16).toString('base64url');
    this.#users.set(token, user);
    return token;
  }

  verify(token: string): AuthorizationResult<string> {
    const user = this.#users.get(token);
    return user === undefined
      ? { ok: false, code: 'AUTHENTICATION_FAILED', reason: 'unknown token' }
      : { ok: true, principal: user };
  }
}

/** What outlives one server instance: hand the same store to the next startChat() to resume. */
export interface ChatStore {
  /** Sessions handed over at shutdown, taken up by the next server (session resume). */
  readonly sessions: MemorySessionStore;
  /** Tokens stay valid across a restart: a resuming client is authenticated again. */
  readonly tokens: IssuedTokens;
  /** Each room's last lines. */
  readonly history: Map<string, ChatLine[]>;
  /** The last line id given out. */
  lastId: number;
  /**
   * The lines posted with a `key`, by `user + key`, so a line sent again (its first answer was
   * lost with the connection) is not posted twice. The most recent ones only.
   */
  readonly posted: Map<string, ChatLine>;
}

export function createChatStore(): ChatStore {
  return {
    sessions: new MemorySessionStore(),
    tokens: new IssuedTokens(),
    history: new Map(),
    lastId: 0,
    posted: new Map(),
  };
}

export interface StartChatOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind. @default '127.0.0.1' */
  host?: string;
  /** State shared with earlier and later servers; a fresh one by default. */
  store?: ChatStore;
  /** Resume window of the SocketServer, in ms. @default 120000 */
  resumeWindow?: number;
}

export interface ChatServer {
  /** The page's address, e.g. `http://127.0.0.1:8080/`. */
  readonly url: string;
  readonly port: number;
  readonly store: ChatStore;
  readonly server: SocketServer<ChatSchema, string>;
  /**
   * Shuts the SocketServer down (clients see 1001 and reconnect; their sessions go to the store),
   * then closes the HTTP server. Idempotent.
   */
  close(): Promise<void>;
}

const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));

let bundled: Promise<string> | undefined;

/**
 * The page's code, `page/main.ts` and what it imports (plugsocket from its sources), bundled for
 * the browser once per process.
 */
export function bundlePage(): Promise<string> {
  bundled ??= (async () => {
    const { build } = await import('esbuild');
    const result = await build({
      entryPoints: [`${PAGE_DIR}main.ts`],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      conditions: ['plugsocket-source'],
      write: false,
      minify: true,
      sourcemap: false,
      logLevel: 'silent',
    });
    return result.outputFiles[0].text;
  })();
  bundled.catch(() => (bundled = undefined));
  return bundled;
}

/** Starts the chat: HTTP server, page, login and the SocketServer at /ws. */
export async function startChat(options: StartChatOptions = {}): Promise<ChatServer> {
  const store = options.store ?? createChatStore();
  const host = options.host ?? '127.0.0.1';
  const [html, script] = await Promise.all([
    readFile(`${PAGE_DIR}index.html`, 'utf8'),
    bundlePage(),
  ]);

  const http = createServer((request, response) => {
    serveHttp(request, response, { html, script, store }).catch(() => {
      if (!response.headersSent) send(response, 500, 'text/plain', 'server error');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen({ port: options.port ?? 0, host }, () => {
      http.off('error', reject);
      resolve();
    });
  });

  const server = new SocketServer<ChatSchema, string>(
    new WsSocketServer({ server: http, path: WS_PATH }),
    {
      authorization: new FirstFrameAuthorization({ verify: store.tokens }),
      sessionStore: store.sessions,
      ...(options.resumeWindow !== undefined && { resumeWindow: options.resumeWindow }),
      // One browser-tab chat per connection: a handful of rooms is plenty.
      maxTopicsPerClient: 10,
      // Rooms are meant to be joined with the `join` request (history, presence). A bare
      // client.join() is not refused — a resume asks this hook again for every topic the session
      // holds — only held to the room-name rule.
      access: { join: (_client, topic) => ROOM_PATTERN.test(topic) },
    },
  );
  wireChat(server, store);
  await server.listen();

  const { port } = http.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}/`;
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    store,
    server,
    close: () =>
      (closing ??= (async () => {
        await server.shutdown({ timeout: 2_000 });
        await new Promise<void>((resolve) => {
          http.close(() => resolve());
          http.closeAllConnections();
        });
      })()),
  };
}

/** The chat's behaviour on a SocketServer: rooms, history, presence, typing, requests. */
function wireChat(server: SocketServer<ChatSchema, string>, store: ChatStore): void {
  /** Each connected client's rooms, kept here because a lost client is no longer listed. */
  const roomsOf = new Map<string, Set<string>>();

  const members = (room: string, without?: string): Member[] =>
    server
      .getSubscribers(room)
      .filter((id) => id !== without)
      .map((id) => ({ id, user: server.getClient(id)?.principal }));

  const announce = (room: string, without?: string): void => {
    server.to(room).emit('presence', { topic: room, members: members(room, without) });
  };

  const checkRoom = (room: unknown): string => {
    if (typeof room !== 'string' || !ROOM_PATTERN.test(room))
      throw new PlugSocketError(
        'INVALID_MESSAGE',
        'a room name is 1 to 32 letters, digits, - or _',
      );
    return room;
  };

  const lines = (room: string): ChatLine[] => {
    let list = store.history.get(room);
    if (list === undefined) store.history.set(room, (list = []));
    return list;
  };

  server.onConnection((client) => {
    if (!client.resumed) return;
    // Same id, same topics, after a lost connection or a restart: the room sees it back.
    roomsOf.set(client.id, new Set(client.topics));
    for (const room of client.topics) announce(room);
  });

  server.onDisconnection((clientId) => {
    const rooms = roomsOf.get(clientId);
    roomsOf.delete(clientId);
    // The session may be parked (and resume later), but the member is gone for now.
    for (const room of rooms ?? []) announce(room, clientId);
  });

  server.handle('join', ({ room }, ctx) => {
    const name = checkRoom(room);
    const rooms = roomsOf.get(ctx.clientId) ?? new Set<string>();
    roomsOf.set(ctx.clientId, rooms);
    for (const old of [...rooms]) {
      if (old === name) continue;
      server.unsubscribe(ctx.clientId, old);
      rooms.delete(old);
      announce(old);
    }
    if (!rooms.has(name)) {
      server.subscribe(ctx.clientId, name);
      rooms.add(name);
      announce(name);
    }
    return { room: name, history: lines(name).slice(-HISTORY_ON_JOIN), members: members(name) };
  });

  server.handle('history', ({ room, after }, ctx) => {
    const name = checkRoom(room);
    if (!ctx.client.topics.has(name))
      throw new PlugSocketError('UNAUTHORIZED', 'join the room to read it');
    const since = typeof after === 'number' ? after : 0;
    return lines(name).filter((line) => line.id > since);
  });

  server.handle('roll', ({ sides }, ctx) => {
    const n = sides ?? 6;
    if (!Number.isInteger(n) || n < 2 || n > 1000)
      throw new PlugSocketError('INVALID_MESSAGE', 'a die has 2 to 1000 sides');
    return { user: ctx.principal, sides: n, value: randomInt(1, n + 1) };
  });

  server.handle('say', ({ room, text, key }, ctx) => {
    const name = checkRoom(room);
    // Never dropped in silence: a line for a room the sender is not in is refused, and the
    // sender's page joins again and resends it (see page/main.ts).
    if (!ctx.client.topics.has(name))
      throw new PlugSocketError('UNAUTHORIZED', `not in room "${name}": join it first`);
    if (typeof text !== 'string' || text.trim() === '')
      throw new PlugSocketError('INVALID_MESSAGE', 'a line is a non-empty string');
    if (key !== undefined && (typeof key !== 'string' || key === '' || key.length > MAX_KEY))
      throw new PlugSocketError('INVALID_MESSAGE', `a line key is 1 to ${MAX_KEY} characters`);
    const keyOf = key === undefined ? undefined : `${ctx.principal}\u0000${key}`;
    const earlier = keyOf === undefined ? undefined : store.posted.get(keyOf);
    if (earlier !== undefined) return earlier;
    const line: ChatLine = {
      id: ++store.lastId,
      room: name,
      user: ctx.principal,
      text: text.trim().slice(0, MAX_TEXT),
      at: Date.now(),
    };
    const list = lines(name);
    list.push(line);
    if (list.length > HISTORY_KEPT) list.splice(0, list.length - HISTORY_KEPT);
    if (keyOf !== undefined) {
      store.posted.set(keyOf, line);
      // A Map iterates in insertion order: the first key is the oldest.
      for (const oldest of store.posted.keys()) {
        if (store.posted.size <= KEYS_KEPT) break;
        store.posted.delete(oldest);
      }
    }
    server.to(name).emit('message', line);
    return line;
  });

  // To the other members of the room the typist is in; never back to the typist.
  server.relay('typing', {
    to: (client, message, from) => {
      const room = (message.payload as { room?: unknown } | null)?.room;
      return typeof room === 'string' && from.topics.has(room) && client.topics.has(room);
    },
  });
}

interface Page {
  html: string;
  script: string;
  store: ChatStore;
}

async function serveHttp(
  request: IncomingMessage,
  response: ServerResponse,
  page: Page,
): Promise<void> {
  const path = new URL(request.url ?? '/', 'http://localhost').pathname;
  if (request.method === 'GET' && (path === '/' || path === '/index.html')) {
    return send(response, 200, 'text/html; charset=utf-8', page.html);
  }
  if (request.method === 'GET' && path === '/main.js') {
    return send(response, 200, 'text/javascript; charset=utf-8', page.script);
  }
  if (request.method === 'POST' && path === '/login') {
    const body = await readBody(request, 4096);
    let credentials: { name?: unknown; password?: unknown } = {};
    try {
      credentials = JSON.parse(body) as typeof credentials;
    } catch {
      return send(response, 400, 'application/json', JSON.stringify({ error: 'bad request' }));
    }
    const { name, password } = credentials;
    if (typeof name !== 'string' || typeof password !== 'string' || !checkPassword(name, password))
      return send(
        response,
        401,
        'application/json',
        JSON.stringify({ error: 'wrong name or password' }),
      );
    const token = page.store.tokens.issue(name);
    return send(response, 200, 'application/json', JSON.stringify({ user: name, token }));
  }
  if (request.method === 'GET' && path === '/favicon.ico')
    return send(response, 204, 'text/plain', '');
  send(response, 404, 'text/plain', 'not found');
}

function checkPassword(name: string, password: string): boolean {
  if (!Object.hasOwn(DEMO_USERS, name)) return false;
  const expected = Buffer.from(DEMO_USERS[name]);
  const given = Buffer.from(password);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

function readBody(request: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('body too large'));
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'content-security-policy':
      "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'",
  });
  response.end(body);
}
