// One node of the multi-node proof, as its own process: a SocketServer over the ws transport on
// 127.0.0.1 (a port the OS picks) with a RedisBackplane, resume on, users from the `user` query
// parameter, relay rules and handlers, every cluster event recorded. It is driven by the test
// process over IPC (started with child_process.fork and `serialization: 'advanced'`, see
// ./protocol.ts): it says `ready` with its url, then answers numbered commands. Every unhandled
// error, every error the server reports and every warning a logger gets is sent to the parent as
// a `fault`: nothing fails silently here. SIGTERM shuts the server down gracefully (its sessions
// go to the other nodes); a lost IPC channel (the test process died) ends the process.
//
// argv: <nodeId> <prefix> <redisPort>; MN_TRACE=1 in the environment also reports what crosses
// the session store and the hand-over packets, as `trace` messages.
import { PlugSocketError, SocketServer, type AuthorizationStrategy, type Logger } from 'plugsocket';
import { RedisBackplane } from 'plugsocket/redis';
import { WsSocketServer } from 'plugsocket/ws';
import type { ChildMessage, Command, Fault, RecordedEvent, User } from './protocol.js';

const [nodeId, prefix, redisPortText] = process.argv.slice(2);
if (!nodeId || !prefix || !redisPortText) {
  process.stderr.write('usage: node-process.ts <nodeId> <prefix> <redisPort>\n');
  process.exit(2);
}

function send(message: ChildMessage): void {
  if (process.connected) process.send!(message);
}

function fault(kind: Fault['kind'], message: string, detail?: Record<string, unknown>): void {
  send({ type: 'fault', fault: { kind, node: nodeId, message, at: Date.now(), detail } });
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = PlugSocketError.is(error) ? ` [${error.code}]` : '';
    const cause = error.cause === undefined ? '' : ` (cause: ${describe(error.cause)})`;
    return `${error.name}${code}: ${error.message}${cause}`;
  }
  return String(error);
}

process.on('uncaughtException', (error) => {
  fault('uncaughtException', describe(error), { stack: error.stack });
});
process.on('unhandledRejection', (reason) => {
  fault('unhandledRejection', describe(reason), {
    stack: reason instanceof Error ? reason.stack : undefined,
  });
});
// The test process is gone: no orphan node stays behind.
process.on('disconnect', () => process.exit(1));

/** Warnings and errors of the server's and the backplane's loggers go to the parent. */
function forwardingLogger(part: string): Logger {
  const context = (ctx: Record<string, unknown> | undefined): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(ctx ?? {}))
      out[key] = value instanceof Error ? describe(value) : value;
    return out;
  };
  return {
    debug: () => undefined,
    warn: (message, ctx) => fault('warn', `${part}: ${message}`, context(ctx)),
    error: (message, ctx) => fault('error', `${part}: ${message}`, context(ctx)),
  };
}

/** Admits everyone: as `{ id: user }` with the `user` query parameter, anonymous without. */
const auth: AuthorizationStrategy<User | undefined> = {
  applyAuthorization: (options) => options,
  authorize: (handshake) => {
    const user = handshake.query.user;
    return { ok: true, principal: user === undefined || user === '' ? undefined : { id: user } };
  },
};

const backplane = new RedisBackplane({
  // Through the test's Redis proxy; ioredis dials again every 50 ms after a cut (not its backoff).
  redis: { host: '127.0.0.1', port: Number(redisPortText), retryStrategy: () => 50 },
  prefix,
  heartbeatInterval: 100,
  nodeTimeout: 600,
  commandTimeout: 1000,
  logger: forwardingLogger('redis'),
});

const server = new SocketServer<never, User | undefined>(
  new WsSocketServer({ port: 0, host: '127.0.0.1' }),
  {
    backplane,
    nodeId,
    authorization: auth,
    // Every client comes through the test's balancer, from one address.
    maxConnectionsPerAddress: Infinity,
    requestTimeout: 3000,
    heartbeatInterval: 1000,
    heartbeatTimeout: 1000,
    logger: forwardingLogger('server'),
  },
);

server.onError((clientId, error) => fault('serverError', describe(error), { clientId }));

// ---------------------------------------------------------------- what clients can ask

server.handle('whoami', (_payload, ctx) => ({
  node: nodeId,
  id: ctx.clientId,
  user: ctx.principal?.id,
}));
server.handle('echo', (payload) => payload);
server.relay('chat');
server.relay('say', { to: { topic: 'room' } });

// ---------------------------------------------------------------- what is recorded

const events: RecordedEvent[] = [];
let seq = 0;
function record(event: RecordedEvent['event'], detail: Record<string, unknown>): void {
  const entry: RecordedEvent = { seq: ++seq, at: Date.now(), event, detail };
  events.push(entry);
  // Traces reach the parent at once: they matter most for a node that is about to go.
  if (event === 'trace') send({ type: 'trace', event: entry });
}
server.cluster.on('join', (e) => record('join', { ...e }));
server.cluster.on('leave', (e) => record('leave', { ...e }));
server.cluster.on('online', (e) => record('online', { ...e }));
server.cluster.on('offline', (e) => record('offline', { ...e }));
server.cluster.on('nodeGone', (e) => record('nodeGone', { ...e }));
server.cluster.on('state', (e) =>
  record('state', {
    state: e.state,
    downFor: e.downFor,
    ...(e.error !== undefined && { error: describe(e.error) }),
  }),
);
server.onConnection((client) =>
  record('connection', { clientId: client.id, resumed: client.resumed }),
);
server.onDisconnection((clientId, info) =>
  record('disconnection', { clientId, code: info.code, reason: info.reason }),
);

function trace(): void {
  const store = backplane.sessions;
  const save = store.save.bind(store);
  const take = store.take.bind(store);
  store.save = (saved, ttl) => {
    record('trace', {
      what: 'save',
      id: saved.id,
      logStart: saved.logStart,
      logLength: saved.log.length,
      received: saved.received,
    });
    return save(saved, ttl);
  };
  store.take = async (id, accept) => {
    const taken = await take(id, accept);
    record('trace', {
      what: 'take',
      id,
      found: taken !== undefined,
      ...(taken !== undefined && { logStart: taken.logStart, logLength: taken.log.length }),
    });
    return taken;
  };
  const kinds = new Set(['h', 'd', 'o']);
  const publishTo = backplane.publishTo.bind(backplane);
  backplane.publishTo = (to, packet) => {
    if (kinds.has(packet.kind))
      record('trace', { what: `out ${packet.kind}`, to, data: packet.data });
    publishTo(to, packet);
  };
  const open = backplane.open.bind(backplane);
  backplane.open = (node) => {
    const receive = node.receive.bind(node);
    node.receive = (packet, from) => {
      if (kinds.has(packet.kind))
        record('trace', { what: `in ${packet.kind}`, from, data: packet.data });
      if (packet.kind === 'b') {
        const data = packet.data as { s?: number; t?: string[] };
        record('trace', { what: 'in b', from, s: data.s, t: data.t });
      }
      receive(packet, from);
    };
    return open(node);
  };
}

// With MN_TRACE set, what crosses the session store and the hand-over packets is recorded too
// (as `trace` events), to diagnose a hand-over.
if (process.env.MN_TRACE) trace();

// ---------------------------------------------------------------- commands

function replies(value: {
  results: Map<string, unknown>;
  errors: Map<string, PlugSocketError>;
  timedOut: string[];
}): unknown {
  return {
    results: [...value.results],
    errors: [...value.errors].map(([id, error]) => [
      id,
      { code: error.code, message: error.message },
    ]),
    timedOut: value.timedOut,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function run(command: Command): Promise<unknown> {
  switch (command.op) {
    case 'broadcast':
      return server.broadcast(
        { type: command.type, payload: command.payload } as never,
        command.except === undefined ? {} : { except: command.except },
      );
    case 'sendToSubscribers':
      return server.sendToSubscribers(
        command.topic,
        { type: command.type, payload: command.payload } as never,
        command.except === undefined ? {} : { except: command.except },
      );
    case 'emitTo': {
      let operator = server.to(command.topics);
      if (command.except !== undefined) operator = operator.except(command.except);
      return operator.emit(command.type as never, command.payload as never);
    }
    case 'sendToClient':
      return server.sendToClient(command.clientId, {
        type: command.type,
        payload: command.payload,
      } as never);
    case 'sendToUser':
      return server.sendToUser(command.user, {
        type: command.type,
        payload: command.payload,
      } as never);
    case 'request':
      return server.request(command.clientId, command.name as never, command.payload, {
        timeout: command.timeout ?? 3000,
      });
    case 'requestTopic':
      return replies(
        await server
          .to(command.topic)
          .timeout(command.timeout ?? 2000)
          .request(command.name as never, command.payload),
      );
    case 'disconnect':
      await server.disconnect(command.clientId, command.code, command.reason);
      return undefined;
    case 'stream': {
      // A numbered stream to a topic, sent from here: 1…count, one every intervalMs.
      for (let n = 1; n <= command.count; n++) {
        server.sendToSubscribers(command.topic, { type: command.type, payload: n } as never);
        if (n < command.count) await sleep(command.intervalMs);
      }
      return command.count;
    }
    case 'cluster': {
      const cluster = server.cluster;
      switch (command.query) {
        case 'nodes':
          return (await cluster.nodes()).sort();
        case 'getClients':
          return cluster.getClients();
        case 'getClient':
          return cluster.getClient(command.arg!);
        case 'getSubscribers':
          return cluster.getSubscribers(command.arg!);
        case 'topicSizes':
          return Object.fromEntries(await cluster.topicSizes());
        case 'getTopicSize':
          return cluster.getTopicSize(command.arg!);
        case 'getUserClients':
          return cluster.getUserClients(command.arg!);
        case 'isOnline':
          return cluster.isOnline(command.arg!);
      }
      throw new TypeError(`unknown cluster query ${String(command.query)}`);
    }
    case 'localClients':
      return server
        .getClients()
        .map((client) => ({ id: client.id, topics: [...client.topics].sort() }));
    case 'events':
      return events.filter((e) => e.seq > (command.since ?? 0));
    case 'metrics':
      return server.getMetrics();
    case 'backplaneStats':
      return backplane.stats;
    case 'shutdown':
      return stop();
  }
}

process.on('message', (message: Command) => {
  run(message).then(
    (value) => send({ type: 'reply', id: message.id, ok: true, value }),
    (error: unknown) =>
      send({
        type: 'reply',
        id: message.id,
        ok: false,
        error: {
          message: describe(error),
          code: PlugSocketError.is(error) ? error.code : undefined,
        },
      }),
  );
});

// ---------------------------------------------------------------- life

let stopping: Promise<number> | undefined;
/** Shuts the server down gracefully (once); resolves with how long it took, then exits. */
function stop(): Promise<number> {
  if (stopping !== undefined) return stopping;
  const started = Date.now();
  send({ type: 'stopping' });
  stopping = server.shutdown({ timeout: 2000 }).then(
    () => {
      const ms = Date.now() - started;
      send({ type: 'stopped', ms });
      return ms;
    },
    (error: unknown) => {
      fault('uncaughtException', `shutdown failed: ${describe(error)}`);
      throw error;
    },
  );
  // Let the last IPC messages (a reply, `stopped`) out, then go.
  void stopping.catch(() => undefined).finally(() => setTimeout(() => process.exit(0), 50));
  return stopping;
}
process.on('SIGTERM', () => void stop().catch(() => undefined));

server.listen().then(
  (address) => send({ type: 'ready', nodeId, url: address.url ?? '', port: address.port ?? 0 }),
  (error: unknown) => {
    fault('uncaughtException', `listen failed: ${describe(error)}`);
    setTimeout(() => process.exit(1), 20);
  },
);
