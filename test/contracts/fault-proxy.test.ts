// FaultProxy (contracts/fault/fault-proxy.ts) over plain node:net servers and clients on 127.0.0.1.
// Timing is only ever asserted with a lower bound; every wait is bounded by waitFor.
import { randomBytes } from 'node:crypto';
import net, { type Server, type Socket } from 'node:net';
import { expect } from 'chai';
import { FaultProxy, type FaultProxyOptions } from '../../contracts/fault/fault-proxy.js';
import { delay, waitFor } from '../../contracts/helpers.js';

/** Upper bound, in ms, on any one wait. */
const WAIT = 3000;

/** One end of a TCP connection and everything it saw. */
interface Peer {
  readonly socket: Socket;
  readonly chunks: Buffer[];
  readonly errors: string[];
  ended: boolean;
  closed: boolean;
}

function watch(socket: Socket): Peer {
  const peer: Peer = { socket, chunks: [], errors: [], ended: false, closed: false };
  socket.on('data', (chunk: Buffer) => peer.chunks.push(chunk));
  socket.on('end', () => (peer.ended = true));
  socket.on('error', (error: NodeJS.ErrnoException) =>
    peer.errors.push(error.code ?? error.message),
  );
  socket.on('close', () => (peer.closed = true));
  return peer;
}

function received(peer: Peer): Buffer {
  return Buffer.concat(peer.chunks);
}

function size(peer: Peer): number {
  return peer.chunks.reduce((total, chunk) => total + chunk.length, 0);
}

/** A server standing in for the proxy's target; `peers` are its accepted connections. */
interface Target {
  readonly server: Server;
  readonly port: number;
  readonly peers: Peer[];
}

const servers: Server[] = [];
const sockets: Socket[] = [];
const proxies: FaultProxy[] = [];

/** Starts a target server; `onPeer` runs on each accepted connection (default: nothing). */
async function startTarget(onPeer: (peer: Peer) => void = () => undefined): Promise<Target> {
  const peers: Peer[] = [];
  const server = net.createServer((socket) => {
    sockets.push(socket);
    const peer = watch(socket);
    peers.push(peer);
    onPeer(peer);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  return { server, port: address.port, peers };
}

/** An echo server: every byte comes back, and a FIN is answered by a FIN. */
function startEcho(): Promise<Target> {
  return startTarget((peer) => peer.socket.pipe(peer.socket));
}

async function startProxy(
  target: Target,
  options: Omit<FaultProxyOptions, 'target'> = {},
): Promise<FaultProxy> {
  const proxy = new FaultProxy({ target: { host: '127.0.0.1', port: target.port }, ...options });
  proxies.push(proxy);
  await proxy.listen();
  return proxy;
}

/** Opens a client to `port` and waits for the TCP connection. */
async function connect(port: number): Promise<Peer> {
  const socket = net.connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  const peer = watch(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
  return peer;
}

/** Connects a client through `proxy` and waits until `target` has accepted the proxied side. */
async function connectThrough(proxy: FaultProxy, target: Target): Promise<[Peer, Peer]> {
  const before = target.peers.length;
  const client = await connect(proxy.port);
  await waitFor(() => target.peers.length > before, WAIT, 'the target connection');
  return [client, target.peers[before]];
}

function gone(peer: Peer): boolean {
  return peer.closed;
}

describe('FaultProxy', function () {
  this.timeout(10_000);

  afterEach(async () => {
    await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
    for (const socket of sockets.splice(0)) socket.destroy();
    await Promise.all(
      servers
        .splice(0)
        .map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    );
  });

  describe('without faults', () => {
    it('forwards a large payload both ways intact and counts it', async () => {
      const target = await startEcho();
      const proxy = await startProxy(target);
      const [client] = await connectThrough(proxy, target);
      const payload = randomBytes(8 * 1024 * 1024);
      client.socket.end(payload);
      await waitFor(() => client.closed, 8000, 'the echo and the close');
      expect(client.errors).to.deep.equal([]);
      expect(client.ended).to.be.true;
      expect(received(client).equals(payload)).to.be.true;
      expect(proxy.stats).to.include({
        bytesUp: payload.length,
        bytesDown: payload.length,
        cut: 0,
      });
      await waitFor(() => proxy.connections === 0, WAIT, 'the pair to close');
    });

    it('forwards a half-close each way after the bytes sent before it', async () => {
      const target = await startTarget((peer) => {
        peer.socket.on('end', () => peer.socket.end('bye'));
      });
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      client.socket.end('hello');
      await waitFor(() => server.ended && client.ended, WAIT, 'both FINs');
      expect(received(server).toString()).to.equal('hello');
      expect(received(client).toString()).to.equal('bye');
      await waitFor(() => client.closed && server.closed, WAIT, 'both closes');
      expect(client.errors).to.deep.equal([]);
      await waitFor(() => proxy.connections === 0, WAIT, 'the pair to close');
      expect(proxy.stats).to.include({ accepted: 1, cut: 0, errors: 0 });
    });

    it('passes a reset from the target on to the client', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      server.socket.resetAndDestroy();
      await waitFor(() => client.closed, WAIT, 'the client to close');
      expect(client.ended, 'a reset is not a FIN').to.be.false;
    });

    it('a reset in the middle of a stream leaves the client a prefix of it, never altered bytes', async () => {
      const payload = randomBytes(1024 * 1024);
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      server.socket.write(payload, () => server.socket.resetAndDestroy());
      await waitFor(() => client.closed, WAIT, 'the client to close');
      // A reset is abortive (docs/fault-injection.md): bytes not yet read by the client may be
      // dropped with it, so only a prefix is promised, never altered or reordered bytes.
      expect(size(client)).to.be.at.most(payload.length);
      expect(received(client).equals(payload.subarray(0, size(client)))).to.be.true;
    });

    it('resets the client when the target refuses the connection', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      await new Promise<void>((resolve) => target.server.close(() => resolve()));
      const client = await connect(proxy.port);
      await waitFor(() => client.closed, WAIT, 'the client to close');
      expect(proxy.stats.errors).to.be.at.least(1);
      await waitFor(() => proxy.connections === 0, WAIT, 'the pair to go');
    });

    it('stops reading while the target does not read (back-pressure)', async () => {
      const target = await startTarget((peer) => peer.socket.pause());
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      const payload = randomBytes(64 * 1024 * 1024);
      client.socket.write(payload);
      await delay(300);
      expect(client.socket.writableLength, 'bytes still queued at the client').to.be.above(0);
      expect(proxy.stats.bytesUp).to.be.below(payload.length / 2);
      server.socket.resume();
      await waitFor(() => size(server) === payload.length, 8000, 'the whole payload');
      expect(received(server).equals(payload)).to.be.true;
    });
  });

  describe('cut()', () => {
    it('resets both ends of every live pair and counts them', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      const [client2, server2] = await connectThrough(proxy, target);
      expect(proxy.connections).to.equal(2);
      expect(proxy.cut()).to.equal(2);
      await waitFor(
        () => [client, server, client2, server2].every(gone),
        WAIT,
        'all four ends to close',
      );
      expect(client.ended, 'an RST, not a FIN').to.be.false;
      expect(server.ended, 'an RST, not a FIN').to.be.false;
      expect(proxy.stats.cut).to.equal(2);
      await waitFor(() => proxy.connections === 0, WAIT, 'the pairs to go');
      expect(proxy.cut()).to.equal(0);
    });

    it("with side 'client' resets the client and leaves the target half-open", async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      expect(proxy.cut({ side: 'client' })).to.equal(1);
      await waitFor(() => client.closed, WAIT, 'the client to close');
      server.socket.write('anyone there?');
      await delay(150);
      expect(server.closed).to.be.false;
      expect(proxy.connections).to.equal(1);
      await proxy.close();
      await waitFor(() => server.closed, WAIT, 'the target side to close');
    });

    it("releases the frozen target once it ends its side (side 'client')", async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      proxy.cut({ side: 'client' });
      await waitFor(() => client.closed, WAIT, 'the client to close');
      server.socket.write('anyone there?');
      await delay(100);
      expect(proxy.connections, 'still half-open while the target waits').to.equal(1);
      server.socket.end();
      await waitFor(() => server.closed, WAIT, 'the target side to close');
      expect(server.ended, 'its FIN is answered with a reset, not a FIN').to.be.false;
      await waitFor(() => proxy.connections === 0, WAIT, 'the pair to be released');
      expect(size(client), 'nothing forwarded from the frozen side').to.equal(0);
    });

    it("releases the frozen client once it resets its side (side 'target')", async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      proxy.cut({ side: 'target' });
      await waitFor(() => server.closed, WAIT, 'the target side to close');
      await delay(100);
      expect(proxy.connections, 'still half-open while the client waits').to.equal(1);
      client.socket.resetAndDestroy();
      await waitFor(() => proxy.connections === 0, WAIT, 'the pair to be released');
    });

    it("releases the frozen client once it ends its side (side 'target')", async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      proxy.cut({ side: 'target' });
      await waitFor(() => server.closed, WAIT, 'the target side to close');
      client.socket.end();
      await waitFor(() => client.closed, WAIT, 'the client to close');
      await waitFor(() => proxy.connections === 0, WAIT, 'the pair to be released');
    });

    it("with side 'target' resets the target and leaves the client half-open", async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      proxy.cut({ side: 'target' });
      await waitFor(() => server.closed, WAIT, 'the target side to close');
      client.socket.write('anyone there?');
      await delay(150);
      expect(client.closed).to.be.false;
      expect(size(server)).to.equal(0);
    });
  });

  describe('cutAfter()', () => {
    it('lets exactly n more bytes through (mid-chunk), then FIN / RST', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      const payload = randomBytes(64 * 1024);
      expect(proxy.cutAfter(1000, { direction: 'down' })).to.equal(1);
      server.socket.write(payload);
      await waitFor(() => client.closed && server.closed, WAIT, 'both ends to close');
      expect(size(client)).to.equal(1000);
      expect(received(client).equals(payload.subarray(0, 1000))).to.be.true;
      expect(client.ended, 'the client reads EOF after the bytes').to.be.true;
      expect(server.ended, 'the target is reset, not ended').to.be.false;
      expect(proxy.stats).to.include({ cut: 1, bytesDown: 1000 });
    });

    it('counts from the call, upwards', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      client.socket.write('hello');
      await waitFor(() => size(server) === 5, WAIT, 'the first bytes');
      proxy.cutAfter(10, { direction: 'up' });
      client.socket.write('0123456789abcdefghij');
      await waitFor(() => server.closed && client.closed, WAIT, 'both ends to close');
      expect(received(server).toString()).to.equal('hello0123456789');
      expect(server.ended).to.be.true;
    });

    it("with direction 'both' counts the two directions together", async () => {
      const target = await startEcho();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      proxy.cutAfter(3000);
      client.socket.write(randomBytes(10_000));
      await waitFor(() => client.closed && server.closed, WAIT, 'both ends to close');
      const { bytesUp, bytesDown } = proxy.stats;
      expect(bytesUp + bytesDown).to.equal(3000);
      expect(size(server)).to.equal(bytesUp);
      expect(size(client)).to.equal(bytesDown);
    });

    it('counts bytes held by a stall when they are forwarded', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      proxy.stall({ direction: 'down' });
      server.socket.write(Buffer.alloc(500, 1));
      await delay(50);
      proxy.cutAfter(200, { direction: 'down' });
      proxy.resume();
      await waitFor(() => client.closed, WAIT, 'the client to close');
      expect(size(client)).to.equal(200);
    });

    it('with no live pair arms the next connection only', async () => {
      const payload = Buffer.alloc(100, 7);
      const target = await startTarget((peer) => peer.socket.write(payload));
      const proxy = await startProxy(target);
      expect(proxy.cutAfter(10, { direction: 'down' })).to.equal(0);
      const first = await connect(proxy.port);
      await waitFor(() => first.closed, WAIT, 'the first client to close');
      expect(size(first)).to.equal(10);
      const second = await connect(proxy.port);
      await waitFor(() => size(second) === 100, WAIT, 'the whole payload');
      await delay(50);
      expect(second.closed).to.be.false;
    });

    it('cuts at once after 0 bytes', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      proxy.cutAfter(0, { direction: 'up' });
      client.socket.write('never');
      await waitFor(() => client.closed && server.closed, WAIT, 'both ends to close');
      expect(size(server)).to.equal(0);
    });
  });

  describe('cutAtRandom()', () => {
    /** Bytes each of `count` successive connections received before its random cut. */
    async function cutPoints(seed: number, count: number): Promise<number[]> {
      const payload = randomBytes(20_000);
      const target = await startTarget((peer) => peer.socket.write(payload));
      const proxy = await startProxy(target);
      proxy.cutAtRandom({ seed, minBytes: 100, maxBytes: 9000, direction: 'down' });
      const points: number[] = [];
      for (let i = 0; i < count; i++) {
        const client = await connect(proxy.port);
        await waitFor(() => client.closed, WAIT, `client ${i} to close`);
        expect(received(client).equals(payload.subarray(0, size(client)))).to.be.true;
        points.push(size(client));
      }
      expect(proxy.stats.cut).to.equal(count);
      return points;
    }

    it('cuts every connection at a point drawn from the seed, within the bounds', async () => {
      const first = await cutPoints(42, 6);
      const again = await cutPoints(42, 6);
      const other = await cutPoints(43, 6);
      expect(again).to.deep.equal(first);
      expect(other).to.not.deep.equal(first);
      for (const point of [...first, ...other]) expect(point).to.be.within(100, 9000);
    });

    it('is cleared by reset()', async () => {
      const target = await startTarget((peer) => peer.socket.write(Buffer.alloc(20_000)));
      const proxy = await startProxy(target);
      proxy.cutAtRandom({ seed: 1, minBytes: 10, maxBytes: 20 });
      proxy.reset();
      const client = await connect(proxy.port);
      await waitFor(() => size(client) === 20_000, WAIT, 'the whole payload');
      expect(proxy.stats.cut).to.equal(0);
    });
  });

  describe('stall() and resume()', () => {
    it('holds bytes without closing, then delivers them in order', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [client, server] = await connectThrough(proxy, target);
      proxy.stall();
      for (const part of ['a', 'b', 'c']) {
        client.socket.write(part);
        await delay(10);
      }
      await delay(150);
      expect(size(server)).to.equal(0);
      expect(client.closed || server.closed).to.be.false;
      proxy.resume();
      await waitFor(() => size(server) === 3, WAIT, 'the held bytes');
      expect(received(server).toString()).to.equal('abc');
    });

    it('stalls one direction only, and connections accepted later', async () => {
      const target = await startEcho();
      const proxy = await startProxy(target);
      proxy.stall({ direction: 'down' });
      const [client, server] = await connectThrough(proxy, target);
      client.socket.write('ping');
      await waitFor(() => size(server) === 4, WAIT, 'the bytes up');
      await delay(100);
      expect(size(client)).to.equal(0);
      proxy.resume();
      await waitFor(() => size(client) === 4, WAIT, 'the echo');
      expect(received(client).toString()).to.equal('ping');
    });
  });

  describe('delay()', () => {
    it('adds latency to each direction and keeps the order', async () => {
      const target = await startEcho();
      const proxy = await startProxy(target);
      const [client] = await connectThrough(proxy, target);
      proxy.delay(100);
      const started = Date.now();
      const sent: string[] = [];
      for (let i = 0; i < 20; i++) {
        sent.push(`${i};`);
        client.socket.write(`${i};`);
      }
      const expected = sent.join('');
      await waitFor(() => size(client) === expected.length, WAIT, 'the echo');
      expect(Date.now() - started, 'two delayed hops').to.be.at.least(190);
      expect(received(client).toString()).to.equal(expected);
    });

    it('delay(0) clears it', async () => {
      const target = await startEcho();
      const proxy = await startProxy(target);
      const [client] = await connectThrough(proxy, target);
      proxy.delay(5000);
      proxy.delay(0);
      client.socket.write('quick');
      await waitFor(() => size(client) === 5, WAIT, 'the echo');
    });
  });

  describe('blackhole()', () => {
    it('accepts the TCP connection but never connects it to the target', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      proxy.blackhole();
      const client = await connect(proxy.port);
      client.socket.write('hello?');
      await delay(150);
      expect(target.peers).to.have.length(0);
      expect(client.closed).to.be.false;
      expect(size(client)).to.equal(0);
      expect(proxy.connections).to.equal(1);
      expect(proxy.stats).to.include({ accepted: 1, blackholed: 1 });
      proxy.reset();
      const [, server] = await connectThrough(proxy, target);
      expect(server.closed).to.be.false;
      expect(proxy.cut()).to.equal(2);
      await waitFor(() => client.closed, WAIT, 'the blackholed client to close');
    });
  });

  describe('refuse()', () => {
    it('resets new connections at once until reset()', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      proxy.refuse();
      const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
      sockets.push(socket);
      const client = watch(socket);
      await waitFor(() => client.closed, WAIT, 'the client to close');
      expect(size(client)).to.equal(0);
      expect(target.peers).to.have.length(0);
      expect(proxy.stats).to.include({ accepted: 1, refused: 1 });
      proxy.reset();
      await connectThrough(proxy, target);
    });
  });

  describe('reset()', () => {
    it('clears stall, delay, refuse and a pending cut', async () => {
      const target = await startEcho();
      const proxy = await startProxy(target);
      const [client] = await connectThrough(proxy, target);
      proxy.stall();
      proxy.delay(5000);
      client.socket.write('held');
      await delay(50);
      proxy.reset();
      await waitFor(() => size(client) === 4, WAIT, 'the held echo');
      proxy.refuse();
      proxy.cutAfter(1);
      proxy.reset();
      const [client2] = await connectThrough(proxy, target);
      client2.socket.write('fine');
      await waitFor(() => size(client2) === 4, WAIT, 'the echo');
      await delay(50);
      expect(client2.closed).to.be.false;
      expect(proxy.stats.cut).to.equal(0);
    });
  });

  describe('close()', () => {
    it('is idempotent, resets live pairs and stops listening', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const port = proxy.port;
      const [client, server] = await connectThrough(proxy, target);
      const closing = proxy.close();
      expect(proxy.close()).to.equal(closing);
      await closing;
      expect(proxy.connections, 'every socket closed once close() resolved').to.equal(0);
      await proxy.close();
      await waitFor(() => client.closed && server.closed, WAIT, 'both ends to close');
      const late = net.connect({ host: '127.0.0.1', port });
      sockets.push(late);
      const error = await new Promise<NodeJS.ErrnoException>((resolve) =>
        late.once('error', resolve),
      );
      expect(error.code).to.equal('ECONNREFUSED');
      expect(proxy.stats.cut, 'closing is not a fault').to.equal(0);
    });

    it('also ends half-open, stalled and blackholed connections', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      const [, halfOpenServer] = await connectThrough(proxy, target);
      proxy.cut({ side: 'client' });
      proxy.stall();
      const [stalled, stalledServer] = await connectThrough(proxy, target);
      stalled.socket.write('held');
      proxy.blackhole();
      const blackholed = await connect(proxy.port);
      await delay(50);
      expect(proxy.connections).to.equal(3);
      await proxy.close();
      expect(proxy.connections, 'every socket closed once close() resolved').to.equal(0);
      const ends = [halfOpenServer, stalled, stalledServer, blackholed];
      await waitFor(() => ends.every(gone), WAIT, 'every end to close');
      expect(size(stalledServer)).to.equal(0);
    });

    it('waits for the sockets of refused connections too', async () => {
      const target = await startTarget();
      const proxy = await startProxy(target);
      proxy.refuse();
      const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
      sockets.push(socket);
      const refused = watch(socket);
      await waitFor(() => proxy.stats.accepted === 1, WAIT, 'the connection to be accepted');
      await proxy.close();
      expect(proxy.connections).to.equal(0);
      await waitFor(() => refused.closed, WAIT, 'the refused client to close');
    });

    it('resolves before listen(), after which listen() rejects', async () => {
      const proxy = new FaultProxy({ target: { host: '127.0.0.1', port: 9 } });
      await proxy.close();
      let error: unknown;
      await proxy.listen().catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(Error);
    });
  });

  describe('chunkSize', () => {
    it('re-chunks into small writes both ways and keeps every byte', async () => {
      const target = await startEcho();
      const proxy = await startProxy(target, { chunkSize: 7 });
      const [client, server] = await connectThrough(proxy, target);
      const payload = randomBytes(2000);
      client.socket.write(payload);
      await waitFor(() => size(client) === payload.length, WAIT, 'the echo');
      expect(received(server).equals(payload)).to.be.true;
      expect(received(client).equals(payload)).to.be.true;
      // The proxy writes pieces of at most 7 bytes, one per event-loop turn, but the kernel may
      // coalesce pieces into one read under load, so read sizes get no upper bound: only many
      // reads (unchunked, 2000 bytes on loopback arrive in one or two) with a wide margin.
      for (const peer of [server, client])
        expect(peer.chunks.length, 'reads of the re-chunked data').to.be.at.least(
          payload.length / 7 / 10,
        );
    });

    it('keeps cutAfter exact', async () => {
      const target = await startTarget((peer) => peer.socket.write(randomBytes(1000)));
      const proxy = await startProxy(target, { chunkSize: 64 });
      proxy.cutAfter(333, { direction: 'down' });
      const client = await connect(proxy.port);
      await waitFor(() => client.closed, WAIT, 'the client to close');
      expect(size(client)).to.equal(333);
    });
  });

  describe('options', () => {
    it('refuses to listen anywhere but loopback, and checks numbers', () => {
      const target = { host: '127.0.0.1', port: 9 };
      expect(() => new FaultProxy({ target, host: '0.0.0.0' })).to.throw(TypeError);
      expect(() => new FaultProxy({ target, chunkSize: 0 })).to.throw(RangeError);
      expect(() => new FaultProxy({ target: { host: '127.0.0.1', port: 0 } })).to.throw(RangeError);
      const proxy = new FaultProxy({ target, host: '::1' });
      expect(proxy.host).to.equal('::1');
      expect(() => proxy.port).to.throw(/not listening/);
      expect(() => proxy.cutAfter(-1)).to.throw(RangeError);
      expect(() => proxy.delay(Number.NaN)).to.throw(RangeError);
      expect(() => proxy.cutAtRandom({ seed: 1, minBytes: 5, maxBytes: 4 })).to.throw(RangeError);
    });
  });
});
