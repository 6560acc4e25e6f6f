import { expect } from 'chai';
import sinon from 'sinon';
import {
  AbstractSocketServer,
  normalizeHandshake,
  parseQuery,
  PlugSocketError,
  type AbstractSocketServerOptions,
  type CloseInfo,
  type Frame,
  type Handshake,
  type HandshakeInit,
  type ListenAddress,
  type ServerConnection,
  type TransportCapabilities,
} from '../../src/index.js';
import { expectCode, flush, rejectionOf, useFakeClock } from './support.js';

/** The adapter's own object for a connection. */
interface Native {
  readonly name: string;
}

function capabilities(ping: boolean, binary: boolean): TransportCapabilities {
  return {
    binary,
    ping,
    handshakeHeaders: true,
    handshakeQuery: true,
    handshakeAuth: true,
    remoteAddress: false,
    structured: false,
  };
}

interface FakeServerOptions extends AbstractSocketServerOptions {
  ping?: boolean;
  binary?: boolean;
}

/** The smallest server adapter: hooks are recorded with sinon, reports are made by the test. */
class FakeServer extends AbstractSocketServer<Native> {
  readonly supports: TransportCapabilities;
  listenImpl: () => Promise<ListenAddress> = () =>
    Promise.resolve({ url: 'fake://server', port: 1 });
  sendImpl: (native: Native, frame: Frame) => void = () => undefined;
  closeConnectionImpl: (native: Native, code: number, reason: string) => void = () => undefined;
  pingImpl: (native: Native) => void = () => undefined;
  readonly hooks = {
    doListen: sinon.spy(() => this.listenImpl()),
    doSend: sinon.spy((native: Native, frame: Frame) => this.sendImpl(native, frame)),
    doCloseConnection: sinon.spy((native: Native, code: number, reason: string) =>
      this.closeConnectionImpl(native, code, reason),
    ),
    doTerminateConnection: sinon.spy(),
    doClose: sinon.spy(() => Promise.resolve()),
    doPing: sinon.spy((native: Native) => this.pingImpl(native)),
  };

  constructor(options: FakeServerOptions = {}) {
    super(options);
    this.supports = capabilities(options.ping ?? false, options.binary ?? false);
  }

  protected doListen(): Promise<ListenAddress> {
    return this.hooks.doListen();
  }
  protected doSend(native: Native, frame: Frame): void {
    this.hooks.doSend(native, frame);
  }
  protected doCloseConnection(native: Native, code: number, reason: string): void {
    this.hooks.doCloseConnection(native, code, reason);
  }
  protected doTerminateConnection(native: Native): void {
    this.hooks.doTerminateConnection(native);
  }
  protected doClose(): Promise<void> {
    return this.hooks.doClose();
  }
  protected override doPing(native: Native): void {
    this.hooks.doPing(native);
  }

  accept(name: string, handshake: HandshakeInit = {}): ServerConnection<Native> {
    return this.acceptConnection({ name }, handshake);
  }
  reportMessage(connection: ServerConnection<Native>, frame: Frame): void {
    this.emitMessage(connection, frame);
  }
  reportDisconnect(connection: ServerConnection<Native>, info: CloseInfo): void {
    this.emitDisconnect(connection, info);
  }
  reportPong(connection: ServerConnection<Native>): void {
    this.emitPong(connection);
  }
  reportError(connection: ServerConnection<Native> | undefined, error: unknown): void {
    this.emitError(connection, error);
  }
}

/** A server adapter that converts frames once for many recipients. */
class PreparingServer extends FakeServer {
  readonly prepareHooks = {
    doPrepare: sinon.spy((frame: Frame) => ({ wrapped: frame })),
    doSendPrepared: sinon.spy(),
  };
  protected override doPrepare(frame: Frame): unknown {
    return this.prepareHooks.doPrepare(frame);
  }
  protected override doSendPrepared(native: Native, data: unknown, frame: Frame): void {
    this.prepareHooks.doSendPrepared(native, data, frame);
  }
}

interface ServerLog {
  connections: [ServerConnection<Native>, Handshake][];
  messages: [ServerConnection<Native>, Frame][];
  disconnects: [ServerConnection<Native>, CloseInfo][];
  pongs: ServerConnection<Native>[];
  errors: [ServerConnection<Native> | undefined, PlugSocketError][];
}

function record(server: FakeServer): ServerLog {
  const log: ServerLog = { connections: [], messages: [], disconnects: [], pongs: [], errors: [] };
  server.on('connection', (c, h) => log.connections.push([c, h]));
  server.on('message', (c, f) => log.messages.push([c, f]));
  server.on('disconnect', (c, i) => log.disconnects.push([c, i]));
  server.on('pong', (c) => log.pongs.push(c));
  server.on('error', (c, e) => log.errors.push([c, e]));
  return log;
}

/** Lets the fake confirm every graceful close at once, as a well-behaved transport would. */
function confirmCloses(server: FakeServer): void {
  server.closeConnectionImpl = (native, code, reason) => {
    const connection = [...server.connections].find((c) => c.native === native);
    if (connection !== undefined)
      queueMicrotask(() => server.reportDisconnect(connection, { code, reason }));
  };
}

async function listening(options?: FakeServerOptions): Promise<FakeServer> {
  const server = new FakeServer(options);
  await server.listen();
  return server;
}

describe('AbstractSocketServer', () => {
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });

  describe('#listen()', () => {
    it('goes from idle to listening and resolves with a frozen copy of the address', async () => {
      const server = new FakeServer();
      expect(server.state).to.equal('idle');
      expect(server.address).to.equal(undefined);
      const address = await server.listen();
      expect(server.state).to.equal('listening');
      expect(address).to.deep.equal({ url: 'fake://server', port: 1 });
      expect(Object.isFrozen(address)).to.equal(true);
      expect(server.address).to.equal(address);
      expect(server.hooks.doListen.calledOnce).to.equal(true);
    });

    it('rejects with INVALID_STATE when called twice', async () => {
      const server = await listening();
      expectCode(await rejectionOf(server.listen()), 'INVALID_STATE');
      expect(server.hooks.doListen.calledOnce).to.equal(true);
    });

    it('rejects with INVALID_STATE while the first listen() is still pending', async () => {
      const server = new FakeServer();
      const first = server.listen();
      expectCode(await rejectionOf(server.listen()), 'INVALID_STATE');
      await first;
    });

    it('rejects with INVALID_STATE after close(): a closed server cannot listen again', async () => {
      const server = await listening();
      await server.close();
      expectCode(await rejectionOf(server.listen()), 'INVALID_STATE');
    });

    it('rejects with CONNECTION_FAILED when doListen fails, and ends closed', async () => {
      const server = new FakeServer();
      server.listenImpl = () => Promise.reject(new Error('EADDRINUSE'));
      const error = await rejectionOf(server.listen());
      expectCode(error, 'CONNECTION_FAILED');
      expect(server.state).to.equal('closed');
    });
  });

  describe('accepting connections', () => {
    it('emits `connection` with the handle and its normalised handshake, and tracks it', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a', { url: '/x?y=1', headers: { Host: 'h' } });
      expect(log.connections).to.have.length(1);
      expect(log.connections[0][0]).to.equal(connection);
      expect(log.connections[0][1]).to.equal(connection.handshake);
      expect(connection.handshake.headers.host).to.equal('h');
      expect(connection.native).to.deep.equal({ name: 'a' });
      expect(connection.isOpen).to.equal(true);
      expect(connection.state).to.equal('open');
      expect([...server.connections]).to.deep.equal([connection]);
      expect(server.isClientConnected(connection)).to.equal(true);
    });

    it('drops a connection accepted before listen(): terminated, already closed, no event', () => {
      const server = new FakeServer();
      const log = record(server);
      const connection = server.accept('early');
      expect(connection.state).to.equal('closed');
      expect(server.hooks.doTerminateConnection.calledOnceWith(connection.native)).to.equal(true);
      expect(log.connections).to.have.length(0);
      expect(server.connections.size).to.equal(0);
    });

    it('drops a connection accepted after close()', async () => {
      const server = await listening();
      await server.close();
      const log = record(server);
      const connection = server.accept('late');
      expect(connection.isOpen).to.equal(false);
      expect(server.hooks.doTerminateConnection.calledOnce).to.equal(true);
      expect(log.connections).to.have.length(0);
      expect(server.connections.size).to.equal(0);
    });

    it('drops a connection accepted while closing', async () => {
      const server = await listening();
      server.accept('slow'); // never confirms its close, so close() stays pending
      const closed = server.close();
      const log = record(server);
      const late = server.accept('late');
      expect(late.isOpen).to.equal(false);
      expect(log.connections).to.have.length(0);
      server.reportDisconnect([...server.connections][0], { code: 1001, reason: '' });
      await closed;
    });

    it('drops the connection when terminating it throws, without throwing itself', () => {
      const server = new FakeServer();
      server.hooks.doTerminateConnection = sinon.spy(() => {
        throw new Error('already gone');
      });
      expect(server.accept('x').isOpen).to.equal(false);
    });
  });

  describe('#send()', () => {
    it('hands the frame to doSend with the native connection and returns true', async () => {
      const server = await listening();
      const connection = server.accept('a');
      expect(server.send(connection, 'hi')).to.equal(true);
      expect(connection.send('via handle')).to.equal(true);
      expect(server.hooks.doSend.args).to.deep.equal([
        [{ name: 'a' }, 'hi'],
        [{ name: 'a' }, 'via handle'],
      ]);
    });

    it('returns false for a closed connection and emits NOT_CONNECTED for it asynchronously', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      server.reportDisconnect(connection, { code: 1000, reason: '' });
      expect(server.send(connection, 'x')).to.equal(false);
      expect(log.errors, 'not inside the send() call').to.have.length(0);
      await flush();
      expect(log.errors).to.have.length(1);
      expect(log.errors[0][0]).to.equal(connection);
      expectCode(log.errors[0][1], 'NOT_CONNECTED');
      expect(server.hooks.doSend.called).to.equal(false);
    });

    it('returns false for a closing connection', async () => {
      const server = await listening();
      const connection = server.accept('a');
      void server.closeConnection(connection);
      expect(server.send(connection, 'x')).to.equal(false);
      expect(server.hooks.doSend.called).to.equal(false);
    });

    it('returns false and emits an error for the connection when doSend throws', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      server.sendImpl = () => {
        throw new Error('write EPIPE');
      };
      expect(server.send(connection, 'x')).to.equal(false);
      expect(log.errors).to.have.length(1);
      expect(log.errors[0][0]).to.equal(connection);
      expect(PlugSocketError.is(log.errors[0][1])).to.equal(true);
    });
  });

  describe('#sendMany()', () => {
    it('sends to each listed open connection once, however often it is listed, and counts it once', async () => {
      const server = await listening();
      const a = server.accept('a');
      const b = server.accept('b');
      const closing = server.accept('closing');
      void server.closeConnection(closing);
      expect(server.sendMany([a, b, a], 'x')).to.equal(2);
      expect(server.sendMany([a, closing, a, b, b], 'y')).to.equal(2);
      expect(server.sendMany([a, a], 'z')).to.equal(1);
      expect(server.hooks.doSend.args).to.deep.equal([
        [{ name: 'a' }, 'x'],
        [{ name: 'b' }, 'x'],
        [{ name: 'a' }, 'y'],
        [{ name: 'b' }, 'y'],
        [{ name: 'a' }, 'z'],
      ]);
    });

    it('hands doSendMany the caller’s array when every connection is open and listed once', async () => {
      const server = new PreparingServer();
      await server.listen();
      const list = [server.accept('a'), server.accept('b')];
      const hooks = server as unknown as {
        doSendMany: (connections: readonly ServerConnection<Native>[], frame: Frame) => number;
      };
      const doSendMany = sinon.spy(hooks, 'doSendMany');
      expect(server.sendMany(list, 'x')).to.equal(2);
      expect(doSendMany.firstCall.args[0]).to.equal(list);
      expect(server.sendMany(list, 'y')).to.equal(2);
      expect(
        server.prepareHooks.doSendPrepared.args.map((call: unknown[]) => call[0]),
      ).to.deep.equal([{ name: 'a' }, { name: 'b' }, { name: 'a' }, { name: 'b' }]);
    });
  });

  describe('binary frames', () => {
    it('send(), sendMany() and prepare() throw a TypeError unless the transport declares supports.binary', async () => {
      const server = await listening();
      const a = server.accept('a');
      const bytes = new Uint8Array([1, 2]);
      expect(() => server.send(a, bytes)).to.throw(TypeError, /supports\.binary/);
      expect(() => a.send(bytes)).to.throw(TypeError, /supports\.binary/);
      expect(() => server.sendMany([a], bytes)).to.throw(TypeError, /supports\.binary/);
      expect(() => server.prepare(bytes)).to.throw(TypeError, /supports\.binary/);
      expect(server.hooks.doSend.called).to.equal(false);
    });

    it('prepare() takes a snapshot: bytes changed after it returned are not what is sent', async () => {
      const server = await listening({ binary: true });
      const a = server.accept('a');
      const bytes = Buffer.from([1, 2, 3]);
      const prepared = server.prepare(bytes);
      bytes.fill(0);
      expect(server.sendPrepared(a, prepared)).to.equal(true);
      const sent = server.hooks.doSend.firstCall.args[1];
      expect(sent).to.not.equal(bytes);
      expect([...(sent as Uint8Array)]).to.deep.equal([1, 2, 3]);
      expect(prepared.frame).to.equal(sent);
    });
  });

  describe('#prepare() / #sendPrepared()', () => {
    it('by default keeps the frame and sends it with doSend', async () => {
      const server = await listening();
      const connection = server.accept('a');
      const prepared = server.prepare('frame');
      expect(prepared.frame).to.equal('frame');
      expect(server.sendPrepared(connection, prepared)).to.equal(true);
      expect(server.hooks.doSend.calledOnceWithExactly({ name: 'a' }, 'frame')).to.equal(true);
    });

    it('prepares once and hands the prepared data to doSendPrepared for each recipient', async () => {
      const server = new PreparingServer();
      await server.listen();
      const a = server.accept('a');
      const b = server.accept('b');
      const prepared = server.prepare('frame');
      server.sendPrepared(a, prepared);
      server.sendPrepared(b, prepared);
      expect(server.prepareHooks.doPrepare.callCount).to.equal(1);
      expect(server.prepareHooks.doSendPrepared.args).to.deep.equal([
        [{ name: 'a' }, { wrapped: 'frame' }, 'frame'],
        [{ name: 'b' }, { wrapped: 'frame' }, 'frame'],
      ]);
    });

    it('skips closing and closed connections, returning false without an error event', async () => {
      const server = await listening();
      const log = record(server);
      const closing = server.accept('closing');
      const closed = server.accept('closed');
      void server.closeConnection(closing);
      server.reportDisconnect(closed, { code: 1000, reason: '' });
      const prepared = server.prepare('x');
      expect(server.sendPrepared(closing, prepared)).to.equal(false);
      expect(server.sendPrepared(closed, prepared)).to.equal(false);
      await flush();
      expect(server.hooks.doSend.called).to.equal(false);
      expect(log.errors).to.have.length(0);
    });

    it('returns false and emits an error when the write throws', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      server.sendImpl = () => {
        throw new Error('broken pipe');
      };
      expect(server.sendPrepared(connection, server.prepare('x'))).to.equal(false);
      expect(log.errors.map(([c]) => c)).to.deep.equal([connection]);
    });
  });

  describe('#ping()', () => {
    it('returns false and calls no hook when the transport declares no ping', async () => {
      const server = await listening({ ping: false });
      const connection = server.accept('a');
      expect(server.ping(connection)).to.equal(false);
      expect(server.hooks.doPing.called).to.equal(false);
    });

    it('calls doPing and returns true when supported, and reports the pong', async () => {
      const server = await listening({ ping: true });
      const log = record(server);
      const connection = server.accept('a');
      expect(server.ping(connection)).to.equal(true);
      expect(server.hooks.doPing.calledOnceWithExactly({ name: 'a' })).to.equal(true);
      server.reportPong(connection);
      expect(log.pongs).to.deep.equal([connection]);
    });

    it('returns false for a connection that is not open', async () => {
      const server = await listening({ ping: true });
      const connection = server.accept('a');
      void server.closeConnection(connection);
      expect(server.ping(connection)).to.equal(false);
      expect(server.hooks.doPing.called).to.equal(false);
    });

    it('returns false and emits an error when doPing throws', async () => {
      const server = await listening({ ping: true });
      const log = record(server);
      const connection = server.accept('a');
      server.pingImpl = () => {
        throw new Error('nope');
      };
      expect(server.ping(connection)).to.equal(false);
      expect(log.errors.map(([c]) => c)).to.deep.equal([connection]);
    });

    it('ignores a pong reported after the connection closed', async () => {
      const server = await listening({ ping: true });
      const log = record(server);
      const connection = server.accept('a');
      server.reportDisconnect(connection, { code: 1000, reason: '' });
      server.reportPong(connection);
      expect(log.pongs).to.have.length(0);
    });
  });

  describe('incoming messages', () => {
    it('are emitted while open and while closing, and ignored once closed', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      server.reportMessage(connection, 'open');
      void server.closeConnection(connection);
      server.reportMessage(connection, 'closing');
      server.reportDisconnect(connection, { code: 1000, reason: '' });
      server.reportMessage(connection, 'closed');
      expect(log.messages.map(([, f]) => f)).to.deep.equal(['open', 'closing']);
    });
  });

  describe('#closeConnection()', () => {
    it('calls doCloseConnection with 1000 and "" by default and resolves when the transport reports the disconnect', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      let resolved = false;
      const closed = server.closeConnection(connection).then(() => (resolved = true));
      expect(
        server.hooks.doCloseConnection.calledOnceWithExactly({ name: 'a' }, 1000, ''),
      ).to.equal(true);
      await flush();
      expect(resolved).to.equal(false);
      server.reportDisconnect(connection, { code: 1000, reason: '' });
      await closed;
      expect(log.disconnects).to.have.length(1);
      expect(log.disconnects[0][0]).to.equal(connection);
      expect(log.disconnects[0][1]).to.deep.equal({ code: 1000, reason: '' });
      expect(server.connections.size).to.equal(0);
    });

    it('makes isClientConnected false from the moment the close starts', async () => {
      const server = await listening();
      const connection = server.accept('a');
      void server.closeConnection(connection, 4000, 'bye');
      expect(server.isClientConnected(connection)).to.equal(false);
      expect(connection.state).to.equal('closing');
      expect(
        server.hooks.doCloseConnection.calledOnceWithExactly({ name: 'a' }, 4000, 'bye'),
      ).to.equal(true);
    });

    it('is idempotent: doCloseConnection runs once and every caller resolves with the close', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      const first = server.closeConnection(connection);
      const second = connection.close(4000, 'other');
      server.reportDisconnect(connection, { code: 1000, reason: '' });
      await Promise.all([first, second]);
      await server.closeConnection(connection);
      expect(server.hooks.doCloseConnection.callCount).to.equal(1);
      expect(log.disconnects).to.have.length(1);
    });

    it('drops the connection and reports disconnect 1006 after `closeTimeout` ms without confirmation', async () => {
      clock = useFakeClock();
      const server = await listening({ closeTimeout: 500 });
      const log = record(server);
      const connection = server.accept('a');
      let resolved = false;
      const closed = server.closeConnection(connection).then(() => (resolved = true));
      await clock.tickAsync(499);
      expect(resolved).to.equal(false);
      await clock.tickAsync(1);
      await closed;
      expect(server.hooks.doTerminateConnection.calledOnceWithExactly({ name: 'a' })).to.equal(
        true,
      );
      expect(log.disconnects.map(([, info]) => info.code)).to.deep.equal([1006]);
      expect(connection.state).to.equal('closed');
      expect(server.connections.size).to.equal(0);
    });

    it('uses a 5000 ms close timeout by default', async () => {
      clock = useFakeClock();
      const server = await listening();
      const log = record(server);
      void server.closeConnection(server.accept('a'));
      await clock.tickAsync(4_999);
      expect(log.disconnects).to.have.length(0);
      await clock.tickAsync(1);
      expect(log.disconnects.map(([, info]) => info.code)).to.deep.equal([1006]);
    });

    it('emits disconnect once when the transport confirms after the timeout', async () => {
      clock = useFakeClock();
      const server = await listening({ closeTimeout: 10 });
      const log = record(server);
      const connection = server.accept('a');
      void server.closeConnection(connection);
      await clock.tickAsync(10);
      server.reportDisconnect(connection, { code: 1000, reason: '' });
      expect(log.disconnects.map(([, info]) => info.code)).to.deep.equal([1006]);
    });

    it('reports disconnect 1006 at once when doCloseConnection throws', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      server.closeConnectionImpl = () => {
        throw new Error('socket destroyed');
      };
      await server.closeConnection(connection);
      expect(log.disconnects.map(([, info]) => info.code)).to.deep.equal([1006]);
      expect(server.hooks.doTerminateConnection.calledOnce).to.equal(true);
    });

    it('throws RangeError for a close code that may not be sent, and leaves the connection open', async () => {
      const server = await listening();
      const connection = server.accept('a');
      for (const code of [999, 1005, 1006, 1015, 2999, 5000, 1000.5]) {
        expect(() => server.closeConnection(connection, code), String(code)).to.throw(RangeError);
      }
      expect(() => server.closeConnection(connection, 1000, 'x'.repeat(124))).to.throw(RangeError);
      expect(connection.isOpen).to.equal(true);
      expect(server.hooks.doCloseConnection.called).to.equal(false);
    });
  });

  describe('#terminateConnection()', () => {
    it('drops an open connection at once and emits disconnect 1006', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      server.terminateConnection(connection);
      expect(server.hooks.doTerminateConnection.calledOnceWithExactly({ name: 'a' })).to.equal(
        true,
      );
      expect(server.hooks.doCloseConnection.called).to.equal(false);
      expect(connection.state).to.equal('closed');
      expect(server.connections.size).to.equal(0);
      expect(log.disconnects.map(([, info]) => info.code)).to.deep.equal([1006]);
    });

    it('ends a graceful close in progress: closeConnection() resolves and no second disconnect follows', async () => {
      clock = useFakeClock();
      const server = await listening({ closeTimeout: 100 });
      const log = record(server);
      const connection = server.accept('a');
      const closed = server.closeConnection(connection);
      server.terminateConnection(connection);
      await closed;
      await clock.tickAsync(1_000);
      server.reportDisconnect(connection, { code: 1000, reason: '' });
      expect(log.disconnects.map(([, info]) => info.code)).to.deep.equal([1006]);
      expect(server.hooks.doTerminateConnection.calledOnce).to.equal(true);
    });

    it('does nothing for a closed connection', async () => {
      const server = await listening();
      const connection = server.accept('a');
      server.reportDisconnect(connection, { code: 1000, reason: '' });
      const log = record(server);
      server.terminateConnection(connection);
      expect(server.hooks.doTerminateConnection.called).to.equal(false);
      expect(log.disconnects).to.deep.equal([]);
    });

    it('still reports the disconnect when doTerminateConnection throws', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      server.hooks.doTerminateConnection = sinon.spy(() => {
        throw new Error('already destroyed');
      });
      expect(() => server.terminateConnection(connection)).to.not.throw();
      expect(log.disconnects.map(([, info]) => info.code)).to.deep.equal([1006]);
    });
  });

  describe('disconnect event', () => {
    it('is emitted exactly once per accepted connection, with a frozen { code, reason }', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      server.reportDisconnect(connection, { code: 1001, reason: 'away' });
      server.reportDisconnect(connection, { code: 1006, reason: '' });
      await server.closeConnection(connection);
      expect(log.disconnects).to.have.length(1);
      expect(log.disconnects[0][1]).to.deep.equal({ code: 1001, reason: 'away' });
      expect(Object.isFrozen(log.disconnects[0][1])).to.equal(true);
    });

    it('resolves a pending closeConnection() when the client goes first', async () => {
      const server = await listening();
      const connection = server.accept('a');
      const closed = server.closeConnection(connection);
      server.reportDisconnect(connection, { code: 1006, reason: '' });
      await closed;
    });
  });

  describe('#close()', () => {
    it('closes every connection with 1001, calls doClose once after the last is gone, and ends closed', async () => {
      const server = await listening();
      const log = record(server);
      const a = server.accept('a');
      const b = server.accept('b');
      let resolved = false;
      const closed = server.close().then(() => (resolved = true));
      expect(server.state).to.equal('closing');
      expect(server.hooks.doCloseConnection.args).to.deep.equal([
        [{ name: 'a' }, 1001, 'server shutting down'],
        [{ name: 'b' }, 1001, 'server shutting down'],
      ]);
      server.reportDisconnect(a, { code: 1001, reason: 'server shutting down' });
      await flush();
      expect(resolved).to.equal(false);
      expect(server.hooks.doClose.called, 'doClose waits for the last connection').to.equal(false);
      server.reportDisconnect(b, { code: 1001, reason: 'server shutting down' });
      await closed;
      expect(server.hooks.doClose.calledOnce).to.equal(true);
      expect(server.state).to.equal('closed');
      expect(log.disconnects).to.have.length(2);
    });

    it('passes a custom code and reason to every connection', async () => {
      const server = await listening();
      confirmCloses(server);
      server.accept('a');
      await server.close(4000, 'maintenance');
      expect(
        server.hooks.doCloseConnection.calledOnceWithExactly({ name: 'a' }, 4000, 'maintenance'),
      ).to.equal(true);
    });

    it('is idempotent: every call returns the same promise and doClose runs once', async () => {
      const server = await listening();
      confirmCloses(server);
      server.accept('a');
      const first = server.close();
      const second = server.close();
      expect(second).to.equal(first);
      await first;
      await server.close();
      expect(server.hooks.doClose.calledOnce).to.equal(true);
      expect(server.hooks.doCloseConnection.calledOnce).to.equal(true);
    });

    it('never hangs: a connection that never confirms is dropped after closeTimeout', async () => {
      clock = useFakeClock();
      const server = await listening({ closeTimeout: 1_000 });
      const log = record(server);
      server.accept('stuck');
      let resolved = false;
      const closed = server.close().then(() => (resolved = true));
      await clock.tickAsync(999);
      expect(resolved).to.equal(false);
      await clock.tickAsync(1);
      await closed;
      expect(log.disconnects.map(([, info]) => info.code)).to.deep.equal([1006]);
      expect(server.hooks.doClose.calledOnce).to.equal(true);
    });

    it('resolves at once without calling doClose when the server never listened', async () => {
      const server = new FakeServer();
      await server.close();
      expect(server.state).to.equal('closed');
      expect(server.hooks.doClose.called).to.equal(false);
    });

    it('throws RangeError for an invalid close code', async () => {
      const server = await listening();
      expect(() => server.close(1006)).to.throw(RangeError);
      expect(server.state).to.equal('listening');
    });
  });

  describe('listeners', () => {
    it('routes a listener that throws to `error` with no connection, and still calls the others', async () => {
      const server = await listening();
      const log = record(server);
      const after = sinon.spy();
      server.on('connection', () => {
        throw new Error('handler bug');
      });
      server.on('connection', after);
      server.accept('a');
      expect(after.calledOnce).to.equal(true);
      expect(log.errors).to.have.length(1);
      expect(log.errors[0][0]).to.equal(undefined);
      expect(PlugSocketError.is(log.errors[0][1])).to.equal(true);
    });

    it('onConnection() is on("connection")', async () => {
      const server = await listening();
      const handler = sinon.spy();
      expect(server.onConnection(handler)).to.equal(server);
      const connection = server.accept('a');
      expect(handler.calledOnceWithExactly(connection, connection.handshake)).to.equal(true);
    });

    it('emitError reports adapter errors, per connection or server-wide, as PlugSocketError', async () => {
      const server = await listening();
      const log = record(server);
      const connection = server.accept('a');
      server.reportError(connection, new Error('x'));
      server.reportError(undefined, new PlugSocketError('TIMEOUT', 'y'));
      expect(log.errors[0][0]).to.equal(connection);
      expectCode(log.errors[0][1], 'SERVER_ERROR');
      expect(log.errors[1][0]).to.equal(undefined);
      expectCode(log.errors[1][1], 'TIMEOUT');
    });
  });

  describe('handshake normalisation', () => {
    it('lower-cases header names and joins repeated headers with ", "', async () => {
      const server = await listening();
      const { handshake } = server.accept('a', {
        headers: { 'X-Token': 'abc', 'Set-Thing': ['a', 'b', 'c'], Absent: undefined },
      });
      expect({ ...handshake.headers }).to.deep.equal({ 'x-token': 'abc', 'set-thing': 'a, b, c' });
    });

    it('keeps query names as they are and lets the first value win', async () => {
      const server = await listening();
      const { handshake } = server.accept('a', {
        query: { Room: 'r1', tag: ['first', 'second'], none: [] },
      });
      expect({ ...handshake.query }).to.deep.equal({ Room: 'r1', tag: 'first', none: '' });
    });

    it('keeps a "__proto__" key in headers and query as plain own data, never a prototype', async () => {
      const server = await listening();
      const headers = JSON.parse('{"__proto__":"evil","a":"1"}') as Record<string, string>;
      const query = JSON.parse('{"__proto__":"evil"}') as Record<string, string>;
      const { handshake } = server.accept('a', { headers, query });
      expect(Object.getPrototypeOf(handshake.headers)).to.equal(Object.prototype);
      expect(Object.getPrototypeOf(handshake.query)).to.equal(Object.prototype);
      expect(Object.prototype.hasOwnProperty.call(handshake.headers, '__proto__')).to.equal(true);
      expect(Object.prototype.hasOwnProperty.call(handshake.query, '__proto__')).to.equal(true);
      expect(handshake.headers['__proto__']).to.equal('evil');
      expect(handshake.query['__proto__']).to.equal('evil');
      expect(Object.prototype).to.not.have.property('evil');
    });

    it('fills in defaults: url "", empty headers, query and auth, no remoteAddress', async () => {
      const server = await listening();
      const { handshake } = server.accept('a', {});
      expect(handshake.url).to.equal('');
      expect({ ...handshake.headers }).to.deep.equal({});
      expect({ ...handshake.query }).to.deep.equal({});
      expect(handshake.auth).to.deep.equal({});
      expect('remoteAddress' in handshake).to.equal(false);
    });

    it('copies the auth object, turns a null auth into {}, and keeps remoteAddress', async () => {
      const server = await listening();
      const auth = { token: 't' };
      const { handshake } = server.accept('a', { url: '/rt?x=1', auth, remoteAddress: '10.0.0.1' });
      expect(handshake.auth).to.deep.equal({ token: 't' });
      expect(handshake.auth).to.not.equal(auth);
      expect(handshake.url).to.equal('/rt?x=1');
      expect(handshake.remoteAddress).to.equal('10.0.0.1');
      expect(server.accept('b', { auth: null }).handshake.auth).to.deep.equal({});
    });

    it('freezes the handshake and its parts', () => {
      const handshake = normalizeHandshake({
        headers: { a: '1' },
        query: { b: '2' },
        auth: { c: 3 },
      });
      expect(Object.isFrozen(handshake)).to.equal(true);
      expect(Object.isFrozen(handshake.headers)).to.equal(true);
      expect(Object.isFrozen(handshake.query)).to.equal(true);
      expect(Object.isFrozen(handshake.auth)).to.equal(true);
    });
  });

  describe('parseQuery()', () => {
    it('parses the query of a url, first value winning, into a null-prototype record', () => {
      const query = parseQuery('/rt?a=1&b=x%20y&a=2');
      expect({ ...query }).to.deep.equal({ a: '1', b: 'x y' });
      expect(Object.getPrototypeOf(query)).to.equal(null);
    });

    it('returns an empty record without a query or url', () => {
      expect({ ...parseQuery('/rt') }).to.deep.equal({});
      expect({ ...parseQuery(undefined) }).to.deep.equal({});
      expect({ ...parseQuery('') }).to.deep.equal({});
    });
  });
});
