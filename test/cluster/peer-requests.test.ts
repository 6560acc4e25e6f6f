// Client → client requests whose target is on another node: by id and by { user }, the server's
// canRequest seeing the remote target (its id and principal), errors crossing with their codes,
// an abort or timeout reaching the target, and TARGET_OFFLINE for a target that is not (or no
// longer) connected anywhere.
import { expect } from 'chai';
import {
  PlugSocketError,
  type ClientHandlerContext,
  type ConnectedClient,
} from '../../src/index.js';
import { expectCode, rejectionOf } from '../unit/support.js';
import {
  cleanUpNodes,
  connectTo,
  idOf,
  settle,
  sleep,
  startNodes,
  until,
  type Principal,
} from './support.js';

function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

describe('cluster: client → client requests across nodes', () => {
  afterEach(cleanUpNodes);

  it("reaches a target on another node by id, with ctx.from the asker's id and the headers", async () => {
    const { a, b } = await startNodes();
    const ann = await connectTo(a, { user: 'ann' });
    const bob = await connectTo(b, { user: 'bob' });
    const seen: [unknown, ClientHandlerContext][] = [];
    bob.handle('greet', (payload, ctx) => {
      seen.push([payload, ctx]);
      return `hi ${(payload as { name: string }).name}`;
    });
    const answer = await ann.requestClient(
      idOf(bob),
      'greet',
      { name: 'ann' },
      {
        headers: { trace: 't-9' },
      },
    );
    expect(answer).to.equal('hi ann');
    expect(seen).to.have.length(1);
    expect(seen[0][0]).to.deep.equal({ name: 'ann' });
    expect(seen[0][1].from).to.equal(idOf(ann));
    expect(seen[0][1].name).to.equal('greet');
    expect(seen[0][1].headers).to.deep.equal({ trace: 't-9' });
  });

  it("rejects with the target's error code and message, and HANDLER_NOT_FOUND", async () => {
    const { b, c } = await startNodes();
    const asker = await connectTo(c);
    const target = await connectTo(b);
    target.handle('risky', () => {
      throw new PlugSocketError('LIMIT_EXCEEDED', 'no more');
    });
    const error = await rejectionOf(asker.requestClient(idOf(target), 'risky', 1));
    expectCode(error, 'LIMIT_EXCEEDED');
    expect(error.message).to.equal('no more');
    expectCode(
      await rejectionOf(asker.requestClient(idOf(target), 'missing', 1)),
      'HANDLER_NOT_FOUND',
    );
  });

  it('reaches a user on another node by { user }', async () => {
    const { a, b, c } = await startNodes();
    const ann = await connectTo(a, { user: 'ann' });
    const bob = await connectTo(b, { user: 'bob' });
    const cat = await connectTo(c, { user: 'cat' });
    bob.handle('who', (_p, ctx) => ({ me: 'bob', from: ctx.from }));
    cat.handle('who', () => ({ me: 'cat' }));
    expect(await ann.requestClient({ user: 'bob' }, 'who', null)).to.deep.equal({
      me: 'bob',
      from: idOf(ann),
    });
    expect(await ann.requestClient({ user: 'cat' }, 'who', null)).to.deep.equal({ me: 'cat' });
    expect(await bob.requestClient({ user: 'cat' }, 'who', null)).to.deep.equal({ me: 'cat' });
  });

  it("by { user }: the user's most recently admitted client anywhere, then the previous one once it left, then TARGET_OFFLINE", async () => {
    const { a, b, c } = await startNodes();
    const ann = await connectTo(a, { user: 'ann' });
    const phone = await connectTo(b, { user: 'bob' });
    await sleep(3);
    const laptop = await connectTo(c, { user: 'bob' });
    phone.handle('who', () => 'phone');
    laptop.handle('who', () => 'laptop');
    expect(await ann.requestClient({ user: 'bob' }, 'who', null)).to.equal('laptop');
    await laptop.disconnect();
    await until(
      async () => (await a.server.cluster.getUserClients('bob')).length === 1,
      'c drops bob',
    );
    expect(await ann.requestClient({ user: 'bob' }, 'who', null)).to.equal('phone');
    await phone.disconnect();
    await until(async () => !(await a.server.cluster.isOnline('bob')), 'bob offline');
    expectCode(
      await rejectionOf(ann.requestClient({ user: 'bob' }, 'who', null)),
      'TARGET_OFFLINE',
    );
  });

  it("by { user }: a newer client of the user on another node wins over an older one on the asker's node", async () => {
    const { a, c } = await startNodes();
    const ann = await connectTo(a, { user: 'ann' });
    const older = await connectTo(a, { user: 'bob' });
    await sleep(3);
    const newer = await connectTo(c, { user: 'bob' });
    older.handle('who', () => 'older, on a');
    newer.handle('who', () => 'newer, on c');
    // docs/hub.md: "When a user has several connections, the request goes to the most recently
    // admitted one."
    expect(await ann.requestClient({ user: 'bob' }, 'who', null)).to.equal('newer, on c');
  });

  it("canRequest on the asker's node sees the remote target's id and principal; a refusal is UNAUTHORIZED and never reaches it", async () => {
    const calls: {
      from: string;
      fromUser: unknown;
      to: string;
      toPrincipal: unknown;
      name: string;
    }[] = [];
    const { a, b } = await startNodes({
      canRequest: async (
        from: ConnectedClient<Principal>,
        to: ConnectedClient<Principal>,
        name,
      ) => {
        calls.push({
          from: from.id,
          fromUser: from.principal,
          to: to.id,
          toPrincipal: to.principal,
          name,
        });
        await sleep(1);
        return to.principal?.role !== 'admin' || from.principal?.role === 'admin';
      },
    });
    const ann = await connectTo(a, { user: 'ann' });
    const boss = await connectTo(b, { user: 'boss', auth: { user: 'boss', role: 'admin' } });
    const bob = await connectTo(b, { user: 'bob' });
    let bossAsked = 0;
    boss.handle('approve', () => ++bossAsked);
    bob.handle('approve', () => 'ok');
    expectCode(await rejectionOf(ann.requestClient(idOf(boss), 'approve', 1)), 'UNAUTHORIZED');
    expectCode(
      await rejectionOf(ann.requestClient({ user: 'boss' }, 'approve', 1)),
      'UNAUTHORIZED',
    );
    expect(await ann.requestClient(idOf(bob), 'approve', 1)).to.equal('ok');
    await settle();
    expect(bossAsked, 'the refused target never saw the request').to.equal(0);
    expect(calls).to.deep.equal([
      {
        from: idOf(ann),
        fromUser: { id: 'ann', role: 'member' },
        to: idOf(boss),
        toPrincipal: { id: 'boss', role: 'admin' },
        name: 'approve',
      },
      {
        from: idOf(ann),
        fromUser: { id: 'ann', role: 'member' },
        to: idOf(boss),
        toPrincipal: { id: 'boss', role: 'admin' },
        name: 'approve',
      },
      {
        from: idOf(ann),
        fromUser: { id: 'ann', role: 'member' },
        to: idOf(bob),
        toPrincipal: { id: 'bob', role: 'member' },
        name: 'approve',
      },
    ]);
  });

  it('rejects TARGET_OFFLINE for an id no node holds, and for a target that left', async () => {
    const { a, b } = await startNodes();
    const ann = await connectTo(a);
    const bob = await connectTo(b);
    bob.handle('x', () => 1);
    expectCode(await rejectionOf(ann.requestClient('nobody-here', 'x', 1)), 'TARGET_OFFLINE');
    expectCode(await rejectionOf(ann.requestClient({ user: 'nobody' }, 'x', 1)), 'TARGET_OFFLINE');
    const id = idOf(bob);
    expect(await ann.requestClient(id, 'x', 1)).to.equal(1);
    await bob.disconnect();
    await until(async () => (await a.server.cluster.getClient(id)) === undefined, 'bob gone');
    expectCode(await rejectionOf(ann.requestClient(id, 'x', 1)), 'TARGET_OFFLINE');
    expect(ann.isConnected).to.equal(true);
  });

  it('rejects TARGET_OFFLINE (not NOT_CONNECTED) when the target leaves mid-request', async () => {
    const { a, b } = await startNodes();
    const ann = await connectTo(a);
    const bob = await connectTo(b);
    let running = false;
    bob.handle('slow', () => {
      running = true;
      return never();
    });
    const call = handled(ann.requestClient(idOf(bob), 'slow', null));
    await until(() => running, 'the handler runs on b');
    await bob.disconnect();
    expectCode(await rejectionOf(call), 'TARGET_OFFLINE');
    expect(ann.state).to.equal('open');
  });

  it("the asker's abort reaches the target's handler on the other node", async () => {
    const { a, b } = await startNodes();
    const ann = await connectTo(a);
    const bob = await connectTo(b);
    let signal: AbortSignal | undefined;
    bob.handle('slow', (_p, ctx) => {
      signal = ctx.signal;
      return never();
    });
    const controller = new AbortController();
    const call = handled(ann.requestClient(idOf(bob), 'slow', null, { signal: controller.signal }));
    await until(() => signal !== undefined, 'the handler runs on b');
    controller.abort();
    expectCode(await rejectionOf(call), 'ABORTED');
    await until(() => signal!.aborted, "the target's signal aborts");
  });

  it("the asker's timeout rejects TIMEOUT and reaches the target's handler on the other node", async () => {
    const { a, b } = await startNodes();
    const ann = await connectTo(a);
    const bob = await connectTo(b);
    let signal: AbortSignal | undefined;
    bob.handle('slow', (_p, ctx) => {
      signal = ctx.signal;
      return never();
    });
    expectCode(
      await rejectionOf(ann.requestClient(idOf(bob), 'slow', null, { timeout: 50 })),
      'TIMEOUT',
    );
    await until(() => signal?.aborted === true, "the target's signal aborts");
  });

  it("the asker's server waits at most its requestTimeout for a target on another node: TIMEOUT", async () => {
    const { a, b } = await startNodes({ requestTimeout: 60 });
    const ann = await connectTo(a, { requestTimeout: 5000 });
    const bob = await connectTo(b);
    bob.handle('slow', () => never());
    const started = Date.now();
    expectCode(await rejectionOf(ann.requestClient(idOf(bob), 'slow', null)), 'TIMEOUT');
    expect(Date.now() - started).to.be.within(50, 1000);
  });
});
