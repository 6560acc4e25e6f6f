import { expect } from 'chai';
import { Container } from 'inversify';
import { plugsocketCoreModule, TOKENS } from 'plugsocket/di';
import { browserClientModule } from 'plugsocket/browser/di';
import { BrowserSocket } from 'plugsocket/browser';
import { SocketServer, type AbstractSocket, type SocketClient } from 'plugsocket';
import { WsSocketServer } from 'plugsocket/ws';
import { WebSocket } from 'ws';

describe('browserClientModule (plugsocket/browser/di)', () => {
  it('binds ClientTransport to a new BrowserSocket per resolution, built from the options', () => {
    const container = new Container();
    container.load(browserClientModule({ WebSocket }));
    const a = container.get<AbstractSocket>(TOKENS.ClientTransport);
    const b = container.get<AbstractSocket>(TOKENS.ClientTransport);
    expect(a).to.be.instanceOf(BrowserSocket);
    expect(b).to.be.instanceOf(BrowserSocket);
    expect(a).to.not.equal(b);
  });

  it('gives the container a SocketClient that connects over it and makes a request', async () => {
    const server = new SocketServer(new WsSocketServer({ port: 0, host: '127.0.0.1' }));
    server.handle('add', (payload) => {
      const { a, b } = payload as { a: number; b: number };
      return a + b;
    });
    const { url } = await server.listen();
    const container = new Container();
    container.load(plugsocketCoreModule(), browserClientModule({ WebSocket }));
    container.bind(TOKENS.ClientOptions).toConstantValue({ url: url! });
    const client = container.get<SocketClient>(TOKENS.SocketClient);
    try {
      expect(client.adapter).to.be.instanceOf(BrowserSocket);
      await client.connect();
      expect(await client.request('add', { a: 2, b: 3 })).to.equal(5);
    } finally {
      await client.disconnect();
      await server.shutdown();
    }
  });
});
