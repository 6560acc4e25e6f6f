// plugsocket/react: the findings of a hostile review, each as a spec that failed before its fix
// (topic races and ownership, useRequest's key and clean-up, shared providers, presence).
import { expect } from 'chai';
import { Activity, StrictMode, useEffect, type ReactNode } from 'react';
import { MemorySocket } from 'plugsocket/memory';
import {
  PlugSocketProvider,
  useConnectionState,
  usePresence,
  useRequest,
  type PresenceMessage,
} from 'plugsocket/react';
import { cleanUp, newClient, sleep, startServer } from './fixtures.js';
import { Room } from './room.js';
import { useDom } from './setup-dom.js';

// ------------------------------------------------------------------ fixtures

/** The memory transport with 5 ms of latency client → server, as any real network has. */
class SlowSocket extends MemorySocket {
  protected override doSend(frame: never): void {
    setTimeout(() => super.doSend(frame), 5);
  }
}

// ------------------------------------------------------------------ specs

describe('plugsocket/react review findings', () => {
  const dom = useDom();
  afterEach(cleanUp);

  async function until(check: () => boolean, what: string): Promise<void> {
    await dom.rtl.waitFor(
      () => {
        if (!check()) throw new Error(`waiting for ${what}`);
      },
      { timeout: 2000 },
    );
  }

  describe('useTopic', () => {
    it('joins again when a holder mounts while the last holder’s leave is in flight', async () => {
      const { server, url } = await startServer();
      const client = newClient(url, {}, new SlowSocket());
      const tree = (show: boolean): ReactNode => (
        <PlugSocketProvider client={client}>{show ? <Room topic="t" /> : null}</PlugSocketProvider>
      );
      const view = dom.rtl.render(tree(true));
      await until(() => view.queryByTestId('room-t')?.textContent === 'joined', 'the join');
      view.rerender(tree(false));
      await sleep(1); // the leave timer fired: the leave is on the wire, not yet answered
      expect(client.topics.has('t'), 'leave not answered yet').to.equal(true);
      view.rerender(tree(true));
      await until(() => server.getSubscribers('t').length === 1, 'the server to have it again');
      await until(() => view.getByTestId('room-t').textContent === 'joined', 'joined');
      await sleep(30);
      expect(view.getByTestId('room-t').textContent).to.equal('joined');
      expect(server.getSubscribers('t')).to.deep.equal([client.id]);
      expect([...client.topics]).to.deep.equal(['t']);
    });

    it('never leaves a topic the application joined itself', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      await client.connect();
      await client.join('mine');
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Room topic="mine" />
        </PlugSocketProvider>,
      );
      await until(() => view.getByTestId('room-mine').textContent === 'joined', 'joined');
      view.unmount();
      await sleep(50);
      expect(server.getSubscribers('mine')).to.deep.equal([client.id]);
      expect([...client.topics]).to.deep.equal(['mine']);
    });

    it('after a reconnect without resume, is joined only once the server has the topic again', async () => {
      let delay = 0;
      const { server, url } = await startServer({
        access: {
          join: async () => {
            await sleep(delay);
            return true;
          },
        },
      });
      const client = newClient(url, { resume: false });
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Room topic="h" />
        </PlugSocketProvider>,
      );
      await until(() => view.getByTestId('room-h').textContent === 'joined', 'joined');
      delay = 200;
      const id = client.id;
      await server.disconnect(id ?? '', 1012, 'restart');
      await until(() => client.state === 'open' && client.id !== id, 'the reconnect');
      await sleep(20);
      expect(server.getSubscribers('h'), 'the re-join is not answered yet').to.deep.equal([]);
      expect(view.getByTestId('room-h').textContent).to.equal('waiting');
      await until(() => view.getByTestId('room-h').textContent === 'joined', 'joined again');
      expect(server.getSubscribers('h')).to.deep.equal([client.id]);
    });

    it('after a resumed reconnect, is joined again at once (the session kept the topic)', async () => {
      const { server, url } = await startServer();
      const client = newClient(url, { resume: true });
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Room topic="r" />
        </PlugSocketProvider>,
      );
      await until(() => view.getByTestId('room-r').textContent === 'joined', 'joined');
      const id = client.id;
      await server.disconnect(id ?? '', 1012, 'restart');
      await until(() => client.state === 'open', 'the reconnect');
      expect(client.getConnectionInfo().session?.resumed).to.equal(true);
      await until(() => view.getByTestId('room-r').textContent === 'joined', 'joined again');
      expect(server.getSubscribers('r')).to.deep.equal([client.id]);
    });

    for (const resume of [false, true]) {
      it(`a topic released while reconnecting is not held on the server once back (resume: ${resume})`, async () => {
        const { server, url } = await startServer();
        const client = newClient(url, { resume, reconnect: { minDelay: 50, maxDelay: 60 } });
        const tree = (show: boolean): ReactNode => (
          <PlugSocketProvider client={client}>
            {show ? <Room topic="k" /> : null}
          </PlugSocketProvider>
        );
        const view = dom.rtl.render(tree(true));
        await until(() => server.getSubscribers('k').length === 1, 'the join');
        await server.disconnect(client.id ?? '', 1012, 'restart');
        await until(() => client.state === 'reconnecting', 'the drop');
        view.rerender(tree(false));
        await until(() => client.state === 'open', 'the reconnect');
        await sleep(50);
        // Without resume the client joins its topics again by itself: the registry's leave must
        // not be undone by that re-join (src/client joins again before onOpen handlers run).
        expect(server.getSubscribers('k')).to.deep.equal([]);
        expect([...client.topics]).to.deep.equal([]);
      });
    }
  });

  describe('useRequest', () => {
    it('shows nothing of the old handler once `name` changes, and ignores its late result', async () => {
      const { server, url } = await startServer();
      server.handle('a', async () => {
        await sleep(300);
        return 'from-a';
      });
      server.handle('b', () => 'from-b');
      const client = newClient(url);
      await client.connect();
      let call!: (payload: unknown) => Promise<unknown>;
      const aborted: unknown[] = [];
      function R({ name }: { name: string }): ReactNode {
        const r = useRequest(name);
        call = r.call;
        return <p data-testid="r">{`${name}:${String(r.data)}:${String(r.loading)}`}</p>;
      }
      const tree = (name: string): ReactNode => (
        <PlugSocketProvider client={client}>
          <R name={name} />
        </PlugSocketProvider>
      );
      const view = dom.rtl.render(tree('a'));
      await dom.rtl.act(async () => {
        void call({}).catch((error: { code?: string }) => aborted.push(error.code));
        await sleep(1);
      });
      expect(view.getByTestId('r').textContent).to.equal('a:undefined:true');
      view.rerender(tree('b'));
      expect(view.getByTestId('r').textContent).to.equal('b:undefined:false');
      await until(() => aborted.length === 1, 'the old call to end');
      expect(aborted).to.deep.equal(['ABORTED']);
      await sleep(350); // past when 'a' would have answered
      expect(view.getByTestId('r').textContent).to.equal('b:undefined:false');
      await dom.rtl.act(async () => {
        await call({});
      });
      expect(view.getByTestId('r').textContent).to.equal('b:from-b:false');
    });

    it('is not left loading when an <Activity> hides and shows it while a call runs', async () => {
      const { server, url } = await startServer();
      server.handle('slow', async () => {
        await sleep(300);
        return 7;
      });
      const client = newClient(url);
      await client.connect();
      let call!: (payload: unknown) => Promise<unknown>;
      const settled: string[] = [];
      function R(): ReactNode {
        const r = useRequest('slow');
        call = r.call;
        return <p data-testid="r">{`loading=${String(r.loading)} data=${String(r.data)}`}</p>;
      }
      const tree = (mode: 'visible' | 'hidden'): ReactNode => (
        <PlugSocketProvider client={client}>
          <Activity mode={mode}>
            <R />
          </Activity>
        </PlugSocketProvider>
      );
      const view = dom.rtl.render(tree('visible'));
      await dom.rtl.act(async () => {
        void call({}).then(
          () => settled.push('ok'),
          (error: { code?: string }) => settled.push(String(error.code)),
        );
        await sleep(5);
      });
      view.rerender(tree('hidden'));
      await sleep(20); // hidden past a macrotask: the calls are aborted
      view.rerender(tree('visible'));
      await until(() => settled.length === 1, 'the call to settle');
      await sleep(20);
      expect(settled).to.deep.equal(['ABORTED']);
      expect(view.container.querySelector('[data-testid=r]')?.textContent).to.equal(
        'loading=false data=undefined',
      );
    });

    it('aborts nothing on StrictMode’s simulated unmount: a call made in a mount effect runs', async () => {
      const events: string[] = [];
      const { server, url } = await startServer();
      server.handle('slow', async (_payload: unknown, context: { signal: AbortSignal }) => {
        events.push('start');
        context.signal.addEventListener('abort', () => events.push('aborted'));
        await sleep(30);
        return 42;
      });
      const client = newClient(url);
      await client.connect();
      function Loader(): ReactNode {
        const r = useRequest('slow');
        const { call } = r;
        useEffect(() => {
          void call({}).catch((error: { code?: string }) =>
            events.push(`rejected:${String(error.code)}`),
          );
        }, [call]);
        return <p data-testid="r">{r.loading ? 'loading' : String(r.data)}</p>;
      }
      const view = dom.rtl.render(
        <StrictMode>
          <PlugSocketProvider client={client}>
            <Loader />
          </PlugSocketProvider>
        </StrictMode>,
      );
      await until(() => view.getByTestId('r').textContent === '42', 'the result');
      await sleep(30);
      expect(events).to.deep.equal(['start', 'start']);
    });

    it('still aborts running calls when the component really unmounts', async () => {
      const events: string[] = [];
      const { server, url } = await startServer();
      server.handle('slow', async (_payload: unknown, context: { signal: AbortSignal }) => {
        context.signal.addEventListener('abort', () => events.push('server saw abort'));
        await sleep(50);
        return 1;
      });
      const client = newClient(url);
      await client.connect();
      let call!: (payload: unknown) => Promise<unknown>;
      function R(): ReactNode {
        call = useRequest('slow').call;
        return null;
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <R />
        </PlugSocketProvider>,
      );
      const result = call({}).catch((error: { code?: string }) => error.code);
      await sleep(5);
      view.unmount();
      expect(await result).to.equal('ABORTED');
      await until(() => events.length === 1, 'the server to be told');
    });
  });

  describe('PlugSocketProvider', () => {
    it('disconnectOnUnmount keeps a client another mounted provider still uses', async () => {
      const { url } = await startServer();
      const client = newClient(url);
      function S(): ReactNode {
        return <p data-testid="s">{useConnectionState().state}</p>;
      }
      const tree = (both: boolean): ReactNode => (
        <StrictMode>
          <PlugSocketProvider client={client}>
            <S />
          </PlugSocketProvider>
          {both ? (
            <PlugSocketProvider client={client} disconnectOnUnmount>
              <div />
            </PlugSocketProvider>
          ) : null}
        </StrictMode>
      );
      const view = dom.rtl.render(tree(true));
      await until(() => client.state === 'open', 'open');
      view.rerender(tree(false));
      await sleep(50);
      expect(client.state).to.equal('open');
      expect(view.getByTestId('s').textContent).to.equal('open');
    });

    it('disconnectOnUnmount still disconnects when its provider was the last', async () => {
      const { url } = await startServer();
      const client = newClient(url);
      const view = dom.rtl.render(
        <StrictMode>
          <PlugSocketProvider client={client} disconnectOnUnmount>
            <div />
          </PlugSocketProvider>
        </StrictMode>,
      );
      await until(() => client.state === 'open', 'open');
      view.unmount();
      await until(() => client.state === 'closed', 'closed');
    });
  });

  describe('usePresence', () => {
    it('starts empty after switching topics A → B → A (no stale list of A)', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      function Who({ topic }: { topic: string }): ReactNode {
        const members = usePresence(topic);
        return <p data-testid="who">{members.map((m) => m.id).join(',')}</p>;
      }
      const tree = (topic: string): ReactNode => (
        <PlugSocketProvider client={client}>
          <Who topic={topic} />
        </PlugSocketProvider>
      );
      const view = dom.rtl.render(tree('A'));
      await until(() => server.getSubscribers('A').length === 1, 'the join');
      await dom.rtl.act(async () => {
        server
          .to('A')
          .emit('presence', { topic: 'A', members: [{ id: 'x' }] } satisfies PresenceMessage);
        await sleep(10);
      });
      expect(view.getByTestId('who').textContent).to.equal('x');
      view.rerender(tree('B'));
      expect(view.getByTestId('who').textContent).to.equal('');
      await sleep(10);
      view.rerender(tree('A'));
      expect(view.getByTestId('who').textContent).to.equal('');
      await sleep(10);
      expect(view.getByTestId('who').textContent).to.equal('');
    });
  });
});
