import { expect } from 'chai';
import { once } from 'node:events';
import type { CloseInfo, PlugSocketError, ServerConnection } from 'plugsocket';
import { MemorySocket, MemorySocketServer } from 'plugsocket/memory';
import { WsSocketServer } from 'plugsocket/ws';
import WebSocket from 'ws';
import { flush, uniqueName } from './support.js';

/** A memory server whose per-connection backlog a test sets by hand. */
class BackloggedServer extends MemorySocketServer {
  readonly backlog = new Map<MemorySocket, number>();
  protected override doBufferedAmount(peer: MemorySocket): number {
    return this.backlog.get(peer) ?? 0;
  }
}

describe('AbstractSocketServer › maxBufferedAmount (slow consumers)', () => {
  let server: BackloggedServer;
  let sockets: MemorySocket[];
  let connections: ServerConnection<MemorySocket>[];
  let errors: [ServerConnection | undefined, PlugSocketError][];
  let gone: CloseInfo[];

  beforeEach(async () => {
    server = new BackloggedServer({ name: uniqueName('slow'), maxBufferedAmount: 1000 });
    connections = [];
    errors = [];
    gone = [];
    server.on('connection', (c) => void connections.push(c));
    server.on('error', (c, e) => void errors.push([c, e]));
    server.on('disconnect', (_c, info) => void gone.push(info));
    const { url } = await server.listen();
    sockets = [new MemorySocket(), new MemorySocket()];
    for (const s of sockets) await s.connect({ url: url! });
  });

  afterEach(async () => {
    await Promise.all(sockets.map((s) => s.disconnect()));
    await server.close();
  });

  it('sends normally while the backlog is within the limit', () => {
    server.backlog.set(sockets[0], 1000);
    expect(server.send(connections[0], 'x')).to.equal(true);
    expect(errors).to.deep.equal([]);
  });

  it('send() to a connection over the limit returns false, reports SLOW_CONSUMER and drops it with 1006', async () => {
    server.backlog.set(sockets[0], 1001);
    expect(server.send(connections[0], 'x')).to.equal(false);
    expect(errors.map(([c, e]) => [c, e.code])).to.deep.equal([[connections[0], 'SLOW_CONSUMER']]);
    expect(gone.map((g) => g.code)).to.deep.equal([1006]);
    expect(server.isClientConnected(connections[0])).to.equal(false);
    const clientCloses: number[] = [];
    sockets[0].on('close', (info) => void clientCloses.push(info.code));
    await flush();
    expect(clientCloses).to.deep.equal([1006]);
  });

  it('sendMany() skips and drops only the slow connection; the others get the frame', async () => {
    server.backlog.set(sockets[0], 5000);
    const got: string[] = [];
    sockets[1].on('message', (f) => void got.push(f as string));
    expect(server.sendMany(connections, 'news')).to.equal(1);
    await flush();
    expect(got).to.deep.equal(['news']);
    expect(errors.map(([, e]) => e.code)).to.deep.equal(['SLOW_CONSUMER']);
    expect(server.connections.size).to.equal(1);
  });

  it('is off with maxBufferedAmount: Infinity', async () => {
    const lenient = new BackloggedServer({
      name: uniqueName('lenient'),
      maxBufferedAmount: Infinity,
    });
    const seen: ServerConnection<MemorySocket>[] = [];
    lenient.on('connection', (c) => void seen.push(c));
    const { url } = await lenient.listen();
    const socket = new MemorySocket();
    await socket.connect({ url: url! });
    lenient.backlog.set(socket, Number.MAX_SAFE_INTEGER);
    expect(lenient.send(seen[0], 'x')).to.equal(true);
    await socket.disconnect();
    await lenient.close();
  });
});

describe('WsSocketServer › a client that stops reading', () => {
  it('is dropped with SLOW_CONSUMER once its backlog passes maxBufferedAmount, while another client is served', async function () {
    this.timeout(20_000);
    const server = new WsSocketServer({
      port: 0,
      host: '127.0.0.1',
      maxBufferedAmount: 1024 * 1024,
    });
    const codes: string[] = [];
    server.on('error', (_c, e) => void codes.push(e.code));
    const connections: ServerConnection<WebSocket>[] = [];
    server.on('connection', (c) => void connections.push(c));
    const { url } = await server.listen();
    const stalled = new WebSocket(url!);
    await once(stalled, 'open');
    const healthy = new WebSocket(url!);
    await once(healthy, 'open');
    // The stalled client stops reading: its kernel buffers fill, then ws queues in user space.
    (stalled as unknown as { _socket: { pause(): void } })._socket.pause();
    const chunk = 'x'.repeat(64 * 1024);
    let refusedAt = -1;
    for (let i = 0; i < 2000 && refusedAt === -1; i++) {
      if (!server.send(connections[0], chunk)) refusedAt = i;
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    expect(refusedAt, 'a send was refused within 2,000 frames (128 MiB)').to.be.greaterThan(0);
    expect(codes).to.include('SLOW_CONSUMER');
    expect(server.isClientConnected(connections[0])).to.equal(false);
    const echoed = once(healthy, 'message');
    expect(server.send(connections[1], 'still here')).to.equal(true);
    expect(String((await echoed)[0])).to.equal('still here');
    stalled.terminate();
    healthy.close();
    await server.close();
  });
});
