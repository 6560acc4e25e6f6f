import { expect } from 'chai';
import { Container } from 'inversify';
import sinon from 'sinon';
import { memoryModule } from '../../adapters/memory/di.js';
import { MemorySocket, MemorySocketServer } from '../../adapters/memory/index.js';
import { plugsocketCoreModule, TOKENS } from '../../src/di/index.js';
import {
  JsonCodec,
  MemoryCluster,
  SocketClient,
  SocketServer,
  type AuthorizationStrategy,
  type ClientState,
  type Codec,
  type CloseInfo,
  type Frame,
  type SocketClientOptions,
  type SocketServerOptions,
} from '../../src/index.js';
import { expectCode, flush, rejectionOf, uniqueName } from './support.js';

interface Composition {
  readonly container: Container;
  readonly url: string;
}

/** A container with the core module and the memory module, the client pointed at the server. */
function compose(bindings: (container: Container) => void = () => undefined): Composition {
  const name = uniqueName('di');
  const url = `memory://${name}`;
  const container = new Container();
  container.bind<SocketClientOptions>(TOKENS.ClientOptions).toConstantValue({ url });
  bindings(container);
  container.load(plugsocketCoreModule(), memoryModule({ name }));
  return { container, url };
}

const denyAll: AuthorizationStrategy = {
  applyAuthorization: (options) => options,
  authorize: () => ({ ok: false, code: 'UNAUTHORIZED', reason: 'bound strategy says no' }),
};

describe('dependency injection', () => {
  const containers: Container[] = [];

  function track(composition: Composition): Composition {
    containers.push(composition.container);
    return composition;
  }

  afterEach(async () => {
    await Promise.all(containers.splice(0).map((c) => c.unbindAllAsync()));
  });

  describe('TOKENS', () => {
    it('are Symbol.for("plugsocket:<name>"), equal across copies of the package', () => {
      for (const [name, token] of Object.entries(TOKENS)) {
        expect(token, name).to.equal(Symbol.for(`plugsocket:${name}`));
      }
      expect(Object.keys(TOKENS)).to.have.members([
        'SocketServer',
        'SocketClient',
        'ServerTransport',
        'ClientTransport',
        'ServerOptions',
        'ClientOptions',
        'AuthorizationStrategy',
        'Codec',
        'SessionStore',
        'Backplane',
      ]);
    });
  });

  describe('plugsocketCoreModule() with memoryModule()', () => {
    it('resolves SocketServer and SocketClient as singletons over the memory transport', () => {
      const { container } = track(compose());
      const server = container.get<SocketServer>(TOKENS.SocketServer);
      const client = container.get<SocketClient>(TOKENS.SocketClient);
      expect(server).to.be.instanceOf(SocketServer);
      expect(client).to.be.instanceOf(SocketClient);
      expect(container.get(TOKENS.SocketServer)).to.equal(server);
      expect(container.get(TOKENS.SocketClient)).to.equal(client);
      expect(server.adapter).to.be.instanceOf(MemorySocketServer);
      expect(client.adapter).to.be.instanceOf(MemorySocket);
      expect(container.get(TOKENS.ServerTransport)).to.equal(server.adapter);
    });

    it('gives a fresh client transport per resolution', () => {
      const { container } = track(compose());
      expect(container.get(TOKENS.ClientTransport)).to.not.equal(
        container.get(TOKENS.ClientTransport),
      );
    });

    it('wires a server and a client that talk to each other', async () => {
      const { container } = track(compose());
      const server = container.get<SocketServer>(TOKENS.SocketServer);
      const client = container.get<SocketClient>(TOKENS.SocketClient);
      const received: unknown[] = [];
      server.onMessage((_id, message) => received.push(message.payload));
      await server.listen();
      await client.connect();
      client.emit('hello', 'from di');
      await flush();
      expect(received).to.deep.equal(['from di']);
    });

    it('cannot resolve the client without ClientOptions', () => {
      const container = new Container();
      container.load(plugsocketCoreModule(), memoryModule());
      containers.push(container);
      expect(() => container.get(TOKENS.SocketClient)).to.throw();
    });
  });

  describe('optional bindings', () => {
    it('honours bound ServerOptions', async () => {
      const { container } = track(
        compose((c) =>
          c
            .bind<SocketServerOptions>(TOKENS.ServerOptions)
            .toConstantValue({ generateId: () => 'from-options' }),
        ),
      );
      const server = container.get<SocketServer>(TOKENS.SocketServer);
      const client = container.get<SocketClient>(TOKENS.SocketClient);
      await server.listen();
      await client.connect();
      expect(client.id).to.equal('from-options');
    });

    it('honours a bound AuthorizationStrategy on both sides', async () => {
      const applied = sinon.spy(denyAll, 'applyAuthorization');
      try {
        const { container } = track(
          compose((c) =>
            c.bind<AuthorizationStrategy>(TOKENS.AuthorizationStrategy).toConstantValue(denyAll),
          ),
        );
        const server = container.get<SocketServer>(TOKENS.SocketServer);
        const client = container.get<SocketClient>(TOKENS.SocketClient);
        await server.listen();
        expectCode(await rejectionOf(client.connect()), 'UNAUTHORIZED');
        expect(applied.calledOnce, 'the client applied the bound strategy').to.equal(true);
      } finally {
        applied.restore();
      }
    });

    it('lets the AuthorizationStrategy token override the one in ServerOptions', async () => {
      const allowAll: AuthorizationStrategy = {
        applyAuthorization: (o) => o,
        authorize: () => ({ ok: true, principal: undefined }),
      };
      const { container } = track(
        compose((c) => {
          c.bind<SocketServerOptions>(TOKENS.ServerOptions).toConstantValue({
            authorization: allowAll,
          });
          c.bind<AuthorizationStrategy>(TOKENS.AuthorizationStrategy).toConstantValue(denyAll);
        }),
      );
      const server = container.get<SocketServer>(TOKENS.SocketServer);
      await server.listen();
      expectCode(
        await rejectionOf(container.get<SocketClient>(TOKENS.SocketClient).connect()),
        'UNAUTHORIZED',
      );
    });

    it('joins the server to the cluster of a bound Backplane, and uses its session store', async () => {
      const cluster = new MemoryCluster();
      const { container } = track(
        compose((c) => c.bind(TOKENS.Backplane).toConstantValue(cluster.backplane())),
      );
      const server = container.get<SocketServer>(TOKENS.SocketServer);
      await server.listen();
      expect(cluster.nodeIds).to.deep.equal([server.cluster.nodeId]);
      const other = new SocketServer(new MemorySocketServer({ name: uniqueName('di-peer') }), {
        backplane: cluster.backplane(),
      });
      await other.listen();
      expect((await server.cluster.nodes()).sort()).to.deep.equal(
        [server.cluster.nodeId, other.cluster.nodeId].sort(),
      );
      await other.shutdown();
    });

    it('honours a bound Codec on both sides', async () => {
      const json = new JsonCodec();
      const encode = sinon.spy((value: unknown) => json.encode(value));
      const decode = sinon.spy((frame: Frame) => json.decode(frame));
      const codec: Codec = { name: 'spy', encode, decode };
      const { container } = track(
        compose((c) => c.bind<Codec>(TOKENS.Codec).toConstantValue(codec)),
      );
      const server = container.get<SocketServer>(TOKENS.SocketServer);
      const client = container.get<SocketClient>(TOKENS.SocketClient);
      await server.listen();
      await client.connect();
      client.emit('x', 1);
      await flush();
      // the server encoded the welcome, the client decoded it; the client encoded 'x', the server decoded it
      expect(encode.callCount).to.equal(2);
      expect(decode.callCount).to.equal(2);
    });
  });

  describe('container.unbindAllAsync()', () => {
    it('shuts the server down and disconnects the client', async () => {
      const { container, url } = compose();
      const server = container.get<SocketServer>(TOKENS.SocketServer);
      const client = container.get<SocketClient>(TOKENS.SocketClient);
      await server.listen();
      await client.connect();
      const states: ClientState[] = [];
      let completed = false;
      client.state$.subscribe({
        next: (s) => states.push(s.state),
        complete: () => (completed = true),
      });
      const other = new SocketClient(new MemorySocket(), { url });
      await other.connect();
      const otherCloses: CloseInfo[] = [];
      other.onClose((info) => otherCloses.push(info));
      await container.unbindAllAsync();
      await flush();
      expect(server.adapter.state).to.equal('closed');
      expect(server.adapter.listenerCount()).to.equal(0);
      expect(client.state).to.equal('closed');
      expect(
        completed,
        'the client was disconnected by the application, so its streams completed',
      ).to.equal(true);
      expect(client.adapter.listenerCount()).to.equal(0);
      expect(otherCloses.map((c) => c.code)).to.deep.equal([1001]);
    });
  });
});
