// Type-level specification of typed messages. `npx tsc` compiles this file: each
// `@ts-expect-error` line must be a compile error, and tsc fails if one stops being one.
import { expect } from 'chai';
import { MemorySocket, MemorySocketServer } from '../../adapters/memory/index.js';
import { SocketClient, SocketServer, type MessageOf, type SocketMessage } from '../../src/index.js';
import { cleanUp, flush, uniqueName } from './support.js';

/** What chat clients send. */
interface ChatIn {
  say: { text: string };
  typing: boolean;
}

/** What the chat server sends. */
interface ChatOut {
  said: { from: string; text: string };
  count: number;
}

/** Requests the chat server answers. */
interface ServerCalls {
  add(payload: { a: number; b: number }): number;
  history(payload: { room: string }): Promise<string[]>;
  ping(): 'pong';
}

/** Requests chat clients answer (asked by the server or by other clients). */
interface ClientCalls {
  confirm(payload: string): boolean;
}

/** One schema, shared by both sides. */
interface Chat {
  clientMessages: ChatIn;
  serverMessages: ChatOut;
  serverHandlers: ServerCalls;
  clientHandlers: ClientCalls;
}

/** Never called: its body only has to compile (or, on the marked lines, fail to). */
function typeChecks(server: SocketServer<Chat>, client: SocketClient<Chat>): void {
  // ---- server → client, checked against Out
  server.to('lobby').emit('said', { from: 'a', text: 'hi' });
  server.to('lobby').except('id').to('other').emit('count', 3);
  server.except('id').emit('count', 1);
  server.sendToClient('id', { type: 'count', payload: 1 });
  server.broadcast({ type: 'said', payload: { from: 'a', text: 'hi' } }, { except: 'id' });
  server.sendToSubscribers('lobby', { type: 'count', payload: 2 });

  // @ts-expect-error the payload of 'said' lacks `from`
  server.to('lobby').emit('said', { text: 'hi' });
  // @ts-expect-error 'count' carries a number
  server.to('lobby').emit('count', 'three');
  // @ts-expect-error 'nope' is not an outgoing type
  server.to('lobby').emit('nope', 1);
  // @ts-expect-error 'say' is an incoming type, not an outgoing one
  server.except('id').emit('say', { text: 'x' });
  // @ts-expect-error wrong payload for 'count'
  server.sendToClient('id', { type: 'count', payload: 'x' });
  // @ts-expect-error 'say' is not an outgoing type
  server.broadcast({ type: 'say', payload: { text: 'x' } });
  // @ts-expect-error wrong payload for 'said'
  server.sendToSubscribers('lobby', { type: 'said', payload: { from: 1, text: 'x' } });

  // ---- client → server messages arrive typed by In
  server.onMessage((_id, message) => {
    if (message.type === 'say') {
      const text: string = message.payload.text;
      void text;
    } else {
      const typing: boolean = message.payload;
      void typing;
    }
    // @ts-expect-error the payload is a union of the In payloads, not any
    void message.payload.nope;
  });
  server.message$.subscribe(({ message }) => {
    // @ts-expect-error 'said' is not an incoming type
    if (message.type === 'said') return;
  });

  // ---- client → server, checked against the client's Out (the server's In)
  client.emit('say', { text: 'hi' });
  client.emit('typing', true);
  client.send({ type: 'say', payload: { text: 'hi' } });

  // @ts-expect-error `text` must be a string
  client.emit('say', { text: 1 });
  // @ts-expect-error 'said' is not an outgoing type of the client
  client.emit('said', { from: 'a', text: 'b' });
  // @ts-expect-error 'typing' carries a boolean
  client.send({ type: 'typing', payload: 'yes' });

  // ---- server → client, handlers typed by the client's In (the server's Out)
  client.subscribe('said', (payload, message) => {
    const from: string = payload.from;
    const same: { from: string; text: string } = message.payload;
    void from;
    void same;
  });
  client.subscribe('count', (payload: number) => void payload);
  // @ts-expect-error 'say' is not an incoming type of the client
  client.subscribe('say', () => undefined);
  // @ts-expect-error the handler of 'count' gets a number, not a string
  client.subscribe('count', (payload: string) => void payload);
  client.subscribe('said', (payload) => {
    // @ts-expect-error no such field on the 'said' payload
    void payload.nope;
  });
  client.onMessage((message) => {
    // @ts-expect-error 'say' is not an incoming type of the client
    if (message.type === 'say') return;
  });
  client.events.on('count', (payload) => {
    const n: number = payload;
    void n;
  });
  // @ts-expect-error the listener of 'count' gets a number
  client.events.on('count', (payload: string) => void payload);
  // @ts-expect-error 'say' is not an incoming type of the client
  client.events.once('say', () => undefined);
  server.onEvent('say', (payload, clientId) => {
    const text: string = payload.text;
    const id: string = clientId;
    void text;
    void id;
  });
  // @ts-expect-error 'said' is not a client event
  server.onEvent('said', () => undefined);

  void typeChecksRequests(server, client);
}

/** Requests: names, payloads and results checked on both sides. */
async function typeChecksRequests(
  server: SocketServer<Chat>,
  client: SocketClient<Chat>,
): Promise<void> {
  server.handle('add', ({ a, b }) => a + b);
  server.handle('history', ({ room }) => Promise.resolve([room]));
  server.handle('ping', () => 'pong' as const);
  server.handle('add', [(_ctx, next) => next()], ({ a }) => a);
  // @ts-expect-error 'add' answers a number
  server.handle('add', () => 'three');
  // @ts-expect-error the payload of 'add' has no `c`
  server.handle('add', ({ c }) => Number(c));
  // @ts-expect-error 'nope' is not a server handler
  server.handle('nope', () => 1);
  // @ts-expect-error 'confirm' is a client handler, not a server one
  server.handle('confirm', () => true);

  const sum: number = await client.request('add', { a: 1, b: 2 });
  const lines: string[] = await client.request('history', { room: 'r' });
  const pong: 'pong' = await client.request('ping', undefined);
  void sum;
  void lines;
  void pong;
  // @ts-expect-error `b` is missing
  await client.request('add', { a: 1 });
  // @ts-expect-error the result of 'add' is a number
  const wrong: string = await client.request('add', { a: 1, b: 2 });
  void wrong;
  // @ts-expect-error 'confirm' is not a server handler
  await client.request('confirm', 'x');

  client.handle('confirm', (question) => question.length > 0);
  // @ts-expect-error 'confirm' answers a boolean
  client.handle('confirm', () => 'yes');
  // @ts-expect-error 'add' is a server handler, not a client one
  client.handle('add', () => 1);

  const ok: boolean = await server.request('id', 'confirm', 'sure?');
  void ok;
  // @ts-expect-error the payload of 'confirm' is a string
  await server.request('id', 'confirm', 1);
  const peer: boolean = await client.requestClient({ user: 'bob' }, 'confirm', 'sure?');
  void peer;
  // @ts-expect-error 'add' is not a client handler
  await client.requestClient('id', 'add', { a: 1, b: 2 });

  const replies = await server.to('lobby').timeout(100).request('confirm', 'all?');
  const first: boolean | undefined = replies.results.get('id');
  void first;
  // @ts-expect-error the results of 'confirm' are booleans
  const firstText: string | undefined = replies.results.get('id');
  void firstText;
}

describe('typed messages', () => {
  afterEach(cleanUp);

  it('type-checks payloads per message type (the @ts-expect-error lines above are compile errors)', () => {
    // The checks run at compile time; here, only that the checked function exists.
    expect(typeChecks).to.be.a('function');
    const m: MessageOf<ChatOut> = { type: 'count', payload: 1 };
    expect(typeChecksRequests).to.be.a('function');
    expect(m.type).to.equal('count');
  });

  it('delivers typed messages in both directions at run time', async () => {
    const adapter = new MemorySocketServer({ name: uniqueName('typed') });
    const server = new SocketServer<Chat>(adapter);
    const { url = '' } = await server.listen();
    const client = new SocketClient<Chat>(new MemorySocket(), { url });
    const atServer: MessageOf<ChatIn>[] = [];
    server.onMessage((_id, message) => atServer.push(message));
    const said: { from: string; text: string }[] = [];
    const whole: SocketMessage<{ from: string; text: string }>[] = [];
    client.subscribe('said', (payload, message) => {
      said.push(payload);
      whole.push(message);
    });
    await client.connect();
    await client.join('lobby');
    client.emit('say', { text: 'hi' });
    client.emit('typing', false);
    server.to('lobby').emit('said', { from: 'ann', text: 'hello' });
    await flush();
    expect(atServer).to.deep.equal([
      { type: 'say', payload: { text: 'hi' } },
      { type: 'typing', payload: false },
    ]);
    expect(said).to.deep.equal([{ from: 'ann', text: 'hello' }]);
    expect(whole).to.deep.equal([{ type: 'said', payload: { from: 'ann', text: 'hello' } }]);
    await client.disconnect();
    await server.shutdown();
  });

  it('answers typed requests in both directions at run time', async () => {
    const adapter = new MemorySocketServer({ name: uniqueName('typed') });
    const server = new SocketServer<Chat>(adapter);
    server.handle('add', ({ a, b }) => a + b);
    const { url = '' } = await server.listen();
    const client = new SocketClient<Chat>(new MemorySocket(), { url });
    client.handle('confirm', (question) => question === 'sure?');
    await client.connect();
    expect(await client.request('add', { a: 2, b: 3 })).to.equal(5);
    expect(await server.request(client.id ?? '', 'confirm', 'sure?')).to.equal(true);
    await client.disconnect();
    await server.shutdown();
  });
});
