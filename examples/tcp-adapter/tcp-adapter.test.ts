import { expect } from 'chai';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import {
  PlugSocketError,
  type CloseInfo,
  type Handshake,
  type ListenAddress,
  type ServerConnection,
} from 'plugsocket';
import { describeLayerContract, describeTransportContract } from 'plugsocket/contracts';
import {
  FrameDecoder,
  FrameKind,
  HEADER_SIZE,
  TCP_CAPABILITIES,
  TcpProtocolError,
  TcpSocket,
  TcpSocketServer,
  encodeFrame,
  encodeMessage,
  parseTcpUrl,
  type TcpFrame,
} from './index.js';

// ---------------------------------------------------------------- helpers

/** A hand-made frame: header with any length and kind, then `body`. */
function rawFrame(kind: number, body: Uint8Array, length = body.byteLength): Buffer {
  const out = Buffer.alloc(HEADER_SIZE + body.byteLength);
  out.writeUInt32BE(length, 0);
  out[4] = kind;
  out.set(body, HEADER_SIZE);
  return out;
}

function protocolErrorOf(fn: () => unknown): TcpProtocolError {
  try {
    fn();
  } catch (error) {
    expect(error).to.be.instanceOf(TcpProtocolError);
    return error as TcpProtocolError;
  }
  throw new Error('expected a TcpProtocolError');
}

const HELLO = encodeFrame({ kind: 'hello', hello: { url: '/', headers: {}, query: {}, auth: {} } });

/** Resolves once `predicate()` holds, polling every 5 ms; rejects after `ms`. */
async function until(predicate: () => boolean, ms = 2000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A plain `net` client that speaks the wire format by hand, to misbehave on purpose. */
class RawPeer {
  readonly frames: TcpFrame[] = [];
  ended = false;
  readonly #decoder = new FrameDecoder();

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.frames.push(...this.#decoder.push(chunk)));
    socket.on('close', () => (this.ended = true));
    socket.on('error', () => undefined);
  }

  static async connect(port: number): Promise<RawPeer> {
    const socket = connect({ host: '127.0.0.1', port });
    await once(socket, 'connect');
    return new RawPeer(socket);
  }

  static wrap(socket: Socket): RawPeer {
    return new RawPeer(socket);
  }

  closeFrame(): Extract<TcpFrame, { kind: 'close' }> | undefined {
    return this.frames.find((f): f is Extract<TcpFrame, { kind: 'close' }> => f.kind === 'close');
  }
}

/** A `net` server whose connections are handed to the test as {@link RawPeer}s. */
async function rawServer(
  onPeer: (peer: RawPeer) => void,
): Promise<{ server: Server; url: string }> {
  const server = createServer((socket) => onPeer(RawPeer.wrap(socket)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `tcp://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

// ---------------------------------------------------------------- frame codec

describe('tcp adapter: FrameDecoder', () => {
  it('round-trips every frame kind', () => {
    const frames: TcpFrame[] = [
      { kind: 'text', data: 'héllo 👋🏽' },
      { kind: 'binary', data: Uint8Array.from([0, 1, 254, 255]) },
      {
        kind: 'hello',
        hello: { url: '/a?b=1', headers: { x: 'y' }, query: { b: '1' }, auth: { token: 't' } },
      },
      { kind: 'accept' },
      { kind: 'close', code: 4001, reason: 'bye ✓' },
      { kind: 'ping', data: Uint8Array.from([7]) },
      { kind: 'pong', data: new Uint8Array(0) },
    ];
    const decoded = new FrameDecoder().push(Buffer.concat(frames.map(encodeFrame)));
    expect(decoded).to.deep.equal(frames);
  });

  it('decodes frames split at every byte, including inside the header', () => {
    const bytes = Buffer.concat([
      encodeMessage('split'),
      encodeMessage(Uint8Array.from([1, 2, 3])),
    ]);
    const decoder = new FrameDecoder();
    const out: TcpFrame[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...decoder.push(bytes.subarray(i, i + 1)));
    expect(out).to.deep.equal([
      { kind: 'text', data: 'split' },
      { kind: 'binary', data: Uint8Array.from([1, 2, 3]) },
    ]);
    expect(decoder.bufferedBytes).to.equal(0);
  });

  it('decodes many frames merged in one chunk, and a frame left half-way is completed by the next chunk', () => {
    const many = Array.from({ length: 100 }, (_, i) => encodeMessage(`frame ${i}`));
    const tail = encodeMessage('tail');
    const decoder = new FrameDecoder();
    const first = decoder.push(Buffer.concat([...many, tail.subarray(0, 7)]));
    expect(first.map((f) => (f.kind === 'text' ? f.data : f.kind))).to.deep.equal(
      Array.from({ length: 100 }, (_, i) => `frame ${i}`),
    );
    expect(decoder.push(tail.subarray(7))).to.deep.equal([{ kind: 'text', data: 'tail' }]);
  });

  it('keeps empty frames and a leading byte-order mark', () => {
    const decoder = new FrameDecoder();
    expect(
      decoder.push(Buffer.concat([encodeMessage(''), encodeMessage('\uFEFFbom')])),
    ).to.deep.equal([
      { kind: 'text', data: '' },
      { kind: 'text', data: '\uFEFFbom' },
    ]);
  });

  it('delivers binary bodies as copies that share no memory with the chunk', () => {
    const chunk = Buffer.concat([
      encodeMessage(Uint8Array.from([1, 2])),
      encodeMessage(Uint8Array.from([3])),
    ]);
    const [a, b] = new FrameDecoder().push(chunk) as { data: Uint8Array }[];
    expect(a.data.buffer).to.not.equal(chunk.buffer);
    expect(a.data.buffer.byteLength).to.equal(2);
    chunk.fill(0);
    expect([...a.data, ...b.data]).to.deep.equal([1, 2, 3]);
  });

  it('copies the body when encoding, so the caller may reuse its buffer at once', () => {
    const body = Uint8Array.from([9, 9]);
    const wire = encodeMessage(body);
    body[0] = 0;
    expect([...wire.subarray(HEADER_SIZE)]).to.deep.equal([9, 9]);
  });

  it('rejects an oversize frame with 1009 from its header alone, before the body arrives', () => {
    const decoder = new FrameDecoder({ maxFrameSize: 16 });
    const header = rawFrame(FrameKind.BINARY, new Uint8Array(0), 17);
    const error = protocolErrorOf(() => decoder.push(header));
    expect(error.closeCode).to.equal(1009);
    expect(PlugSocketError.is(error, 'PAYLOAD_TOO_LARGE')).to.equal(true);
    expect(decoder.bufferedBytes).to.equal(0);
  });

  it('accepts a frame of exactly maxFrameSize', () => {
    const decoder = new FrameDecoder({ maxFrameSize: 16 });
    expect(decoder.push(encodeMessage(new Uint8Array(16)))).to.have.length(1);
  });

  it('rejects malformed input with 1002 (unknown kind, bad close, bad hello, non-empty accept)', () => {
    const cases: Buffer[] = [
      rawFrame(0x00, new Uint8Array(0)),
      rawFrame(0x7f, Buffer.from('x')),
      rawFrame(FrameKind.CLOSE, Uint8Array.from([0x03])), // no room for the 2-byte code
      rawFrame(FrameKind.CLOSE, Uint8Array.from([0x03, 0xee])), // 1006 never travels on the wire
      rawFrame(FrameKind.HELLO, Buffer.from('not json')),
      rawFrame(FrameKind.HELLO, Buffer.from('{"headers":{}}')), // no url
      rawFrame(FrameKind.HELLO, Buffer.from('{"url":"/","headers":{"a":1}}')),
      rawFrame(FrameKind.HELLO, Buffer.from('{"url":"/","auth":[1]}')),
      rawFrame(FrameKind.ACCEPT, Buffer.from('x')),
    ];
    for (const bytes of cases) {
      const error = protocolErrorOf(() => new FrameDecoder().push(bytes));
      expect(error.closeCode, `close code for ${bytes.toString('hex')}`).to.equal(1002);
      expect(PlugSocketError.is(error, 'INVALID_MESSAGE')).to.equal(true);
    }
  });

  it('rejects text that is not UTF-8 with 1007', () => {
    const error = protocolErrorOf(() =>
      new FrameDecoder().push(rawFrame(FrameKind.TEXT, Uint8Array.from([0xc3, 0x28]))),
    );
    expect(error.closeCode).to.equal(1007);
  });

  it('keeps failing after a protocol error: the stream is out of sync', () => {
    const decoder = new FrameDecoder();
    const first = protocolErrorOf(() => decoder.push(rawFrame(0x7f, new Uint8Array(0))));
    expect(protocolErrorOf(() => decoder.push(encodeMessage('fine')))).to.equal(first);
  });

  it('validates maxFrameSize', () => {
    expect(() => new FrameDecoder({ maxFrameSize: 0 })).to.throw(RangeError);
    expect(() => new FrameDecoder({ maxFrameSize: 2 ** 32 })).to.throw(RangeError);
  });
});

describe('tcp adapter: parseTcpUrl', () => {
  it('splits host, port, path and query, merging extra query keys over the url', () => {
    expect({
      ...parseTcpUrl('tcp://127.0.0.1:9000/chat?room=a&x=1', { room: 'b c' }),
    }).to.deep.equal({
      host: '127.0.0.1',
      port: 9000,
      path: '/chat?room=b+c&x=1',
      query: { room: 'b c', x: '1' },
    });
    expect(parseTcpUrl('tcp://[::1]:80').host).to.equal('::1');
    expect(parseTcpUrl('tcp://localhost:80').path).to.equal('/');
  });

  it('rejects other schemes and urls without a port', () => {
    expect(() => parseTcpUrl('ws://127.0.0.1:80')).to.throw(TypeError);
    expect(() => parseTcpUrl('tcp://127.0.0.1')).to.throw(TypeError);
    expect(() => parseTcpUrl('not a url')).to.throw(TypeError);
  });
});

// ---------------------------------------------------------------- server over real sockets

describe('tcp adapter: TcpSocketServer on the wire', () => {
  let server: TcpSocketServer;
  let port: number;
  const raws: RawPeer[] = [];
  const connections: ServerConnection<Socket>[] = [];
  const disconnects: CloseInfo[] = [];
  const errors: PlugSocketError[] = [];

  beforeEach(async () => {
    server = new TcpSocketServer({ handshakeTimeout: 200, maxFrameSize: 1024, closeTimeout: 500 });
    server.on('connection', (c) => void connections.push(c));
    server.on('disconnect', (_c, info) => void disconnects.push(info));
    server.on('error', (_c, error) => void errors.push(error));
    const address = await server.listen();
    port = address.port ?? 0;
    expect(address).to.deep.equal({ url: `tcp://127.0.0.1:${port}`, port, host: '127.0.0.1' });
  });

  afterEach(async () => {
    for (const raw of raws.splice(0)) raw.socket.destroy();
    connections.length = 0;
    disconnects.length = 0;
    errors.length = 0;
    await server.close();
  });

  async function raw(): Promise<RawPeer> {
    const peer = await RawPeer.connect(port);
    raws.push(peer);
    return peer;
  }

  it('accepts only after a valid hello, answering with accept', async () => {
    const peer = await raw();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(connections, 'connections before the hello').to.have.length(0);
    peer.socket.write(HELLO);
    await until(() => connections.length === 1 && peer.frames.length === 1, 2000, 'accept');
    expect(peer.frames).to.deep.equal([{ kind: 'accept' }]);
  });

  it('closes a client that sends no hello in time with 4408, without a connection event', async () => {
    const peer = await raw();
    await until(() => peer.ended, 2000, 'the socket to end');
    expect(peer.closeFrame()).to.deep.include({ code: 4408 });
    expect(connections).to.have.length(0);
  });

  it('closes a client whose first frame is not a hello with 1002', async () => {
    const peer = await raw();
    peer.socket.write(encodeMessage('hi'));
    await until(() => peer.ended, 2000, 'the socket to end');
    expect(peer.closeFrame()).to.deep.include({ code: 1002 });
    expect(connections).to.have.length(0);
  });

  it('closes with 1009 on an oversize frame, and reports PAYLOAD_TOO_LARGE and the disconnect', async () => {
    const peer = await raw();
    peer.socket.write(HELLO);
    await until(() => connections.length === 1, 2000, 'the connection');
    peer.socket.write(rawFrame(FrameKind.BINARY, new Uint8Array(0), 1025));
    await until(() => peer.ended, 2000, 'the socket to end');
    expect(peer.closeFrame()).to.deep.include({ code: 1009 });
    expect(disconnects.map((d) => d.code)).to.deep.equal([1009]);
    expect(errors.map((e) => e.code)).to.deep.equal(['PAYLOAD_TOO_LARGE']);
  });

  it('closes with 1002 on malformed input after the handshake', async () => {
    const peer = await raw();
    peer.socket.write(HELLO);
    await until(() => connections.length === 1, 2000, 'the connection');
    peer.socket.write(Buffer.from([0, 0, 0, 0, 0x42]));
    await until(() => peer.ended, 2000, 'the socket to end');
    expect(peer.closeFrame()).to.deep.include({ code: 1002 });
    expect(disconnects.map((d) => d.code)).to.deep.equal([1002]);
  });

  it('reports 1006 when the client hangs up without a close frame', async () => {
    const peer = await raw();
    peer.socket.write(HELLO);
    await until(() => connections.length === 1, 2000, 'the connection');
    peer.socket.end();
    await until(() => disconnects.length === 1, 2000, 'the disconnect');
    expect(disconnects[0].code).to.equal(1006);
  });

  it("echoes a client's close frame and reports its code", async () => {
    const peer = await raw();
    peer.socket.write(HELLO);
    await until(() => connections.length === 1, 2000, 'the connection');
    peer.socket.write(encodeFrame({ kind: 'close', code: 4100, reason: 'done' }));
    await until(() => peer.ended, 2000, 'the socket to end');
    expect(peer.closeFrame()).to.deep.equal({ kind: 'close', code: 4100, reason: 'done' });
    expect(disconnects).to.deep.equal([{ code: 4100, reason: 'done' }]);
  });

  it('closeConnection() sends a close frame and completes when the client answers', async () => {
    const peer = await raw();
    peer.socket.write(HELLO);
    await until(() => connections.length === 1, 2000, 'the connection');
    const closed = server.closeConnection(connections[0], 4200, 'bye');
    await until(() => peer.closeFrame() !== undefined, 2000, 'the close frame');
    expect(disconnects, 'disconnects before the answer').to.have.length(0);
    peer.socket.write(encodeFrame({ kind: 'close', code: 4200, reason: 'bye' }));
    await closed;
    expect(disconnects).to.deep.equal([{ code: 4200, reason: 'bye' }]);
  });

  it('rejects listen() on a port in use with CONNECTION_FAILED, and close() still resolves', async () => {
    const second = new TcpSocketServer({ port });
    const error = await second.listen().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(PlugSocketError.is(error, 'CONNECTION_FAILED'), String(error)).to.equal(true);
    await second.close();
  });

  it('answers a ping with a pong carrying the same bytes', async () => {
    const peer = await raw();
    peer.socket.write(HELLO);
    await until(() => connections.length === 1, 2000, 'the connection');
    peer.socket.write(encodeFrame({ kind: 'ping', data: Uint8Array.from([4, 2]) }));
    await until(() => peer.frames.length === 2, 2000, 'the pong');
    expect(peer.frames[1]).to.deep.equal({ kind: 'pong', data: Uint8Array.from([4, 2]) });
  });
});

// ---------------------------------------------------------------- client over real sockets

describe('tcp adapter: TcpSocket on the wire', () => {
  const servers: Server[] = [];
  const clients: TcpSocket[] = [];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.disconnect()));
    for (const server of servers.splice(0)) {
      server.close();
    }
  });

  async function serve(onPeer: (peer: RawPeer) => void): Promise<string> {
    const { server, url } = await rawServer((peer) => {
      // Closed with the server, so that server.close() does not wait for them.
      server.on('close', () => peer.socket.destroy());
      onPeer(peer);
    });
    servers.push(server);
    return url;
  }

  function client(): TcpSocket {
    const socket = new TcpSocket({ closeTimeout: 500 });
    clients.push(socket);
    return socket;
  }

  it('sends a hello with path, query, headers and auth, and opens only on accept', async () => {
    let peer: RawPeer | undefined;
    const url = await serve((p) => (peer = p));
    const socket = client();
    const connecting = socket.connect({
      url: `${url}/chat?room=1`,
      query: { lang: 'en' },
      headers: { 'X-Test': 'yes' },
      auth: { token: 't' },
    });
    await until(() => peer !== undefined && peer.frames.length === 1, 2000, 'the hello');
    expect(peer?.frames[0]).to.deep.equal({
      kind: 'hello',
      hello: {
        url: '/chat?room=1&lang=en',
        headers: { 'X-Test': 'yes' },
        query: { room: '1', lang: 'en' },
        auth: { token: 't' },
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(socket.state, 'state before accept').to.equal('connecting');
    peer?.socket.write(encodeFrame({ kind: 'accept' }));
    await connecting;
    expect(socket.isOpen).to.equal(true);
  });

  it('fails connect() with CONNECTION_FAILED naming the code when the server refuses with a close frame', async () => {
    const url = await serve((peer) =>
      peer.socket.end(encodeFrame({ kind: 'close', code: 4401, reason: 'bad token' })),
    );
    const error = await client()
      .connect({ url })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.equal(true);
    expect((error as Error).message).to.contain('4401');
  });

  it('fails connect() when the server sends a message before accept', async () => {
    const url = await serve((peer) => peer.socket.write(encodeMessage('too early')));
    const socket = client();
    const error = await socket.connect({ url }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(PlugSocketError.is(error, 'CONNECTION_FAILED')).to.equal(true);
    expect(socket.isOpen).to.equal(false);
  });

  it('reports close 1006 when the server hangs up without a close frame', async () => {
    let peer: RawPeer | undefined;
    const url = await serve((p) => {
      peer = p;
      p.socket.write(encodeFrame({ kind: 'accept' }));
    });
    const socket = client();
    const closes: CloseInfo[] = [];
    socket.on('close', (info) => void closes.push(info));
    await socket.connect({ url });
    peer?.socket.destroy();
    await until(() => closes.length === 1, 2000, 'the close event');
    expect(closes[0].code).to.equal(1006);
  });

  it('closes with 1009 when the server sends an oversize frame', async () => {
    let peer: RawPeer | undefined;
    const url = await serve((p) => {
      peer = p;
      p.socket.write(encodeFrame({ kind: 'accept' }));
    });
    const socket = new TcpSocket({ maxFrameSize: 8 });
    clients.push(socket);
    const closes: CloseInfo[] = [];
    socket.on('close', (info) => void closes.push(info));
    socket.on('error', () => undefined);
    await socket.connect({ url });
    peer?.socket.write(encodeMessage('123456789'));
    await until(() => closes.length === 1 && peer?.closeFrame() !== undefined, 2000, 'the close');
    expect(closes[0].code).to.equal(1009);
    expect(peer?.closeFrame()?.code).to.equal(1009);
  });

  it('disconnect() sends a close frame and completes when the server answers it', async () => {
    let peer: RawPeer | undefined;
    const url = await serve((p) => {
      peer = p;
      p.socket.write(encodeFrame({ kind: 'accept' }));
    });
    const socket = client();
    const closes: CloseInfo[] = [];
    socket.on('close', (info) => void closes.push(info));
    await socket.connect({ url });
    const closed = socket.disconnect(4300, 'see you');
    await until(() => peer?.closeFrame() !== undefined, 2000, 'the close frame');
    expect(peer?.closeFrame()).to.deep.equal({ kind: 'close', code: 4300, reason: 'see you' });
    expect(socket.state, 'state before the answer').to.equal('closing');
    peer?.socket.write(encodeFrame({ kind: 'close', code: 4300, reason: 'see you' }));
    await closed;
    expect(closes).to.deep.equal([{ code: 4300, reason: 'see you' }]);
    // Half-closed by the client, so the raw server sees the end of the stream.
    await until(() => peer?.ended === true, 2000, 'the socket to end');
  });

  it('disconnect() also completes when the server hangs up instead of answering', async () => {
    const url = await serve((p) => {
      p.socket.write(encodeFrame({ kind: 'accept' }));
      p.socket.on('data', () => p.frames.some((f) => f.kind === 'close') && p.socket.end());
    });
    const socket = client();
    const closes: CloseInfo[] = [];
    socket.on('close', (info) => void closes.push(info));
    await socket.connect({ url });
    await socket.disconnect(4301, 'no answer');
    expect(closes).to.deep.equal([{ code: 4301, reason: 'no answer' }]);
  });
});

// ---------------------------------------------------------------- end to end

describe('tcp adapter: end to end', () => {
  it('carries the handshake and frames between TcpSocket and TcpSocketServer', async () => {
    const server = new TcpSocketServer();
    const handshakes: Handshake[] = [];
    server.on('connection', (connection, handshake) => {
      handshakes.push(handshake);
      server.send(connection, `welcome ${String(handshake.auth.user)}`);
    });
    server.on('message', (connection, frame) => void server.send(connection, frame));
    const { url } = await server.listen();
    const socket = new TcpSocket();
    const received: unknown[] = [];
    socket.on('message', (frame) => void received.push(frame));
    try {
      await socket.connect({ url: `${url}/rt`, auth: { user: 'ada' }, headers: { 'X-App': '1' } });
      socket.send(Uint8Array.from([1, 2, 3]));
      await until(() => received.length === 2, 2000, 'two frames');
      expect(received).to.deep.equal(['welcome ada', Uint8Array.from([1, 2, 3])]);
      expect(handshakes[0]).to.deep.include({ url: '/rt', remoteAddress: '127.0.0.1' });
      expect(handshakes[0].headers).to.deep.equal({ 'x-app': '1' });
    } finally {
      await socket.disconnect();
      await server.close();
    }
  });
});

// ---------------------------------------------------------------- the published contracts

// One options object for both suites: the transport contract checks the port's promises, the
// layer contract runs SocketServer and SocketClient end to end over this transport.
const contract = {
  name: 'tcp',
  createServer: () => new TcpSocketServer({ port: 0, host: '127.0.0.1' }),
  createClient: () => new TcpSocket(),
  supports: TCP_CAPABILITIES,
  createServerAt: (address: ListenAddress) =>
    new TcpSocketServer({ port: address.port, host: '127.0.0.1' }),
  // The transport runs over TCP: the transport contract's fault tier proxies it (defaults: the
  // server's tcp:// url, with the proxy's host and port to connect through). The layer contract
  // takes the same object and ignores the field.
  faults: true,
};

describeTransportContract(contract);
describeLayerContract(contract);
