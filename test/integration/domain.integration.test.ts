// The domain end to end, with failures, as one suite run over every shipped transport. A
// difference between transports shows up here as a failure on one of them, never as a branch.
import { expect } from 'chai';
import {
  PlugSocketError,
  SocketClient,
  SocketServer,
  type CloseInfo,
  type ConnectedClient,
} from 'plugsocket';
import { TRANSPORTS, waitFor } from './transports.js';

for (const transport of TRANSPORTS) {
  describe(`domain integration over ${transport.name}`, function () {
    this.timeout(30_000);
    let server: SocketServer;
    let url: string;
    const clients: SocketClient[] = [];

    // Not reconnecting: these check what a lost connection leaves; reconnection has its own tests.
    const client = (): SocketClient => {
      const c = new SocketClient(transport.createClient(), {
        url,
        connectTimeout: 10_000,
        requestTimeout: 5_000,
        reconnect: false,
      });
      clients.push(c);
      return c;
    };
    const connected = async (): Promise<SocketClient> => {
      const c = client();
      await c.connect();
      return c;
    };

    beforeEach(async () => {
      server = new SocketServer(transport.createServer(), { maxPayload: 4 * 1024 * 1024 });
      url = (await server.listen()).url!;
    });

    afterEach(async () => {
      await Promise.allSettled(clients.splice(0).map((c) => c.disconnect()));
      await server.shutdown();
    });

    it('server gone mid-stream: clients see 1006, sends fail with NOT_CONNECTED, pending joins reject', async () => {
      const streamer = await connected();
      const bystander = await connected();
      let received = 0;
      server.onMessage(() => void received++);
      const closes: CloseInfo[] = [];
      streamer.onClose((info) => void closes.push(info));
      bystander.onClose((info) => void closes.push(info));
      for (let i = 0; i < 200; i++) streamer.emit('tick', i);
      await waitFor(() => received >= 50, 5000, 'first messages');
      // The server vanishes: every connection dropped without a close handshake.
      for (const connection of [...server.adapter.connections])
        server.adapter.terminateConnection(connection);
      await waitFor(() => closes.length === 2, 5000, 'both clients closed');
      expect(closes.map((c) => c.code)).to.deep.equal([1006, 1006]);
      expect(streamer.isConnected).to.equal(false);
      expect(() => streamer.emit('tick', -1))
        .to.throw(PlugSocketError)
        .with.property('code', 'NOT_CONNECTED');
      const error = await bystander.join('late').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(PlugSocketError.is(error, 'NOT_CONNECTED')).to.equal(true);
      expect(server.clientCount).to.equal(0);
    });

    it('client killed without a close frame: the server frees it with 1006 and keeps serving others', async () => {
      const victim = await connected();
      const other = await connected();
      await Promise.all([victim.join('room'), other.join('room')]);
      const gone: [string, CloseInfo][] = [];
      server.onDisconnection((id, info) => void gone.push([id, info]));
      const victimId = victim.id!;
      victim.adapter.terminate();
      await waitFor(() => gone.length === 1, 10_000, 'server noticed the vanished client');
      expect(gone[0][0]).to.equal(victimId);
      expect(gone[0][1].code).to.equal(1006);
      expect(server.getSubscribers('room')).to.deep.equal([other.id]);
      const got: unknown[] = [];
      other.subscribe('after', (p) => void got.push(p));
      expect(server.to('room').emit('after', 'still here')).to.equal(1);
      await waitFor(() => got.length === 1, 5000, 'message to the survivor');
    });

    it('200 clients connecting at once are all admitted, reached by one broadcast, and freed', async () => {
      const admitted: ConnectedClient[] = [];
      server.onConnection((c) => void admitted.push(c));
      const many = await Promise.all(Array.from({ length: 200 }, () => connected()));
      expect(new Set(many.map((c) => c.id)).size).to.equal(200);
      await Promise.all(many.map((c, i) => c.join(i % 2 === 0 ? 'even' : 'odd')));
      let count = 0;
      for (const c of many) c.subscribe('all', () => void count++);
      expect(server.broadcast({ type: 'all', payload: null })).to.equal(200);
      expect(server.to('even').emit('all', null)).to.equal(100);
      await waitFor(() => count === 300, 10_000, '300 deliveries');
      expect(admitted).to.have.length(200);
      await Promise.all(many.map((c) => c.disconnect()));
      await waitFor(() => server.clientCount === 0, 10_000, 'registry empty');
      expect(server.getTopics()).to.deep.equal([]);
    });

    it('a 1 MiB payload and non-ASCII text travel intact both ways', async () => {
      const c = await connected();
      const big = 'ü漢👋'.repeat(100_000);
      const echoed: unknown[] = [];
      server.onMessage(
        (id, m) => void server.sendToClient(id, { type: 'echo', payload: m.payload }),
      );
      c.subscribe('echo', (p) => void echoed.push(p));
      c.emit('big', { big });
      await waitFor(() => echoed.length === 1, 10_000, 'echo of 1 MiB');
      expect(echoed[0]).to.deep.equal({ big });
    });

    it('a bad frame from one client is answered with an error while others are served', async () => {
      const bad = await connected();
      const good = await connected();
      const errors: string[] = [];
      bad.onError((e) => void errors.push(e.code));
      const got: unknown[] = [];
      good.subscribe('ok', (p) => void got.push(p));
      bad.adapter.send('{"k":"msg","payload":1}');
      bad.adapter.send(new Uint8Array([0xff, 0xfe]));
      server.broadcast({ type: 'ok', payload: 1 });
      await waitFor(() => errors.length === 2 && got.length === 1, 5000, 'errors and broadcast');
      expect(errors).to.deep.equal(['INVALID_MESSAGE', 'INVALID_MESSAGE']);
      expect(bad.isConnected).to.equal(true);
    });

    it('a message over maxPayload is refused with PAYLOAD_TOO_LARGE and the sender keeps being served', async () => {
      const small = new SocketServer(transport.createServer(), { maxPayload: 2_000 });
      try {
        const smallUrl = (await small.listen()).url!;
        const c = new SocketClient(transport.createClient(), { url: smallUrl });
        clients.push(c);
        await c.connect();
        const errors: string[] = [];
        c.onError((e) => void errors.push(e.code));
        const got: unknown[] = [];
        small.onMessage((_id, m) => void got.push(m.payload));
        c.emit('big', 'x'.repeat(2_100));
        c.emit('small', 'y');
        await waitFor(() => errors.length === 1 && got.length === 1, 5000, 'refusal and delivery');
        expect(errors).to.deep.equal(['PAYLOAD_TOO_LARGE']);
        expect(got).to.deep.equal(['y']);
        expect(c.isConnected).to.equal(true);
      } finally {
        await small.shutdown();
      }
    });

    it('payloads arrive as their JSON text would carry them, both ways', async () => {
      const c = await connected();
      // What JSON makes of it: binary as its toJSON form, dates as ISO strings, toJSON results,
      // undefined members left out and undefined array items as null.
      const payload = {
        when: new Date(0),
        buffer: Buffer.from([1, 2]),
        bytes: new Uint8Array([3]),
        custom: { toJSON: () => 'custom' },
        gone: undefined,
        list: [undefined, 1, new Date(1)],
        deep: { a: { b: { c: [Buffer.from([4])] } } },
      };
      const expected: unknown = JSON.parse(JSON.stringify(payload));
      const atServer: unknown[] = [];
      const atClient: unknown[] = [];
      server.onMessage((id, m) => {
        atServer.push(m.payload);
        server.sendToClient(id, { type: 'back', payload });
      });
      c.subscribe('back', (p) => void atClient.push(p));
      c.emit('there', payload);
      c.emit('nothing', undefined);
      await waitFor(() => atServer.length === 2 && atClient.length === 2, 5000, 'both ways');
      expect(atServer[0]).to.deep.equal(expected);
      expect(atServer[1]).to.equal(undefined);
      expect(atClient[0]).to.deep.equal(expected);
    });

    it('a payload JSON cannot write throws TypeError at the sender and sends nothing', async () => {
      const c = await connected();
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(() => c.emit('x', cyclic)).to.throw(TypeError);
      expect(() => c.emit('x', { n: 1n })).to.throw(TypeError);
      const id = c.id!;
      expect(() => server.sendToClient(id, { type: 'x', payload: cyclic })).to.throw(TypeError);
      expect(() => server.broadcast({ type: 'x', payload: [2n] })).to.throw(TypeError);
      const got: string[] = [];
      server.onMessage((_id, m) => void got.push(m.type));
      c.emit('after', 1);
      await waitFor(() => got.length === 1, 5000, 'the next message');
      expect(got).to.deep.equal(['after']);
    });

    it('shutdown mid-stream closes everyone with 1001 and resolves', async () => {
      const a = await connected();
      const b = await connected();
      const codes: number[] = [];
      a.onClose(({ code }) => void codes.push(code));
      b.onClose(({ code }) => void codes.push(code));
      for (let i = 0; i < 100; i++) a.emit('tick', i);
      await server.shutdown();
      await waitFor(() => codes.length === 2, 5000, 'closes');
      expect(codes).to.deep.equal([1001, 1001]);
      expect(server.clientCount).to.equal(0);
    });
  });
}
