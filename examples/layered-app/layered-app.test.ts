// The same application service on every transport: only the transport module changes.
import { expect } from 'chai';
import type { Container } from 'inversify';
import { SocketClient, type AbstractSocket } from 'plugsocket';
import { TOKENS } from 'plugsocket/di';
import { ChatService, type Chat } from './chat-service.js';
import { buildContainer } from './container.js';
import { transports, type TransportName } from './transports.js';

function waitFor(predicate: () => boolean, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () =>
      predicate()
        ? resolve()
        : Date.now() > deadline
          ? reject(new Error('timed out'))
          : setTimeout(tick, 5);
    tick();
  });
}

for (const name of Object.keys(transports) as TransportName[]) {
  describe(`layered app on ${name}`, () => {
    let container: Container;
    let chat: ChatService;
    let url: string;
    const clients: SocketClient<Chat>[] = [];
    const client = () => {
      const c = new SocketClient<Chat>(
        container.get<AbstractSocket>(TOKENS.ClientTransport),
        { url },
      );
      clients.push(c);
      return c;
    };

    beforeEach(async () => {
      container = buildContainer(transports[name]());
      chat = container.get(ChatService);
      url = await chat.start();
    });

    afterEach(async () => {
      await Promise.all(clients.splice(0).map((c) => c.disconnect()));
      await container.unbindAllAsync();
    });

    it('resolves the service with the SocketServer of the loaded transport', () => {
      expect(container.get(ChatService)).to.equal(chat);
      expect(url).to.match(
        name === 'memory'
          ? /^memory:\/\//
          : name === 'ws'
            ? /^ws:\/\/127\.0\.0\.1:\d+/
            : /^http:\/\/127\.0\.0\.1:\d+/,
      );
    });

    it('greets each client and relays a room message to the other members only', async () => {
      const [ann, ben, cat] = [client(), client(), client()];
      const motd: string[] = [];
      ann.subscribe('welcome', (p) => void motd.push(p.motd));
      const heardByBen: string[] = [];
      const heardByCat: string[] = [];
      ben.subscribe('said', (p) => void heardByBen.push(p.text));
      cat.subscribe('said', (p) => void heardByCat.push(p.text));
      await Promise.all([ann.connect(), ben.connect(), cat.connect()]);
      await Promise.all([ann.join('general'), ben.join('general'), cat.join('random')]);
      ann.emit('say', { room: 'general', text: 'hello' });
      await waitFor(() => heardByBen.length === 1 && motd.length === 1);
      expect(motd).to.deep.equal(['be kind']);
      expect(heardByBen).to.deep.equal(['hello']);
      expect(heardByCat).to.deep.equal([]);
      expect(chat.relayed).to.equal(1);
    });

    it('shuts the server down when the container is unbound', async () => {
      const ann = client();
      const closes: number[] = [];
      ann.onClose(({ code }) => void closes.push(code));
      await ann.connect();
      await container.unbindAllAsync();
      await waitFor(() => closes.length === 1);
      expect(closes).to.deep.equal([1001]);
    });
  });
}
