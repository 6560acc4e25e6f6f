// The chat server's `say` over a Node client (the browser adapter on the ws package's WebSocket):
// a line is posted, or its sender is told why not — never dropped in silence — and a line sent
// again with the same key is posted once. Faster than the Chromium e2e; the page's side (holding
// lines until it is in the room again) is checked there.
import { expect } from 'chai';
import { FirstFrameAuthorization, PlugSocketError, SocketClient } from 'plugsocket';
import { BrowserSocket } from 'plugsocket/browser';
import { WebSocket } from 'ws';
import type { ChatLine, ChatSchema } from './protocol.js';
import { startChat, WS_PATH, type ChatServer } from './server.js';

describe('chat example server: say', function () {
  let chat: ChatServer;
  const clients: SocketClient<ChatSchema>[] = [];

  beforeEach(async function () {
    chat = await startChat({ port: 0, host: '127.0.0.1' });
  });

  afterEach(async function () {
    await Promise.all(clients.splice(0).map((c) => c.disconnect().catch(() => undefined)));
    await chat.close();
  });

  async function connect(user: string): Promise<SocketClient<ChatSchema>> {
    const response = await fetch(`${chat.url}login`, {
      method: 'POST',
      body: JSON.stringify({ name: user, password: `${user}-pw` }),
    });
    const { token } = (await response.json()) as { token: string };
    const client = new SocketClient<ChatSchema>(new BrowserSocket({ WebSocket }), {
      url: `ws://127.0.0.1:${chat.port}${WS_PATH}`,
      authorization: new FirstFrameAuthorization({ credentials: () => ({ token }) }),
      reconnect: false,
    });
    clients.push(client);
    await client.connect();
    return client;
  }

  async function refusal(promise: Promise<unknown>): Promise<PlugSocketError> {
    try {
      await promise;
    } catch (error) {
      expect(error).to.be.instanceOf(PlugSocketError);
      return error as PlugSocketError;
    }
    throw new Error('expected a refusal');
  }

  it('refuses a line from a client that is not in the room, and posts it once it joined', async function () {
    const alice = await connect('alice');
    const bob = await connect('bob');
    await bob.request('join', { room: 'lobby' });
    const seen: string[] = [];
    bob.events.on('message', (line) => seen.push(line.text));

    const error = await refusal(alice.request('say', { room: 'lobby', text: 'too early' }));
    expect(error.code).to.equal('UNAUTHORIZED');
    expect(error.message).to.contain('not in room "lobby"');
    expect(chat.store.history.get('lobby') ?? []).to.deep.equal([]);

    await alice.request('join', { room: 'lobby' });
    const line = await alice.request('say', { room: 'lobby', text: ' too early ' });
    expect(line).to.include({ room: 'lobby', user: 'alice', text: 'too early' });
    expect(chat.store.history.get('lobby')).to.deep.equal([line]);
    await until(() => seen.length === 1);
    expect(seen).to.deep.equal(['too early']);
  });

  it('refuses an empty line, a bad room and a bad key with INVALID_MESSAGE', async function () {
    const alice = await connect('alice');
    await alice.request('join', { room: 'lobby' });
    for (const payload of [
      { room: 'lobby', text: '   ' },
      { room: 'no such room!', text: 'hi' },
      { room: 'lobby', text: 'hi', key: 'k'.repeat(65) },
      { room: 'lobby', text: 'hi', key: '' },
    ]) {
      const error = await refusal(alice.request('say', payload));
      expect(error.code, JSON.stringify(payload)).to.equal('INVALID_MESSAGE');
    }
    expect(chat.store.history.get('lobby') ?? []).to.deep.equal([]);
  });

  it('posts a line sent again with the same key once, and answers it with the first line', async function () {
    const alice = await connect('alice');
    const bob = await connect('bob');
    await alice.request('join', { room: 'lobby' });
    await bob.request('join', { room: 'lobby' });
    const seen: ChatLine[] = [];
    bob.events.on('message', (line) => seen.push(line));

    const first = await alice.request('say', { room: 'lobby', text: 'once', key: 'k1' });
    const again = await alice.request('say', { room: 'lobby', text: 'once', key: 'k1' });
    expect(again).to.deep.equal(first);
    // The key is the user's: bob's k1 is another line.
    const bobs = await bob.request('say', { room: 'lobby', text: 'mine', key: 'k1' });
    expect(bobs.id).to.not.equal(first.id);
    expect(chat.store.history.get('lobby')?.map((l) => l.text)).to.deep.equal(['once', 'mine']);
    await until(() => seen.length === 2);
    await new Promise((done) => setTimeout(done, 100));
    expect(seen.map((l) => l.text)).to.deep.equal(['once', 'mine']);
  });
});

async function until(check: () => boolean, timeout = 2_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((done) => setTimeout(done, 10));
  }
}
