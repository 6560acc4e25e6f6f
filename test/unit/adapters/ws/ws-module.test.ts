import { expect } from 'chai';
import { Container } from 'inversify';
import { wsClientModule, wsServerModule } from '../../../../adapters/ws/di.js';
import { WsSocket, WsSocketServer } from '../../../../adapters/ws/index.js';
import { TOKENS } from '../../../../src/di/index.js';
import type { AbstractSocket, AbstractSocketServer } from '../../../../src/index.js';
import { nextEvent, Resources } from './ws-test-helpers.js';

describe('ws DI modules', () => {
  const resources = new Resources();
  afterEach(() => resources.releaseAll());

  describe('wsServerModule', () => {
    it('binds ServerTransport to one WsSocketServer built from the options', async () => {
      const container = new Container();
      container.load(wsServerModule({ host: '127.0.0.1', path: '/di' }));
      const server = container.get<AbstractSocketServer>(TOKENS.ServerTransport);
      resources.track(server, (s) => s.close());
      expect(server).to.be.instanceOf(WsSocketServer);
      expect(container.get(TOKENS.ServerTransport)).to.equal(server);
      const { url } = await server.listen();
      expect(url).to.match(/^ws:\/\/127\.0\.0\.1:\d+\/di$/);
    });
  });

  describe('wsClientModule', () => {
    it('binds ClientTransport to a new WsSocket per resolution, each able to connect', async () => {
      const container = new Container();
      container.load(wsServerModule({ host: '127.0.0.1' }), wsClientModule({ maxPayload: 1024 }));
      const server = resources.track(
        container.get<AbstractSocketServer>(TOKENS.ServerTransport),
        (s) => s.close(),
      );
      const { url = '' } = await server.listen();
      const a = resources.track(container.get<AbstractSocket>(TOKENS.ClientTransport), (s) =>
        s.disconnect(),
      );
      const b = resources.track(container.get<AbstractSocket>(TOKENS.ClientTransport), (s) =>
        s.disconnect(),
      );
      expect(a).to.be.instanceOf(WsSocket);
      expect(b).to.be.instanceOf(WsSocket);
      expect(a).to.not.equal(b);
      const arrived = nextEvent(server, 'message');
      await a.connect({ url });
      await b.connect({ url });
      a.send('from a');
      expect((await arrived)[1]).to.equal('from a');
      expect(server.connections.size).to.equal(2);
    });
  });
});
