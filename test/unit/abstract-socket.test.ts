import { expect } from 'chai';
import sinon from 'sinon';
import {
  AbstractSocket,
  DEFAULT_CONNECT_TIMEOUT,
  PlugSocketError,
  type AbstractSocketOptions,
  type CloseInfo,
  type ConnectOptions,
  type Frame,
  type TransportCapabilities,
} from '../../src/index.js';
import { expectCode, flush, rejectionOf, useFakeClock } from './support.js';

const NOTHING: TransportCapabilities = Object.freeze({
  binary: false,
  ping: false,
  handshakeHeaders: false,
  handshakeQuery: false,
  handshakeAuth: false,
  remoteAddress: false,
  structured: false,
});

/** The smallest adapter: hooks are recorded with sinon, reports are made by the test. */
class FakeSocket extends AbstractSocket {
  readonly supports: TransportCapabilities = NOTHING;
  connectImpl: (options: ConnectOptions) => void | Promise<void> = () => undefined;
  sendImpl: (frame: Frame) => void = () => undefined;
  closeImpl: (code: number, reason: string) => void = () => undefined;
  readonly hooks = {
    doConnect: sinon.spy((options: ConnectOptions) => this.connectImpl(options)),
    doSend: sinon.spy((frame: Frame) => this.sendImpl(frame)),
    doClose: sinon.spy((code: number, reason: string) => this.closeImpl(code, reason)),
    doTerminate: sinon.spy(),
  };

  constructor(options?: AbstractSocketOptions) {
    super(options);
  }

  protected doConnect(options: ConnectOptions): void | Promise<void> {
    return this.hooks.doConnect(options);
  }
  protected doSend(frame: Frame): void {
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
  reportMessage(frame: Frame): void {
    this.emitMessage(frame);
  }
  reportClose(info: CloseInfo): void {
    this.emitClose(info);
  }
  reportError(error: unknown): void {
    this.emitError(error);
  }
}

interface Recorded {
  opens: number;
  messages: Frame[];
  closes: CloseInfo[];
  errors: PlugSocketError[];
}

function record(socket: AbstractSocket): Recorded {
  const log: Recorded = { opens: 0, messages: [], closes: [], errors: [] };
  socket.on('open', () => log.opens++);
  socket.on('message', (frame) => log.messages.push(frame));
  socket.on('close', (info) => log.closes.push(info));
  socket.on('error', (error) => log.errors.push(error));
  return log;
}

const URL = 'fake://server';

/** A fake that declares binary frames. */
class BinarySocket extends FakeSocket {
  override readonly supports: TransportCapabilities = Object.freeze({ ...NOTHING, binary: true });
}

async function openSocket(
  options?: AbstractSocketOptions,
  Kind: typeof FakeSocket = FakeSocket,
): Promise<FakeSocket> {
  const socket = new Kind(options);
  const connected = socket.connect({ url: URL });
  socket.reportOpen();
  await connected;
  return socket;
}

describe('AbstractSocket', () => {
  let clock: sinon.SinonFakeTimers | undefined;

  afterEach(() => {
    clock?.restore();
    clock = undefined;
  });

  describe('state machine', () => {
    it('starts idle and not open', () => {
      const socket = new FakeSocket();
      expect(socket.state).to.equal('idle');
      expect(socket.isOpen).to.equal(false);
    });

    it('goes idle → connecting → open → closing → closed, and may connect again', async () => {
      const socket = new FakeSocket();
      const seen: string[] = [socket.state];
      const connected = socket.connect({ url: URL });
      seen.push(socket.state);
      socket.reportOpen();
      await connected;
      seen.push(socket.state);
      expect(socket.isOpen).to.equal(true);
      const closed = socket.disconnect();
      seen.push(socket.state);
      expect(socket.isOpen).to.equal(false);
      socket.reportClose({ code: 1000, reason: '' });
      await closed;
      seen.push(socket.state);
      const again = socket.connect({ url: URL });
      seen.push(socket.state);
      socket.reportOpen();
      await again;
      seen.push(socket.state);
      expect(seen).to.deep.equal([
        'idle',
        'connecting',
        'open',
        'closing',
        'closed',
        'connecting',
        'open',
      ]);
      expect(socket.hooks.doConnect.callCount).to.equal(2);
    });

    it('goes from open to closed when the peer closes', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.reportClose({ code: 4000, reason: 'bye' });
      expect(socket.state).to.equal('closed');
      expect(log.closes).to.deep.equal([{ code: 4000, reason: 'bye' }]);
    });
  });

  describe('#connect()', () => {
    it('passes the options to doConnect and resolves only once the adapter reports open', async () => {
      const socket = new FakeSocket();
      let resolved = false;
      const connected = socket
        .connect({ url: URL, auth: { token: 't' } })
        .then(() => (resolved = true));
      expect(
        socket.hooks.doConnect.calledOnceWithExactly({ url: URL, auth: { token: 't' } }),
      ).to.equal(true);
      await flush();
      expect(resolved).to.equal(false);
      socket.reportOpen();
      await connected;
      expect(resolved).to.equal(true);
    });

    it('calls listeners registered before connect()', async () => {
      const socket = new FakeSocket();
      const log = record(socket);
      const connected = socket.connect({ url: URL });
      socket.reportOpen();
      await connected;
      socket.reportMessage('hello');
      expect(log.opens).to.equal(1);
      expect(log.messages).to.deep.equal(['hello']);
    });

    it('rejects options without a url string with TypeError', async () => {
      const socket = new FakeSocket();
      for (const bad of [undefined, null, {}, { url: 5 }]) {
        const error = await rejectionOf(socket.connect(bad as unknown as ConnectOptions));
        expect(error).to.be.instanceOf(TypeError);
      }
      expect(socket.state).to.equal('idle');
      expect(socket.hooks.doConnect.called).to.equal(false);
    });

    it('rejects with INVALID_STATE while connecting, open or closing', async () => {
      const socket = new FakeSocket();
      const first = socket.connect({ url: URL });
      expectCode(await rejectionOf(socket.connect({ url: URL })), 'INVALID_STATE');
      socket.reportOpen();
      await first;
      expectCode(await rejectionOf(socket.connect({ url: URL })), 'INVALID_STATE');
      void socket.disconnect();
      expect(socket.state).to.equal('closing');
      expectCode(await rejectionOf(socket.connect({ url: URL })), 'INVALID_STATE');
      expect(socket.hooks.doConnect.callCount).to.equal(1);
    });

    it('rejects with CONNECTION_FAILED after `timeout` ms without open, and terminates the attempt', async () => {
      clock = useFakeClock();
      const socket = new FakeSocket();
      let settled = false;
      const connected = socket.connect({ url: URL, timeout: 2_000 });
      connected.catch(() => undefined).finally(() => (settled = true));
      await clock.tickAsync(1_999);
      expect(settled).to.equal(false);
      await clock.tickAsync(1);
      expectCode(await rejectionOf(connected), 'CONNECTION_FAILED');
      expect(socket.state).to.equal('closed');
      expect(socket.hooks.doTerminate.calledOnce).to.equal(true);
    });

    it(`times out after ${DEFAULT_CONNECT_TIMEOUT} ms by default`, async () => {
      clock = useFakeClock();
      const socket = new FakeSocket();
      let settled = false;
      const connected = socket.connect({ url: URL });
      connected.catch(() => undefined).finally(() => (settled = true));
      await clock.tickAsync(DEFAULT_CONNECT_TIMEOUT - 1);
      expect(settled).to.equal(false);
      await clock.tickAsync(1);
      expectCode(await rejectionOf(connected), 'CONNECTION_FAILED');
    });

    it('ignores an open reported after the timeout', async () => {
      clock = useFakeClock();
      const socket = new FakeSocket();
      const log = record(socket);
      const failure = rejectionOf(socket.connect({ url: URL, timeout: 100 }));
      await clock.tickAsync(100);
      expectCode(await failure, 'CONNECTION_FAILED');
      socket.reportOpen();
      expect(socket.state).to.equal('closed');
      expect(log.opens).to.equal(0);
    });

    it('rejects with CONNECTION_FAILED when doConnect throws, keeping the cause', async () => {
      const socket = new FakeSocket();
      const cause = new Error('refused');
      socket.connectImpl = () => {
        throw cause;
      };
      const error = await rejectionOf(socket.connect({ url: URL }));
      expectCode(error, 'CONNECTION_FAILED');
      expect(error.cause).to.equal(cause);
      expect(socket.state).to.equal('closed');
    });

    it('rejects with CONNECTION_FAILED when doConnect rejects', async () => {
      const socket = new FakeSocket();
      socket.connectImpl = () => Promise.reject(new Error('dns'));
      expectCode(await rejectionOf(socket.connect({ url: URL })), 'CONNECTION_FAILED');
      expect(socket.state).to.equal('closed');
    });

    it('rejects with CONNECTION_FAILED, without close or error events, when the adapter reports close before open', async () => {
      const socket = new FakeSocket();
      const log = record(socket);
      const connected = socket.connect({ url: URL });
      socket.reportClose({ code: 1006, reason: '' });
      expectCode(await rejectionOf(connected), 'CONNECTION_FAILED');
      expect(log.closes).to.deep.equal([]);
      expect(log.errors).to.deep.equal([]);
      expect(socket.state).to.equal('closed');
    });

    it('rejects with CONNECTION_FAILED, without an error event, when the adapter reports an error before open', async () => {
      const socket = new FakeSocket();
      const log = record(socket);
      const connected = socket.connect({ url: URL });
      socket.reportError(new Error('handshake failed'));
      expectCode(await rejectionOf(connected), 'CONNECTION_FAILED');
      expect(log.errors).to.deep.equal([]);
    });

    it('ignores an open reported when no connect is in progress', async () => {
      const socket = new FakeSocket();
      const log = record(socket);
      socket.reportOpen();
      expect(socket.state).to.equal('idle');
      expect(log.opens).to.equal(0);
      const open = await openSocket();
      const openLog = record(open);
      open.reportOpen();
      expect(openLog.opens).to.equal(0);
    });
  });

  describe('#send()', () => {
    it('hands the frame to doSend and returns true while open', async () => {
      const socket = await openSocket(undefined, BinarySocket);
      const binary = new Uint8Array([1, 2, 3]);
      expect(socket.send('text')).to.equal(true);
      expect(socket.send(binary)).to.equal(true);
      expect(socket.hooks.doSend.args).to.deep.equal([['text'], [binary]]);
    });

    it('throws a TypeError for a binary frame unless the transport declares supports.binary', async () => {
      const socket = await openSocket();
      expect(() => socket.send(new Uint8Array([1]))).to.throw(TypeError, /supports\.binary/);
      expect(() => socket.send(Buffer.from('x'))).to.throw(TypeError, /supports\.binary/);
      expect(socket.hooks.doSend.called).to.equal(false);
      expect(socket.send('text')).to.equal(true);
    });

    for (const state of ['idle', 'connecting', 'closing', 'closed'] as const) {
      it(`returns false when ${state}, without calling doSend, and emits NOT_CONNECTED asynchronously`, async () => {
        const socket = new FakeSocket();
        if (state !== 'idle') {
          void socket.connect({ url: URL }).catch(() => undefined);
          if (state !== 'connecting') {
            socket.reportOpen();
            void socket.disconnect();
            if (state === 'closed') socket.reportClose({ code: 1000, reason: '' });
          }
        }
        expect(socket.state).to.equal(state);
        const log = record(socket);
        expect(socket.send('x')).to.equal(false);
        expect(log.errors, 'not inside the send() call').to.have.length(0);
        await flush();
        expect(log.errors).to.have.length(1);
        expectCode(log.errors[0], 'NOT_CONNECTED');
        expect(socket.hooks.doSend.called).to.equal(false);
      });
    }

    it('never throws when not open, even without an error listener', () => {
      const socket = new FakeSocket();
      expect(() => socket.send('x')).to.not.throw();
    });

    it('returns false and emits an error event when doSend throws, and stays open', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.sendImpl = () => {
        throw new Error('buffer full');
      };
      expect(socket.send('x')).to.equal(false);
      expect(log.errors).to.have.length(1);
      expect(PlugSocketError.is(log.errors[0])).to.equal(true);
      expect(socket.state).to.equal('open');
    });

    it('passes a plugsocket error thrown by doSend through with its code', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.sendImpl = () => {
        throw new PlugSocketError('PAYLOAD_TOO_LARGE', 'too big');
      };
      socket.send('x');
      expectCode(log.errors[0], 'PAYLOAD_TOO_LARGE');
    });
  });

  describe('incoming messages', () => {
    it('are delivered while open and while closing, in order', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.reportMessage('a');
      void socket.disconnect();
      socket.reportMessage('b');
      expect(log.messages).to.deep.equal(['a', 'b']);
    });

    it('are ignored when idle, connecting or closed', async () => {
      const socket = new FakeSocket();
      const log = record(socket);
      socket.reportMessage('idle');
      const connected = socket.connect({ url: URL });
      socket.reportMessage('connecting');
      socket.reportOpen();
      await connected;
      socket.reportClose({ code: 1000, reason: '' });
      socket.reportMessage('closed');
      expect(log.messages).to.deep.equal([]);
    });
  });

  describe('#disconnect()', () => {
    it('calls doClose with 1000 and an empty reason by default, and resolves on close', async () => {
      const socket = await openSocket();
      const log = record(socket);
      let resolved = false;
      const closed = socket.disconnect().then(() => (resolved = true));
      expect(socket.hooks.doClose.calledOnceWithExactly(1000, '')).to.equal(true);
      await flush();
      expect(resolved, 'not before the adapter confirms').to.equal(false);
      socket.reportClose({ code: 1000, reason: '' });
      await closed;
      expect(log.closes).to.deep.equal([{ code: 1000, reason: '' }]);
    });

    it('passes code and reason to doClose', async () => {
      const socket = await openSocket();
      void socket.disconnect(4000, 'done');
      expect(socket.hooks.doClose.calledOnceWithExactly(4000, 'done')).to.equal(true);
    });

    it('is idempotent: a second call while closing waits for the same close and doClose runs once', async () => {
      const socket = await openSocket();
      const log = record(socket);
      const first = socket.disconnect();
      const second = socket.disconnect(4001, 'again');
      socket.reportClose({ code: 1000, reason: '' });
      await Promise.all([first, second]);
      expect(socket.hooks.doClose.callCount).to.equal(1);
      expect(log.closes).to.have.length(1);
      await socket.disconnect();
      expect(socket.hooks.doClose.callCount).to.equal(1);
    });

    it('resolves at once, calling no hook, when idle', async () => {
      const socket = new FakeSocket();
      await socket.disconnect();
      expect(socket.hooks.doClose.called).to.equal(false);
      expect(socket.hooks.doTerminate.called).to.equal(false);
      expect(socket.state).to.equal('idle');
    });

    it('aborts a connect in progress: connect rejects with CONNECTION_FAILED and the attempt is terminated', async () => {
      const socket = new FakeSocket();
      const log = record(socket);
      const connected = socket.connect({ url: URL });
      await socket.disconnect();
      expectCode(await rejectionOf(connected), 'CONNECTION_FAILED');
      expect(socket.state).to.equal('closed');
      expect(socket.hooks.doTerminate.calledOnce).to.equal(true);
      expect(log.closes).to.deep.equal([]);
    });

    it('drops the connection and reports close 1006 after `closeTimeout` ms without confirmation', async () => {
      clock = useFakeClock();
      const socket = await openSocket({ closeTimeout: 1_000 });
      const log = record(socket);
      let resolved = false;
      const closed = socket.disconnect().then(() => (resolved = true));
      await clock.tickAsync(999);
      expect(resolved).to.equal(false);
      expect(log.closes).to.deep.equal([]);
      await clock.tickAsync(1);
      await closed;
      expect(socket.hooks.doTerminate.calledOnce).to.equal(true);
      expect(log.closes).to.have.length(1);
      expect(log.closes[0].code).to.equal(1006);
      expect(socket.state).to.equal('closed');
    });

    it('uses a 5000 ms close timeout by default', async () => {
      clock = useFakeClock();
      const socket = await openSocket();
      const log = record(socket);
      void socket.disconnect();
      await clock.tickAsync(4_999);
      expect(log.closes).to.have.length(0);
      await clock.tickAsync(1);
      expect(log.closes.map((c) => c.code)).to.deep.equal([1006]);
    });

    it('does not report a second close when the adapter confirms after the timeout', async () => {
      clock = useFakeClock();
      const socket = await openSocket({ closeTimeout: 10 });
      const log = record(socket);
      void socket.disconnect();
      await clock.tickAsync(10);
      socket.reportClose({ code: 1000, reason: '' });
      expect(log.closes.map((c) => c.code)).to.deep.equal([1006]);
    });

    it('clears the close timer when the adapter confirms in time', async () => {
      clock = useFakeClock();
      const socket = await openSocket({ closeTimeout: 10 });
      const log = record(socket);
      void socket.disconnect();
      socket.reportClose({ code: 1000, reason: '' });
      await clock.tickAsync(100);
      expect(log.closes.map((c) => c.code)).to.deep.equal([1000]);
      expect(socket.hooks.doTerminate.called).to.equal(false);
    });

    it('reports close 1006 at once and resolves when doClose throws', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.closeImpl = () => {
        throw new Error('socket gone');
      };
      await socket.disconnect();
      expect(log.closes.map((c) => c.code)).to.deep.equal([1006]);
      expect(socket.hooks.doTerminate.calledOnce).to.equal(true);
      expect(socket.state).to.equal('closed');
    });

    describe('argument validation', () => {
      const invalidCodes = [
        0,
        999,
        1004,
        1005,
        1006,
        1015,
        1016,
        2000,
        2999,
        5000,
        1000.5,
        Number.NaN,
        -1000,
      ];
      for (const code of invalidCodes) {
        it(`throws RangeError for close code ${code}, without closing`, async () => {
          const socket = await openSocket();
          expect(() => socket.disconnect(code)).to.throw(RangeError);
          expect(socket.state).to.equal('open');
          expect(socket.hooks.doClose.called).to.equal(false);
        });
      }

      it('throws RangeError for an invalid code even when idle', () => {
        expect(() => new FakeSocket().disconnect(1005)).to.throw(RangeError);
      });

      it('accepts 1000–1003, 1007–1014 and 3000–4999', async () => {
        for (const code of [1000, 1001, 1002, 1003, 1007, 1011, 1014, 3000, 4000, 4999]) {
          const socket = await openSocket();
          void socket.disconnect(code);
          expect(socket.hooks.doClose.calledOnceWith(code), String(code)).to.equal(true);
        }
      });

      it('throws RangeError for a reason longer than 123 bytes of UTF-8', async () => {
        const socket = await openSocket();
        expect(() => socket.disconnect(1000, 'a'.repeat(124))).to.throw(RangeError);
        // 42 three-byte characters: 42 code units but 126 bytes
        expect(() => socket.disconnect(1000, '€'.repeat(42))).to.throw(RangeError);
        expect(socket.state).to.equal('open');
      });

      it('accepts a reason of exactly 123 bytes, counting multi-byte characters', async () => {
        const ascii = await openSocket();
        void ascii.disconnect(1000, 'a'.repeat(123));
        expect(ascii.state).to.equal('closing');
        const euro = await openSocket();
        void euro.disconnect(1000, '€'.repeat(41));
        expect(euro.state).to.equal('closing');
      });

      it('throws TypeError for a reason that is not a string', async () => {
        const socket = await openSocket();
        expect(() => socket.disconnect(1000, 42 as unknown as string)).to.throw(TypeError);
      });
    });
  });

  describe('#terminate()', () => {
    it('drops an open connection at once: doTerminate, then close 1006', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.terminate();
      expect(socket.hooks.doTerminate.calledOnce).to.equal(true);
      expect(socket.hooks.doClose.called).to.equal(false);
      expect(socket.state).to.equal('closed');
      expect(log.closes.map((c) => c.code)).to.deep.equal([1006]);
    });

    it('ends a graceful close in progress: the pending disconnect() resolves and no second close follows', async () => {
      clock = useFakeClock();
      const socket = await openSocket({ closeTimeout: 100 });
      const log = record(socket);
      const closed = socket.disconnect();
      socket.terminate();
      await closed;
      await clock.tickAsync(1_000);
      socket.reportClose({ code: 1000, reason: '' });
      expect(log.closes.map((c) => c.code)).to.deep.equal([1006]);
    });

    it('aborts a connect in progress with CONNECTION_FAILED, without a close event', async () => {
      const socket = new FakeSocket();
      const log = record(socket);
      const connected = socket.connect({ url: URL });
      socket.terminate();
      expectCode(await rejectionOf(connected), 'CONNECTION_FAILED');
      expect(socket.state).to.equal('closed');
      expect(socket.hooks.doTerminate.calledOnce).to.equal(true);
      expect(log.closes).to.deep.equal([]);
    });

    it('does nothing when idle or closed', async () => {
      const idle = new FakeSocket();
      idle.terminate();
      expect(idle.state).to.equal('idle');
      expect(idle.hooks.doTerminate.called).to.equal(false);
      const socket = await openSocket();
      socket.reportClose({ code: 1000, reason: '' });
      const log = record(socket);
      socket.terminate();
      expect(socket.hooks.doTerminate.called).to.equal(false);
      expect(log.closes).to.deep.equal([]);
    });

    it('still reports the close when doTerminate throws', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.hooks.doTerminate = sinon.spy(() => {
        throw new Error('already destroyed');
      });
      expect(() => socket.terminate()).to.not.throw();
      expect(log.closes.map((c) => c.code)).to.deep.equal([1006]);
    });
  });

  describe('close event', () => {
    it('is emitted exactly once per opened connection, however often the adapter reports it', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.reportClose({ code: 1001, reason: 'first' });
      socket.reportClose({ code: 1006, reason: 'second' });
      void socket.disconnect();
      await flush();
      expect(log.closes).to.deep.equal([{ code: 1001, reason: 'first' }]);
    });

    it('carries a frozen { code, reason }', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.reportClose({ code: 4000, reason: 'x' });
      expect(Object.isFrozen(log.closes[0])).to.equal(true);
    });

    it('resolves a pending disconnect() when the peer closes first', async () => {
      const socket = await openSocket();
      const closed = socket.disconnect();
      socket.reportClose({ code: 1001, reason: 'going' });
      await closed;
      expect(socket.state).to.equal('closed');
    });

    it('is emitted once per connection across reconnects', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.reportClose({ code: 1000, reason: '' });
      const again = socket.connect({ url: URL });
      socket.reportOpen();
      await again;
      socket.reportClose({ code: 1001, reason: '' });
      expect(log.closes.map((c) => c.code)).to.deep.equal([1000, 1001]);
    });
  });

  describe('error event', () => {
    it('carries adapter errors after open as PlugSocketError', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.reportError(new Error('glitch'));
      expect(log.errors).to.have.length(1);
      expectCode(log.errors[0], 'SERVER_ERROR');
      expect(socket.state).to.equal('open');
    });
  });

  describe('listeners', () => {
    it('routes a listener that throws to `error` and still calls the others', async () => {
      const socket = await openSocket();
      const log = record(socket);
      const after = sinon.spy();
      socket.on('message', () => {
        throw new Error('handler bug');
      });
      socket.on('message', after);
      socket.reportMessage('x');
      expect(after.calledOnceWithExactly('x')).to.equal(true);
      expect(log.errors).to.have.length(1);
      expect(PlugSocketError.is(log.errors[0])).to.equal(true);
      expect((log.errors[0].cause as Error).message).to.equal('handler bug');
    });

    it('routes a throwing close listener to `error` too', async () => {
      const socket = await openSocket();
      const log = record(socket);
      socket.on('close', () => {
        throw new Error('close handler bug');
      });
      socket.reportClose({ code: 1000, reason: '' });
      expect(log.errors).to.have.length(1);
      expect(socket.state).to.equal('closed');
    });

    it('counts, adds and removes listeners', () => {
      const socket = new FakeSocket();
      const fn = (): void => undefined;
      expect(socket.listenerCount()).to.equal(0);
      socket.on('open', fn).on('open', fn).on('close', fn);
      expect(socket.listenerCount('open')).to.equal(2);
      expect(socket.listenerCount()).to.equal(3);
      socket.off('open', fn);
      expect(socket.listenerCount('open')).to.equal(1);
      socket.off('open', fn).off('close', fn).off('close', fn);
      expect(socket.listenerCount()).to.equal(0);
    });

    it('calls a function registered twice twice', async () => {
      const socket = new FakeSocket();
      const fn = sinon.spy();
      socket.on('open', fn).on('open', fn);
      const connected = socket.connect({ url: URL });
      socket.reportOpen();
      await connected;
      expect(fn.callCount).to.equal(2);
    });

    it('lets a listener remove another during dispatch without disturbing that dispatch', async () => {
      const socket = await openSocket();
      const second = sinon.spy();
      socket.on('message', () => socket.off('message', second));
      socket.on('message', second);
      socket.reportMessage('a');
      socket.reportMessage('b');
      expect(second.args).to.deep.equal([['a']]);
    });

    it('rejects a listener that is not a function with TypeError', () => {
      expect(() => new FakeSocket().on('open', 'nope' as unknown as () => void)).to.throw(
        TypeError,
      );
    });
  });
});
