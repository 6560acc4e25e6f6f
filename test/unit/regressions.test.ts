// Regression tests, each named after a defect found in review and fixed.
import { expect } from 'chai';
import { JsonCodec, type AuthorizationResult, type Codec } from 'plugsocket';
import { MemorySocket, MemorySocketServer } from 'plugsocket/memory';
import { WsSocketServer } from 'plugsocket/ws';
import {
  cleanUp,
  connectClient,
  deferred,
  expectCode,
  flush,
  newClient,
  RawClient,
  rejectionOf,
  startServer,
  uniqueName,
  useFakeClock,
} from './support.js';

describe('regressions', () => {
  afterEach(cleanUp);

  it('frames held during an async authorization are bounded in bytes, not only in count (closed 1008)', async () => {
    const { server, url } = await startServer({
      maxPayload: 1000,
      authorization: {
        applyAuthorization: (o) => o,
        authorize: () => new Promise(() => undefined),
      },
    });
    const raw = await new RawClient().open(url);
    for (let i = 0; i < 3; i++) raw.sendRaw('x'.repeat(600));
    await flush();
    await flush();
    expect(raw.closes.map((c) => c.code)).to.deep.equal([1008]);
    expect(server.clientCount).to.equal(0);
  });

  it('listen() rejects with INVALID_STATE, instead of hanging, when close() starts before it finished', async () => {
    const adapter = new WsSocketServer({ port: 0, host: '127.0.0.1' });
    const listening = adapter.listen();
    await adapter.close();
    expectCode(await rejectionOf(listening), 'INVALID_STATE');
  });

  it('SocketClient.disconnect() with an invalid code throws RangeError and leaves the client connected', async () => {
    const { url } = await startServer();
    const client = await connectClient(url);
    let thrown: unknown;
    await client.disconnect(1006).catch((error: unknown) => (thrown = error));
    expect(thrown).to.be.instanceOf(RangeError);
    expect(client.state).to.equal('open');
    expect(() => client.emit('still', 1)).to.not.throw();
  });

  it('a refusal whose reason is not a string closes with 4401 instead of leaving the connection half-admitted', async () => {
    const { server, url } = await startServer({
      authorization: {
        applyAuthorization: (o) => o,
        authorize: () => ({ ok: false, reason: 42 as unknown as string }),
      },
    });
    const error = await rejectionOf(newClient(url).connect());
    expectCode(error, 'AUTHENTICATION_FAILED');
    expect(server.adapter.connections.size).to.equal(0);
  });

  it('a codec that throws while admitting closes the connection with 1011 and reports SERVER_ERROR', async () => {
    const json = new JsonCodec();
    const codec: Codec = {
      name: 'fails-on-welcome',
      encode: (value) => {
        if ((value as { k?: string }).k === 'welcome') throw new Error('boom');
        return json.encode(value);
      },
      decode: (frame) => json.decode(frame),
    };
    const { server, url } = await startServer({ codec });
    const codes: string[] = [];
    server.onError((_id, e) => void codes.push(e.code));
    const raw = await new RawClient().open(url);
    await flush();
    await flush();
    expect(raw.closes.map((c) => c.code)).to.deep.equal([1011]);
    expect(codes).to.deep.equal(['SERVER_ERROR']);
    expect(server.clientCount).to.equal(0);
  });

  it('memory adapter: a connection dropped inside the connection handler opens then closes 1006, and the next connect is clean', async () => {
    const adapter = new MemorySocketServer({ name: uniqueName('drop') });
    let drop = true;
    adapter.on('connection', (connection) => {
      if (drop) adapter.terminateConnection(connection);
    });
    const { url } = await adapter.listen();
    const socket = new MemorySocket();
    const closes: number[] = [];
    socket.on('close', (info) => void closes.push(info.code));
    await socket.connect({ url: url! });
    await flush();
    expect(closes).to.deep.equal([1006]);
    drop = false;
    await socket.connect({ url: url! });
    await flush();
    expect(socket.isOpen).to.equal(true);
    expect(closes).to.deep.equal([1006]);
    await socket.disconnect();
    await adapter.close();
  });

  it('connect() fails at connectTimeout, not connectTimeout + closeTimeout, when the server never welcomes', async () => {
    const adapter = new MemorySocketServer({ name: uniqueName('mute') });
    const { url } = await adapter.listen();
    const clock = useFakeClock();
    try {
      const client = newClient(url!, { connectTimeout: 1000 });
      let settled = false;
      const outcome = client.connect().catch((error: unknown) => {
        settled = true;
        return error;
      });
      await clock.tickAsync(1001);
      expect(settled).to.equal(true);
      expectCode(await outcome, 'CONNECTION_FAILED');
    } finally {
      clock.restore();
      await adapter.close();
    }
  });

  it('a join answered in the same breath as a close leaves no topic on the closed client', async () => {
    const adapter = new MemorySocketServer({ name: uniqueName('ack-close') });
    adapter.on('connection', (connection) =>
      adapter.send(connection, JSON.stringify({ k: 'welcome', v: 1, id: 'c1' })),
    );
    adapter.on('message', (connection, frame) => {
      const request = JSON.parse(frame as string) as { k: string; id: number };
      if (request.k !== 'join') return;
      adapter.send(connection, JSON.stringify({ k: 'ack', id: request.id }));
      void adapter.closeConnection(connection, 4000, 'bye');
    });
    const { url } = await adapter.listen();
    const client = await connectClient(url!, { reconnect: false });
    await client.join('room').catch(() => undefined);
    await flush();
    expect(client.state).to.equal('closed');
    expect([...client.topics]).to.deep.equal([]);
    await adapter.close();
  });

  it('message headers that are not an object throw TypeError at the sender instead of an error at the receiver', async () => {
    const { server, url } = await startServer();
    const client = await connectClient(url);
    for (const headers of [null, [], 'h', 1]) {
      expect(() => client.send({ type: 't', payload: 1, headers: headers as never })).to.throw(
        TypeError,
        'headers',
      );
      expect(() => server.broadcast({ type: 't', payload: 1, headers: headers as never })).to.throw(
        TypeError,
        'headers',
      );
    }
    expect(() => client.send({ type: 't', payload: 1, headers: {} })).not.to.throw();
  });

  it('a 400 KB text message sent while authorizing is kept (held text counts its length, not three bytes per character)', async () => {
    const admit = deferred<AuthorizationResult>();
    const { server, url } = await startServer({
      authorization: { applyAuthorization: (o) => o, authorize: () => admit.promise },
    });
    const got: number[] = [];
    server.onMessage((_id, m) => void got.push((m.payload as string).length));
    const raw = await new RawClient().open(url);
    raw.sendRaw(JSON.stringify({ k: 'msg', type: 'big', payload: 'x'.repeat(400_000) }));
    await flush();
    admit.resolve({ ok: true, principal: 'p' });
    await flush();
    await flush();
    expect(raw.closes).to.deep.equal([]);
    expect(got).to.deep.equal([400_000]);
  });
});
