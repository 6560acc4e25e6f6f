// `npm run demo`: a real plugsocket server on the ws transport, on a free loopback port, with
// three clients that authenticate, join topics, exchange messages and broadcasts, make requests
// of the server and of each other, relay events through middleware, resume a session after a
// dropped connection without losing what was sent meanwhile, and a clean shutdown. Exits 0 by
// itself within seconds (and 1 if anything goes wrong).
import {
  PlugSocketError,
  SocketClient,
  SocketServer,
  type AuthorizationStrategy,
  type ConnectOptions,
  type Handshake,
} from 'plugsocket';
import { WsSocket, WsSocketServer } from 'plugsocket/ws';

// Typed messages: the compiler checks every type and payload below.
interface ToServer {
  say: { topic: string; text: string };
  whisper: { to: string; text: string };
  typing: { topic: string };
}
interface ToClient {
  said: { from: string; topic: string; text: string };
  whispered: { from: string; text: string };
  announcement: { text: string };
  typing: { topic: string };
}

/**
 * Both sides share one schema: what clients send, what the server sends, and the requests each
 * side answers — names, payloads and results are all checked by the compiler.
 */
interface Demo {
  clientMessages: ToServer;
  serverMessages: ToClient;
  serverHandlers: { roll(payload: { sides: number }): number };
  clientHandlers: { confirm(payload: string): boolean };
}

/** Clients present a name; the server admits any non-empty name except "mallory". */
class NameAuthorization implements AuthorizationStrategy<string> {
  constructor(private readonly name = '') {}
  applyAuthorization(options: ConnectOptions): ConnectOptions {
    return { ...options, auth: { ...options.auth, name: this.name } };
  }
  authorize(handshake: Handshake) {
    const name = handshake.auth.name;
    if (typeof name !== 'string' || name === '')
      return { ok: false as const, reason: 'a name is required' };
    if (name === 'mallory')
      return { ok: false as const, code: 'UNAUTHORIZED' as const, reason: 'banned' };
    return { ok: true as const, principal: name };
  }
}

const started = Date.now();
const log = (who: string, text: string): void => {
  const t = String(Date.now() - started).padStart(4, ' ');
  console.log(`${t} ms  ${who.padEnd(7)} ${text}`);
};
const watchdog = setTimeout(() => {
  log('demo', 'did not finish in 10 s');
  process.exit(1);
}, 10_000);

async function main(): Promise<void> {
  const server = new SocketServer<Demo, string>(
    new WsSocketServer({ port: 0, host: '127.0.0.1' }),
    {
      authorization: new NameAuthorization(),
      canSubscribe: (client, topic) => topic !== 'admin' || client.principal === 'alice',
    },
  );
  // Middleware in front of every message and request: here, it counts them per client.
  server.use((ctx, next) => {
    ctx.set('frames', (ctx.get<number>('frames') ?? 0) + 1);
    return next();
  });
  server.handle('roll', ({ sides }, ctx) => {
    const value = 1 + Math.floor(Math.random() * sides);
    log('server', `${ctx.principal} rolled a d${sides}: ${value}`);
    return value;
  });
  // Typing indicators go to the topic's other subscribers, marked with the sender's id.
  server.relay('typing', { to: { topic: 'lobby' } });
  const names = new Map<string, string>();
  server.onConnection((client) => {
    names.set(client.id, client.principal);
    log(
      'server',
      `${client.principal} ${client.resumed ? 'resumed its session' : 'connected'} from ${client.handshake.remoteAddress ?? '?'}`,
    );
  });
  server.onDisconnection((id, { code, reason }) =>
    log('server', `${names.get(id)} left (${code} ${reason})`),
  );
  server.onMessage((id, message) => {
    const from = names.get(id) ?? id;
    if (message.type === 'typing') return;
    if (message.type === 'say') {
      const { topic, text } = message.payload;
      const n = server.to(topic).except(id).emit('said', { from, topic, text });
      log('server', `${from} → #${topic}: "${text}" (delivered to ${n})`);
    } else if (message.type === 'whisper') {
      const target = [...names].find(([, name]) => name === message.payload.to)?.[0];
      const ok =
        target !== undefined &&
        server.sendToClient(target, {
          type: 'whispered',
          payload: { from, text: message.payload.text },
        });
      log(
        'server',
        `${from} whispers to ${message.payload.to}: ${ok ? 'delivered' : 'no such user'}`,
      );
    }
  });

  const { url, port } = await server.listen();
  log('server', `listening on ${url} (port ${port})`);

  const clients: SocketClient<Demo>[] = [];
  const connect = async (name: string) => {
    const client = new SocketClient<Demo>(new WsSocket(), {
      url: url!,
      authorization: new NameAuthorization(name),
      reconnect: { minDelay: 50, maxDelay: 200 },
    });
    clients.push(client);
    client.subscribe('said', (p) => log(name, `#${p.topic} <${p.from}> ${p.text}`));
    client.subscribe('whispered', (p) => log(name, `whisper from ${p.from}: ${p.text}`));
    client.subscribe('announcement', (p) => log(name, `announcement: ${p.text}`));
    client.events.on('typing', (p, m) =>
      log(name, `${m.from?.slice(0, 8)}… is typing in #${p.topic}`),
    );
    client.handle('confirm', (question, ctx) => {
      const asker = ctx.from === undefined ? 'the server' : `${ctx.from.slice(0, 8)}…`;
      log(name, `${asker} asks "${question}": yes`);
      return true;
    });
    client.onClose(({ code, reason }) => log(name, `closed (${code} ${reason})`));
    client.onReconnecting((attempt, delay) =>
      log(name, `reconnecting: attempt ${attempt} in ${delay} ms`),
    );
    await client.connect();
    log(name, `connected as ${client.id!.slice(0, 8)}…`);
    return client;
  };

  // A client the strategy refuses: the denial arrives as a typed error.
  try {
    await connect('mallory');
  } catch (error) {
    if (!PlugSocketError.is(error)) throw error;
    log('mallory', `refused: ${error.code} (${error.message})`);
  }

  const [alice, bob, carol] = await Promise.all([
    connect('alice'),
    connect('bob'),
    connect('carol'),
  ]);
  await Promise.all([alice.join('lobby'), bob.join('lobby'), carol.join('dev')]);
  log('clients', 'alice and bob joined #lobby, carol joined #dev');
  try {
    await carol.join('admin');
  } catch (error) {
    if (!PlugSocketError.is(error, 'UNAUTHORIZED')) throw error;
    log('carol', `may not join #admin: ${error.code}`);
  }

  const delivered = (client: SocketClient<Demo>, type: keyof ToClient) =>
    new Promise<void>((resolve) => {
      const off = client.subscribe(type, () => {
        off();
        resolve();
      });
    });

  let wait = delivered(bob, 'said');
  alice.emit('say', { topic: 'lobby', text: 'hello, lobby!' });
  await wait;

  wait = delivered(alice, 'whispered');
  carol.emit('whisper', { to: 'alice', text: 'psst, see #dev' });
  await wait;

  wait = delivered(bob, 'typing');
  alice.emit('typing', { topic: 'lobby' });
  await wait;

  // Requests: a client asks the server, a client asks another through the server (by user),
  // and the server asks a whole topic and gathers every answer.
  const roll = await alice.request('roll', { sides: 20 });
  log('alice', `the server answered roll: ${roll}`);
  const agreed = await carol.requestClient({ user: 'bob' }, 'confirm', 'lunch at noon?');
  log('carol', `bob answered: ${agreed}`);
  const votes = await server.to('lobby').timeout(1_000).request('confirm', 'close #lobby?');
  log(
    'server',
    `asked #lobby: ${votes.results.size} answered, ${votes.errors.size} failed, ${votes.timedOut.length} timed out`,
  );
  try {
    await bob.request('roll', { sides: 6 }, { signal: AbortSignal.abort() });
  } catch (error) {
    if (!PlugSocketError.is(error, 'ABORTED')) throw error;
    log('bob', `gave up on a request: ${error.code}`);
  }
  log('server', `alice sent ${server.getClient(alice.id!)?.get<number>('frames')} frames so far`);

  // A dropped connection (1012 here; a network cut is the same): carol's session waits for her,
  // what is sent to her meanwhile is kept, and her reconnect resumes it — same id, nothing lost.
  const carolId = carol.id!;
  const back = new Promise<void>((resolve) =>
    carol.onReconnected((outcome) => {
      log(
        'carol',
        `reconnected: ${outcome.resumed ? 'session resumed' : `new session (${outcome.reason})`}`,
      );
      resolve();
    }),
  );
  const missed = delivered(carol, 'whispered');
  await server.disconnect(carolId, 1012, 'network blip');
  alice.emit('whisper', { to: 'carol', text: 'sent while you were away' });
  await Promise.all([back, missed]);
  log('carol', `same id after the resume: ${carol.id === carolId}`);

  const all = [alice, bob, carol].map((c) => delivered(c, 'announcement'));
  const n = server.broadcast({
    type: 'announcement',
    payload: { text: 'maintenance in 1 minute' },
  });
  log('server', `broadcast announcement to ${n} clients (encoded once)`);
  await Promise.all(all);

  await bob.disconnect(1000, 'bye');
  log(
    'server',
    `clients now: ${server
      .getClients()
      .map((c) => c.principal)
      .join(', ')}`,
  );

  await server.shutdown();
  log(
    'server',
    `shut down; ${server.clientCount} clients, ${server.getTopics().length} topics left`,
  );
  // The clients took 1001 as "come back later" and reconnect by themselves; stop them.
  await Promise.all(clients.map((c) => c.disconnect()));
  log('demo', `clients stopped: ${clients.map((c) => c.state).join(', ')}`);
}

main().then(
  () => {
    clearTimeout(watchdog);
    log('demo', 'done');
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
