// The client's offline queue: what is made while not open waits, in order, and goes first once
// open; bounded, with its overflow policy; requests time out from the call.
import { expect } from 'chai';
import type sinon from 'sinon';
import { PlugSocketError } from '../../src/index.js';
import {
  cleanUp,
  dropConnection,
  connectClient,
  expectCode,
  flush,
  newClient,
  rejectionOf,
  startServer,
  useFakeClock,
} from './support.js';

describe('client offline queue', () => {
  let clock: sinon.SinonFakeTimers | undefined;
  afterEach(async () => {
    clock?.restore();
    clock = undefined;
    await cleanUp();
  });

  it('sends what was made while reconnecting first, in order, before anything new', async () => {
    clock = useFakeClock();
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    const order: string[] = [];
    server.onMessage((_id, m) => void order.push(`m${String(m.payload)}`));
    server.handle('r', (p) => {
      order.push(`r${String(p)}`);
      return p;
    });
    const client = await connectClient(url);
    dropConnection(server, client.id ?? '');
    await flush();
    expect(client.state).to.equal('reconnecting');
    client.emit('x', 1);
    const answer = client.request('r', 2);
    client.emit('x', 3);
    client.onOpen(() => client.emit('x', 4));
    await clock.tickAsync(1000);
    await flush();
    expect(await answer).to.equal(2);
    expect(order).to.deep.equal(['m1', 'r2', 'm3', 'm4']);
  });

  it('counts a request’s timeout from the call: one that expires while queued rejects TIMEOUT and is never sent', async () => {
    clock = useFakeClock();
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    let ran = 0;
    server.handle('r', () => ++ran);
    const client = newClient(url, { requestTimeout: 500 });
    const early = client.request('r', null);
    await clock.tickAsync(501);
    expectCode(await rejectionOf(early), 'TIMEOUT');
    await client.connect();
    await flush();
    expect(ran).to.equal(0);
    const aborted = new AbortController();
    const client2 = newClient(url);
    const gone = client2.request('r', null, { signal: aborted.signal });
    aborted.abort();
    expectCode(await rejectionOf(gone), 'ABORTED');
    await client2.connect();
    await flush();
    expect(ran).to.equal(0);
  });

  it('is bounded: reject refuses one more with QUEUE_FULL', () => {
    const client = newClient('memory://nowhere', { messageQueueSize: 2 });
    client.emit('x', 1);
    client.emit('x', 2);
    expect(() => client.emit('x', 3))
      .to.throw(PlugSocketError)
      .with.property('code', 'QUEUE_FULL');
  });

  it('drop-oldest makes room by dropping the oldest, failing a dropped request with QUEUE_FULL', async () => {
    const { server, url } = await startServer({ heartbeatInterval: Infinity });
    const got: unknown[] = [];
    server.onMessage((_id, m) => void got.push(m.payload));
    server.handle('r', (p) => p);
    const client = newClient(url, { messageQueueSize: 2, queueOverflow: 'drop-oldest' });
    const first = client.request('r', 0);
    client.emit('x', 1);
    client.emit('x', 2);
    expectCode(await rejectionOf(first), 'QUEUE_FULL');
    await client.connect();
    await flush();
    expect(got).to.deep.equal([1, 2]);
  });

  it('fails what is queued with NOT_CONNECTED when the client closes for good', async () => {
    const client = newClient('memory://nowhere', { connectTimeout: 1000 });
    const queued = client.request('r', null);
    await client.connect().catch(() => undefined);
    expectCode(await rejectionOf(queued), 'NOT_CONNECTED');
    expect(client.state).to.equal('closed');
    const after = newClient('memory://nowhere');
    const waiting = after.request('r', null);
    await after.disconnect();
    expectCode(await rejectionOf(waiting), 'NOT_CONNECTED');
  });

  it('rejects invalid options', () => {
    expect(() => newClient('memory://x', { messageQueueSize: -1 })).to.throw(RangeError);
    expect(() => newClient('memory://x', { queueOverflow: 'drop-newest' as never })).to.throw(
      TypeError,
    );
  });
});
