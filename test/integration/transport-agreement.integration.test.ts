// Port decisions every shipped transport must implement the same way, checked over each of them.
import { expect } from 'chai';
import type { AbstractSocket, AbstractSocketServer, AnyFrame, ServerConnection } from 'plugsocket';
import { TRANSPORTS, waitFor } from './transports.js';

for (const transport of TRANSPORTS) {
  describe(`transport decisions over ${transport.name}`, () => {
    let server: AbstractSocketServer;
    const clients: AbstractSocket[] = [];

    beforeEach(() => {
      server = transport.createServer();
    });

    afterEach(async () => {
      await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
      await server.close();
    });

    it('sendMany() with a connection listed twice delivers the frame to it once and counts it once', async () => {
      const connections: ServerConnection[] = [];
      server.on('connection', (connection) => connections.push(connection));
      const { url = '' } = await server.listen();
      const inboxes: AnyFrame[][] = [];
      for (let i = 0; i < 2; i++) {
        const client = transport.createClient();
        clients.push(client);
        const inbox: AnyFrame[] = [];
        inboxes.push(inbox);
        client.on('message', (frame) => inbox.push(frame));
        await client.connect({ url });
      }
      await waitFor(() => connections.length === 2, 5_000, 'both connections');
      const [a, b] = connections;
      expect(server.sendMany([a, b, a, a], 'once')).to.equal(2);
      expect(server.sendMany([b, b], 'b only')).to.equal(1);
      server.send(a, 'end');
      server.send(b, 'end');
      await waitFor(() => inboxes.every((inbox) => inbox.includes('end')), 5_000, 'the end frames');
      expect(inboxes).to.deep.equal([
        ['once', 'end'],
        ['once', 'b only', 'end'],
      ]);
    });
  });
}
