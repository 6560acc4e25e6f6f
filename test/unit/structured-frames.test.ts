import { expect } from 'chai';
import sinon from 'sinon';
import { MemorySocket, MemorySocketServer } from '../../adapters/memory/index.js';
import { chooseCodec } from '../../src/protocol/frame-reader.js';
import {
  AbstractSocket,
  AbstractSocketServer,
  CompactCodec,
  JsonCodec,
  type PlugSocketError,
  PROTOCOL_VERSION,
  SocketClient,
  SocketServer,
  type AnyFrame,
  type CloseInfo,
  type Codec,
  type ConnectOptions,
  type ListenAddress,
  type ServerConnection,
  type TransportCapabilities,
} from '../../src/index.js';
import { expectThrowsCode, flush, uniqueName } from './support.js';

/** The adapter's own object for a connection. */
interface Native {
  readonly name: string;
}

function capabilities(structured: boolean): TransportCapabilities {
  return Object.freeze({
    binary: true,
    ping: false,
    handshakeHeaders: false,
    handshakeQuery: false,
    handshakeAuth: false,
    remoteAddress: false,
    structured,
  });
}

/** A server adapter whose hooks are recorded with sinon; `structured` is chosen per test. */
class FakeServer extends AbstractSocketServer<Native, AnyFrame> {
  readonly supports: TransportCapabilities;
  readonly hooks = {
    doSend: sinon.spy((_native: Native, _frame: AnyFrame): void => undefined),
    doPrepare: sinon.spy((frame: AnyFrame): unknown => ({ prepared: frame })),
    doSendMany: sinon.spy(
      (_connections: readonly ServerConnection<Native>[], _frame: AnyFrame) => 0,
    ),
    doCloseConnection: sinon.spy(),
    doTerminateConnection: sinon.spy(),
  };

  constructor(structured: boolean) {
    super();
    this.supports = capabilities(structured);
  }

  protected doListen(): Promise<ListenAddress> {
    return Promise.resolve({ url: 'fake://server' });
  }
  protected doSend(native: Native, frame: AnyFrame): void {
    this.hooks.doSend(native, frame);
  }
  protected override doPrepare(frame: AnyFrame): unknown {
    return this.hooks.doPrepare(frame);
  }
  protected override doSendMany(
    connections: readonly ServerConnection<Native>[],
    frame: AnyFrame,
  ): number {
    this.hooks.doSendMany(connections, frame);
    return super.doSendMany(connections, frame);
  }
  protected doCloseConnection(native: Native, code: number, reason: string): void {
    this.hooks.doCloseConnection(native, code, reason);
    // Confirm every graceful close at once, as a well-behaved transport would.
    const connection = [...this.connections].find((c) => c.native === native);
    if (connection !== undefined)
      queueMicrotask(() => this.emitDisconnect(connection, { code, reason }));
  }
  protected doTerminateConnection(native: Native): void {
    this.hooks.doTerminateConnection(native);
  }
  protected doClose(): Promise<void> {
    return Promise.resolve();
  }

  accept(name: string, query?: Record<string, string>): ServerConnection<Native> {
    return this.acceptConnection({ name }, query === undefined ? {} : { query });
  }
  reportMessage(connection: ServerConnection<Native>, frame: AnyFrame): void {
    this.emitMessage(connection, frame);
  }
  reportDisconnect(connection: ServerConnection<Native>, info: CloseInfo): void {
    this.emitDisconnect(connection, info);
  }
}

/** A client adapter whose hooks are recorded with sinon; `structured` is chosen per test. */
class FakeSocket extends AbstractSocket<AnyFrame> {
  readonly supports: TransportCapabilities;
  readonly hooks = {
    doConnect: sinon.spy((_options: ConnectOptions): void => undefined),
    doSend: sinon.spy((_frame: AnyFrame): void => undefined),
    doClose: sinon.spy(),
    doTerminate: sinon.spy(),
  };

  constructor(structured: boolean) {
    super();
    this.supports = capabilities(structured);
  }

  protected doConnect(options: ConnectOptions): void {
    this.hooks.doConnect(options);
  }
  protected doSend(frame: AnyFrame): void {
    this.hooks.doSend(frame);
  }
  protected doClose(code: number, reason: string): void {
    this.hooks.doClose(code, reason);
  }
  protected doTerminate(): void {
    this.hooks.doTerminate();
  }

  reportOpen(): void {
    this.emitOpen();
  }
  reportMessage(frame: AnyFrame): void {
    this.emitMessage(frame);
  }
}

async function listeningServer(structured: boolean): Promise<FakeServer> {
  const server = new FakeServer(structured);
  await server.listen();
  return server;
}

async function openSocket(structured: boolean): Promise<FakeSocket> {
  const socket = new FakeSocket(structured);
  const connected = socket.connect({ url: 'fake://server' });
  socket.reportOpen();
  await connected;
  return socket;
}

const STRUCTURED_REFUSED = /supports\.structured/;

describe('structured frames', () => {
  describe('AbstractSocketServer guards', () => {
    describe('on a transport without supports.structured', () => {
      let server: FakeServer;
      let connection: ServerConnection<Native>;

      beforeEach(async () => {
        server = await listeningServer(false);
        connection = server.accept('a');
      });

      it('send() throws a TypeError for an array frame and writes nothing', () => {
        expect(() => server.send(connection, ['chat', 1])).to.throw(TypeError, STRUCTURED_REFUSED);
        expect(() => connection.send([4, 1])).to.throw(TypeError, STRUCTURED_REFUSED);
        expect(() => server.send(connection, [])).to.throw(TypeError, STRUCTURED_REFUSED);
        expect(server.hooks.doSend.called).to.equal(false);
      });

      it('send() throws the TypeError even to a closed connection', () => {
        server.reportDisconnect(connection, { code: 1000, reason: '' });
        expect(() => server.send(connection, ['chat', 1])).to.throw(TypeError);
      });

      it('prepare() throws a TypeError for an array frame and prepares nothing', () => {
        expect(() => server.prepare(['chat', 1])).to.throw(TypeError, STRUCTURED_REFUSED);
        expect(server.hooks.doPrepare.called).to.equal(false);
      });

      it('sendMany() throws a TypeError for an array frame and writes nothing', () => {
        const other = server.accept('b');
        expect(() => server.sendMany([connection, other], ['chat', 1])).to.throw(
          TypeError,
          STRUCTURED_REFUSED,
        );
        expect(server.hooks.doSendMany.called).to.equal(false);
        expect(server.hooks.doSend.called).to.equal(false);
      });

      it('still sends text and binary frames', () => {
        const binary = new Uint8Array([1, 2]);
        expect(server.send(connection, 'text')).to.equal(true);
        expect(server.send(connection, binary)).to.equal(true);
        expect(server.sendMany([connection], 'many')).to.equal(1);
        expect(server.prepare('p').frame).to.equal('p');
        expect(server.hooks.doSend.args.map((call) => call[1])).to.deep.equal([
          'text',
          binary,
          'many',
        ]);
      });
    });

    describe('on a transport with supports.structured', () => {
      let server: FakeServer;
      let connection: ServerConnection<Native>;

      beforeEach(async () => {
        server = await listeningServer(true);
        connection = server.accept('a');
      });

      it('send() hands the very array to doSend', () => {
        const frame = ['chat', { text: 'hi' }] as const;
        expect(server.send(connection, frame)).to.equal(true);
        expect(connection.send(frame)).to.equal(true);
        expect(server.hooks.doSend.callCount).to.equal(2);
        for (const call of server.hooks.doSend.getCalls()) {
          expect(call.args[0]).to.equal(connection.native);
          expect(call.args[1]).to.equal(frame);
        }
      });

      it('prepare() keeps the very array and hands it to doPrepare', () => {
        const frame = [4, 1];
        const prepared = server.prepare(frame);
        expect(prepared.frame).to.equal(frame);
        expect(server.hooks.doPrepare.calledOnceWithExactly(frame)).to.equal(true);
        expect(prepared.data).to.deep.equal({ prepared: frame });
        expect((prepared.data as { prepared: unknown }).prepared).to.equal(frame);
        expect(server.sendPrepared(connection, prepared)).to.equal(true);
        expect(server.hooks.doSend.calledOnce).to.equal(true);
        expect(server.hooks.doSend.firstCall.args[1]).to.equal(frame);
      });

      it('sendMany() hands the very array to doSendMany and on to every connection', () => {
        const other = server.accept('b');
        const frame = ['chat', 'hello everyone'];
        expect(server.sendMany([connection, other], frame)).to.equal(2);
        expect(server.hooks.doSendMany.calledOnce).to.equal(true);
        expect(server.hooks.doSendMany.firstCall.args[1]).to.equal(frame);
        expect(server.hooks.doSendMany.firstCall.args[0]).to.deep.equal([connection, other]);
        expect(server.hooks.doSend.args.map((call) => call[0])).to.deep.equal([
          connection.native,
          other.native,
        ]);
        for (const call of server.hooks.doSend.getCalls()) expect(call.args[1]).to.equal(frame);
      });

      it('emitMessage() delivers an array to message listeners as it is', () => {
        const received: [ServerConnection<Native>, AnyFrame][] = [];
        server.on('message', (c, f) => received.push([c, f]));
        const frame = ['chat', { n: 1 }];
        server.reportMessage(connection, frame);
        expect(received).to.have.length(1);
        expect(received[0][0]).to.equal(connection);
        expect(received[0][1]).to.equal(frame);
      });
    });
  });

  describe('AbstractSocket guards', () => {
    it('send() throws a TypeError for an array frame without supports.structured', async () => {
      const socket = await openSocket(false);
      expect(() => socket.send(['chat', 1])).to.throw(TypeError, STRUCTURED_REFUSED);
      expect(() => socket.send([])).to.throw(TypeError, STRUCTURED_REFUSED);
      expect(socket.hooks.doSend.called).to.equal(false);
      expect(socket.send('text')).to.equal(true);
      expect(socket.hooks.doSend.calledOnceWithExactly('text')).to.equal(true);
    });

    it('send() throws the TypeError even when not open', () => {
      const socket = new FakeSocket(false);
      expect(() => socket.send(['chat', 1])).to.throw(TypeError, STRUCTURED_REFUSED);
    });

    it('send() hands the very array to doSend with supports.structured', async () => {
      const socket = await openSocket(true);
      const frame = [1, 7, 'room'];
      expect(socket.send(frame)).to.equal(true);
      expect(socket.hooks.doSend.calledOnce).to.equal(true);
      expect(socket.hooks.doSend.firstCall.args[0]).to.equal(frame);
    });

    it('send() of an array when not open returns false with NOT_CONNECTED (structured)', async () => {
      const socket = new FakeSocket(true);
      const errors: PlugSocketError[] = [];
      socket.on('error', (error) => errors.push(error));
      expect(socket.send(['chat', 1])).to.equal(false);
      await flush();
      expect(errors.map((e) => e.code)).to.deep.equal(['NOT_CONNECTED']);
      expect(socket.hooks.doSend.called).to.equal(false);
    });

    it('emitMessage() delivers an array to message listeners as it is', async () => {
      const socket = await openSocket(true);
      const received: AnyFrame[] = [];
      socket.on('message', (frame) => received.push(frame));
      const frame = [3, 1, 'client-1'];
      socket.reportMessage(frame);
      expect(received).to.have.length(1);
      expect(received[0]).to.equal(frame);
    });
  });

  describe('chooseCodec()', () => {
    it('defaults to CompactCodec bounded by maxPayload where the transport carries structured frames', () => {
      const { codec, boundsStructured } = chooseCodec(capabilities(true), undefined, 'Test', 30);
      expect(codec).to.be.instanceOf(CompactCodec);
      expect(codec.structured).to.equal(true);
      expect(boundsStructured).to.equal(true);
      expect(codec.decode(['t', 'x'.repeat(20)])).to.deep.equal({
        k: 'msg',
        type: 't',
        payload: 'x'.repeat(20),
      });
      expectThrowsCode(() => codec.decode(['t', 'x'.repeat(30)]), 'PAYLOAD_TOO_LARGE');
    });

    it('defaults to JsonCodec elsewhere', () => {
      const { codec, boundsStructured } = chooseCodec(capabilities(false), undefined, 'Test', 30);
      expect(codec).to.be.instanceOf(JsonCodec);
      expect(codec.structured).to.not.equal(true);
      expect(boundsStructured).to.equal(false);
    });

    it('returns a given codec as it is, not counted on to bound frames, when the transport can carry its frames', () => {
      const compact = new CompactCodec();
      const json = new JsonCodec();
      const custom: Codec = { name: 'custom', encode: String, decode: (f) => f, structured: false };
      for (const [structured, codec] of [
        [true, compact],
        [true, json],
        [false, json],
        [false, custom],
      ] as const) {
        expect(chooseCodec(capabilities(structured), codec, 'Test', 30)).to.deep.equal({
          codec,
          boundsStructured: false,
        });
      }
    });

    it('refuses a structured codec on a transport without supports.structured', () => {
      expect(() => chooseCodec(capabilities(false), new CompactCodec(), 'Owner', 30)).to.throw(
        TypeError,
        /Owner.*compact-json.*supports\.structured is false/,
      );
      const custom: Codec = {
        name: 'arrays',
        encode: () => [],
        decode: (f) => f,
        structured: true,
      };
      expect(() => chooseCodec(capabilities(false), custom, 'Owner', 30)).to.throw(
        TypeError,
        /"arrays"/,
      );
    });
  });

  describe('SocketServer and SocketClient codec choice', () => {
    it('SocketServer refuses CompactCodec on the memory transport (not structured)', () => {
      const adapter = new MemorySocketServer({ name: uniqueName('structured') });
      expect(adapter.supports.structured).to.equal(false);
      expect(() => new SocketServer(adapter, { codec: new CompactCodec() })).to.throw(
        TypeError,
        /SocketServer.*supports\.structured/,
      );
    });

    it('SocketClient refuses CompactCodec on the memory transport (not structured)', () => {
      const adapter = new MemorySocket();
      expect(adapter.supports.structured).to.equal(false);
      expect(
        () => new SocketClient(adapter, { url: 'memory://nowhere', codec: new CompactCodec() }),
      ).to.throw(TypeError, /SocketClient.*supports\.structured/);
    });

    it('both refuse CompactCodec on a fake without supports.structured', () => {
      expect(() => new SocketServer(new FakeServer(false), { codec: new CompactCodec() })).to.throw(
        TypeError,
        STRUCTURED_REFUSED,
      );
      expect(
        () => new SocketClient(new FakeSocket(false), { url: 'x', codec: new CompactCodec() }),
      ).to.throw(TypeError, STRUCTURED_REFUSED);
    });

    it('both accept CompactCodec on a structured fake', () => {
      expect(
        () => new SocketServer(new FakeServer(true), { codec: new CompactCodec() }),
      ).to.not.throw();
      expect(
        () => new SocketClient(new FakeSocket(true), { url: 'x', codec: new CompactCodec() }),
      ).to.not.throw();
    });
  });

  describe('SocketServer on a structured transport', () => {
    let adapter: FakeServer;
    let server: SocketServer;

    afterEach(async () => {
      await server.shutdown();
    });

    async function start(
      options: { maxPayload?: number; codec?: Codec; resumeWindow?: number } = {},
    ): Promise<void> {
      adapter = new FakeServer(true);
      server = new SocketServer(adapter, { generateId: () => 'client-1', ...options });
      await server.listen();
    }

    it('welcomes a client with the array [3, 1, id] (CompactCodec by default)', async () => {
      await start();
      const connection = adapter.accept('a');
      await flush();
      expect(PROTOCOL_VERSION).to.equal(1);
      expect(adapter.hooks.doSend.calledOnce).to.equal(true);
      const [native, frame] = adapter.hooks.doSend.firstCall.args;
      expect(native).to.equal(connection.native);
      expect(Array.isArray(frame)).to.equal(true);
      expect(frame).to.deep.equal([3, 1, 'client-1']);
    });

    it('welcomes a client that asks for a resumable session with [3, 1, id, null, token]', async () => {
      await start();
      adapter.accept('a', { 'plugsocket-resume': 'new' });
      await flush();
      const frame = adapter.hooks.doSend.firstCall.args[1];
      // [3, version, id, user (absent: null), session token]
      const [kind, version, id, user, token, ...rest] = frame as unknown[];
      expect([kind, version, id, user, rest]).to.deep.equal([3, 1, 'client-1', null, []]);
      expect(token).to.match(/^client-1\.[A-Za-z0-9_-]{32}$/);
    });

    it('welcomes with [3, 1, id] when resume is off', async () => {
      await start({ resumeWindow: 0 });
      adapter.accept('a', { 'plugsocket-resume': 'new' });
      await flush();
      expect(adapter.hooks.doSend.firstCall.args[1]).to.deep.equal([3, 1, 'client-1']);
    });

    it('welcomes with JSON text when given JsonCodec on the same transport', async () => {
      await start({ codec: new JsonCodec(), resumeWindow: 0 });
      adapter.accept('a');
      await flush();
      expect(adapter.hooks.doSend.firstCall.args[1]).to.equal(
        '{"k":"welcome","v":1,"id":"client-1"}',
      );
    });

    it('welcomes with JSON text on a transport without supports.structured', async () => {
      adapter = new FakeServer(false);
      server = new SocketServer(adapter, { generateId: () => 'client-1', resumeWindow: 0 });
      await server.listen();
      adapter.accept('a');
      await flush();
      expect(adapter.hooks.doSend.firstCall.args[1]).to.equal(
        '{"k":"welcome","v":1,"id":"client-1"}',
      );
    });

    it('sends application messages as [type, payload], the payload by identity', async () => {
      await start();
      adapter.accept('a');
      await flush();
      const payload = { text: 'hi', n: [1, 2] };
      expect(server.sendToClient('client-1', { type: 'chat', payload })).to.equal(true);
      const frame = adapter.hooks.doSend.lastCall.args[1];
      expect(frame).to.deep.equal(['chat', payload]);
      expect((frame as unknown[])[1]).to.equal(payload);
      expect(server.broadcast({ type: 'news', payload: 'all', headers: { h: 1 } })).to.equal(1);
      expect(adapter.hooks.doSendMany.lastCall.args[1]).to.deep.equal([
        0,
        'news',
        { h: 1 },
        null,
        'all',
      ]);
    });

    it('answers a join sent as a structured frame with [4, id]', async () => {
      await start();
      const connection = adapter.accept('a');
      await flush();
      adapter.reportMessage(connection, [1, 5, 'room']);
      await flush();
      expect(server.getSubscribers('room')).to.deep.equal(['client-1']);
      expect(adapter.hooks.doSend.lastCall.args[1]).to.deep.equal([4, 5]);
    });

    describe('maxPayload', () => {
      // The JSON text of this frame is its size: quotes, escapes and non-ASCII all count.
      const text = 'é "quoted" \n€ 😀 '.padEnd(200, 'x');
      const atLimit = ['chat', { text }];
      const limit = Buffer.byteLength(JSON.stringify(atLimit));
      const overLimit = ['chat', { text: `${text}x` }];

      it('is measured on the JSON text of the frame (test premise)', () => {
        expect(Buffer.byteLength(JSON.stringify(overLimit))).to.equal(limit + 1);
      });

      it('answers a frame one byte over with [6, PAYLOAD_TOO_LARGE] and keeps the connection', async () => {
        await start({ maxPayload: limit });
        const messages: unknown[] = [];
        const errors: [string | undefined, PlugSocketError][] = [];
        server.onMessage((id, message) => messages.push([id, message]));
        server.onError((id, error) => errors.push([id, error]));
        const connection = adapter.accept('a');
        await flush();
        adapter.hooks.doSend.resetHistory();

        adapter.reportMessage(connection, overLimit);
        await flush();

        expect(messages).to.deep.equal([]);
        expect(adapter.hooks.doSend.calledOnce).to.equal(true);
        const frame = adapter.hooks.doSend.firstCall.args[1];
        expect(frame).to.deep.equal([
          6,
          { code: 'PAYLOAD_TOO_LARGE', message: `frame exceeds ${limit} bytes` },
        ]);
        expect(errors).to.have.length(1);
        expect(errors[0][0]).to.equal('client-1');
        expect(errors[0][1].code).to.equal('PAYLOAD_TOO_LARGE');
        expect(connection.isOpen).to.equal(true);
        expect(adapter.hooks.doCloseConnection.called).to.equal(false);
        expect(adapter.hooks.doTerminateConnection.called).to.equal(false);
        expect(server.clientCount).to.equal(1);

        // The connection still works: a frame exactly at the limit is delivered.
        adapter.reportMessage(connection, atLimit);
        await flush();
        expect(messages).to.deep.equal([['client-1', { type: 'chat', payload: { text } }]]);
        expect(adapter.hooks.doSend.calledOnce).to.equal(true);
      });

      it('delivers a frame exactly at the limit to onMessage', async () => {
        await start({ maxPayload: limit });
        const messages: unknown[] = [];
        const errors: PlugSocketError[] = [];
        server.onMessage((id, message) => messages.push([id, message]));
        server.onError((_id, error) => errors.push(error));
        const connection = adapter.accept('a');
        await flush();
        adapter.hooks.doSend.resetHistory();

        adapter.reportMessage(connection, atLimit);
        await flush();

        expect(messages).to.deep.equal([['client-1', { type: 'chat', payload: { text } }]]);
        expect(errors).to.deep.equal([]);
        expect(adapter.hooks.doSend.called).to.equal(false);
      });

      it('rejects a malformed structured frame with [6, INVALID_MESSAGE]', async () => {
        await start({ maxPayload: limit });
        const connection = adapter.accept('a');
        await flush();
        adapter.reportMessage(connection, [9, 'what']);
        await flush();
        const frame = adapter.hooks.doSend.lastCall.args[1] as unknown[];
        expect(frame[0]).to.equal(6);
        expect((frame[1] as { code: string }).code).to.equal('INVALID_MESSAGE');
        expect(connection.isOpen).to.equal(true);
      });
    });
  });
});
