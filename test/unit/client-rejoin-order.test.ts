// What a client sends first on a new session after a reconnect: its topics are joined again
// before the messages it queued offline go out and before onOpen handlers run, so a queued
// message reaches a session that is back in its topics, and a leave() sent from onOpen undoes
// the join rather than being undone by it.
import { expect } from 'chai';
import type { SocketClient } from 'plugsocket';
import { cleanUp, connectClient, dropConnection, startServer } from './support.js';

/** Resolves once `client` is open again after a drop. */
function reopened(client: SocketClient): Promise<void> {
  return new Promise((resolve) => {
    const off = client.onOpen(() => {
      off();
      resolve();
    });
  });
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check(), 'condition reached').to.equal(true);
}

describe('SocketClient: topics on a new session after a reconnect', () => {
  afterEach(cleanUp);

  const QUICK = { reconnect: { minDelay: 1, maxDelay: 2 }, resume: false } as const;

  it('joins its topics again before the messages it queued while offline', async () => {
    const { server, url } = await startServer();
    const order: string[] = [];
    server.onMessage((clientId, message) => {
      order.push(`${message.type}:${server.getSubscribers('room').includes(clientId)}`);
    });
    const client = await connectClient(url, QUICK);
    await client.join('room');
    const back = reopened(client);
    // Sent the moment the connection is lost, so it waits in the offline queue.
    const off = client.onClose(() => {
      off();
      client.emit('say', 'queued while offline');
    });
    dropConnection(server, client.id!);
    await back;
    await until(() => order.length === 1);
    expect(order).to.deep.equal(['say:true']);
  });

  it('a leave() from an onOpen handler leaves the topic on the server', async () => {
    const { server, url } = await startServer();
    const client = await connectClient(url, QUICK);
    await client.join('room');
    let left: Promise<void> | undefined;
    const off = client.onOpen(() => {
      off();
      left = client.leave('room');
    });
    const back = reopened(client);
    dropConnection(server, client.id!);
    await back;
    await until(() => left !== undefined);
    await left;
    expect([...client.topics]).to.deep.equal([]);
    expect(server.getSubscribers('room')).to.deep.equal([]);
  });
});
