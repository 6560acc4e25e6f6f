import { expect } from 'chai';
import { MemorySocket, MemorySocketServer } from '../../../../adapters/memory/index.js';
import type { CloseInfo, Frame, Handshake, ServerConnection } from '../../../../src/index.js';

/** Lets every queued memory delivery (promise jobs) run. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('MemorySocket', () => {
  let server: MemorySocketServer;
  let url: string;
  let connections: ServerConnection<MemorySocket>[];
  let handshakes: Handshake[];
  let disconnects: CloseInfo[];

  beforeEach(async () => {
    server = new MemorySocketServer();
    connections = [];
    handshakes = [];
    disconnects = [];
    server.on('connection', (connection, handshake) => {
      connections.push(connection);
      handshakes.push(handshake);
    });
    server.on('disconnect', (_connection, info) => disconnects.push(info));
    ({ url = '' } = await server.listen());
  });

  afterEach(() => server.close());

  function record(client: MemorySocket) {
    const log = { messages: [] as Frame[], closes: [] as CloseInfo[], errors: [] as string[] };
    client.on('message', (frame) => log.messages.push(frame));
    client.on('close', (info) => log.closes.push(info));
    client.on('error', (error) => log.errors.push(error.message));
    return log;
  }

  describe('handshake query', () => {
    it('keeps __proto__, constructor and toString keys as own data, from the options and the url', async () => {
      const client = new MemorySocket();
      const query = JSON.parse('{"__proto__":"p","constructor":"c"}') as Record<string, string>;
      await client.connect({ url: `${url}/path?toString=t&__proto__=url`, query });
      const received = handshakes[0].query;
      expect(new Map(Object.entries(received))).to.deep.equal(
        new Map([
          ['toString', 't'],
          ['__proto__', 'p'],
          ['constructor', 'c'],
        ]),
      );
      expect(Object.getPrototypeOf(received)).to.equal(Object.prototype);
      await client.disconnect();
    });

    it('takes the first value of a key repeated in the url, and the option over the url', async () => {
      const client = new MemorySocket();
      await client.connect({
        url: `${url}/chat?dup=first&dup=second&both=url`,
        query: { both: 'option' },
      });
      expect(handshakes[0].query).to.deep.equal({ dup: 'first', both: 'option' });
      expect(handshakes[0].url).to.equal('/chat?dup=first&both=option');
      await client.disconnect();
    });
  });

  describe('binary frames', () => {
    it('copies on send, Node Buffers too: bytes changed after send() returned do not arrive', async () => {
      const client = new MemorySocket();
      const log = record(client);
      const received: Frame[] = [];
      server.on('message', (_connection, frame) => received.push(frame));
      await client.connect({ url });
      const up = Buffer.from([1, 2, 3]);
      const down = Buffer.from([4, 5, 6]);
      const many = Buffer.from([7, 8, 9]);
      client.send(up);
      server.send(connections[0], down);
      server.sendMany([connections[0]], many);
      for (const bytes of [up, down, many]) bytes.fill(0);
      await settle();
      expect(received.map((frame) => [...(frame as Uint8Array)])).to.deep.equal([[1, 2, 3]]);
      expect(log.messages.map((frame) => [...(frame as Uint8Array)])).to.deep.equal([
        [4, 5, 6],
        [7, 8, 9],
      ]);
      await client.disconnect();
    });
  });

  describe('connecting again', () => {
    it('opens a connect() made right after terminate(), and nothing of the old connection reaches it', async () => {
      const client = new MemorySocket();
      const log = record(client);
      await client.connect({ url });
      server.send(connections[0], 'old');
      client.terminate();
      await client.connect({ url, timeout: 1_000 });
      server.send(connections[1], 'new');
      await settle();
      expect(log.messages).to.deep.equal(['new']);
      expect(log.closes).to.deep.equal([{ code: 1006, reason: 'terminated' }]);
      expect(client.isOpen).to.equal(true);
      expect(disconnects).to.deep.equal([{ code: 1006, reason: '' }]);
      await client.disconnect();
    });

    it('ignores a close the server sends the old connection after the client left and connected again', async () => {
      const client = new MemorySocket();
      const log = record(client);
      await client.connect({ url });
      const old = connections[0];
      client.terminate();
      const reconnected = client.connect({ url, timeout: 1_000 });
      // The server has not heard of the hang-up yet: its close is for the old connection.
      void server.closeConnection(old, 4000, 'stale');
      await reconnected;
      await settle();
      expect(client.isOpen).to.equal(true);
      expect(log.closes).to.have.length(1);
      expect(connections[1].isOpen).to.equal(true);
      await client.disconnect();
    });

    it('reaches the server once, with the new options, when a connect is aborted and another starts at once', async () => {
      const client = new MemorySocket();
      const first = client
        .connect({ url, query: { n: '1' } })
        .catch((error: Error) => error.message);
      void client.disconnect();
      await client.connect({ url, query: { n: '2' } });
      expect(await first).to.match(/aborted/);
      await settle();
      expect(handshakes.map((h) => h.query.n)).to.deep.equal(['2']);
      await client.disconnect();
      await settle();
      expect(server.connections.size).to.equal(0);
    });

    it('still receives frames the server sent before it learned of the client’s close', async () => {
      const client = new MemorySocket();
      const log = record(client);
      await client.connect({ url });
      for (let i = 0; i < 5; i++) server.send(connections[0], `f${i}`);
      await client.disconnect(4000, 'bye');
      expect(log.messages).to.deep.equal(['f0', 'f1', 'f2', 'f3', 'f4']);
      expect(log.closes).to.deep.equal([{ code: 4000, reason: 'bye' }]);
      expect(disconnects).to.deep.equal([{ code: 4000, reason: 'bye' }]);
    });
  });
});
