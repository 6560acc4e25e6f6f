import { expect } from 'chai';
import { Container } from 'inversify';
import { SocketIoSocket } from '../../../../adapters/socket.io/client.js';
import { socketIoClientModule } from '../../../../adapters/socket.io/client-di.js';
import { socketIoServerModule } from '../../../../adapters/socket.io/di.js';
import { SocketIoServer } from '../../../../adapters/socket.io/index.js';
import { TOKENS } from '../../../../src/di/index.js';
import type { AbstractSocket, AbstractSocketServer } from '../../../../src/index.js';
import { Cleanup, recordServer, waitFor } from './socket-io-test-kit.js';

describe('Socket.IO DI modules', () => {
  const cleanup = new Cleanup();
  afterEach(() => cleanup.run());

  describe('socketIoServerModule', () => {
    it('binds ServerTransport to one SocketIoServer built from the options', async () => {
      const container = new Container();
      container.load(socketIoServerModule({ port: 0, host: '127.0.0.1', namespace: '/di' }));
      const server = cleanup.defer(
        container.get<AbstractSocketServer>(TOKENS.ServerTransport),
        (s) => s.close(),
      );
      expect(server).to.be.instanceOf(SocketIoServer);
      expect(container.get(TOKENS.ServerTransport)).to.equal(server);
      const { url } = await server.listen();
      expect(url).to.match(/^http:\/\/127\.0\.0\.1:\d+\/di$/);
    });
  });

  describe('socketIoClientModule', () => {
    it('binds ClientTransport to a new SocketIoSocket per resolution, each able to connect', async () => {
      const container = new Container();
      container.load(
        socketIoServerModule({ port: 0, host: '127.0.0.1' }),
        socketIoClientModule({ transports: ['polling'] }),
      );
      const server = cleanup.defer(
        container.get<AbstractSocketServer>(TOKENS.ServerTransport),
        (s) => s.close(),
      );
      const log = recordServer(server);
      const { url = '' } = await server.listen();
      const a = cleanup.defer(container.get<AbstractSocket>(TOKENS.ClientTransport), (s) =>
        s.disconnect(),
      );
      const b = cleanup.defer(container.get<AbstractSocket>(TOKENS.ClientTransport), (s) =>
        s.disconnect(),
      );
      expect(a).to.be.instanceOf(SocketIoSocket);
      expect(b).to.be.instanceOf(SocketIoSocket);
      expect(a).to.not.equal(b);
      await a.connect({ url });
      await b.connect({ url });
      a.send('from a');
      await waitFor(() => log.messages.length === 1, 'the frame');
      expect(log.messages[0].frame).to.equal('from a');
      expect(server.connections.size).to.equal(2);
    });
  });
});
