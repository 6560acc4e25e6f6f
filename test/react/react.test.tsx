// plugsocket/react against a real SocketServer and SocketClient over the memory transport,
// rendered with React DOM in jsdom (installed around this file's suites only: setup-dom.ts).
import { expect } from 'chai';
import { Component, StrictMode, useRef, type ReactNode } from 'react';
import sinon from 'sinon';
import { PlugSocketError, type SocketServer } from 'plugsocket';
import {
  createPlugSocketHooks,
  PlugSocketProvider,
  useConnectionState,
  useLatestMessage,
  useMessageListener,
  useMessages,
  usePlugSocket,
  usePresence,
  useRequest,
  useTopic,
  type PresenceMessage,
} from 'plugsocket/react';
import { cleanUp, deferred, newClient, sleep, startServer } from './fixtures.js';
import { Room } from './room.js';
import { useDom } from './setup-dom.js';

// ------------------------------------------------------------------ fixtures

/**
 * The presence convention of docs/react.md, server side: after each join, and after each
 * disconnection, the topic's subscribers get `{ topic, members }` as a `presence` message.
 */
function presenceServer(): Promise<{ server: SocketServer; url: string }> {
  let server!: SocketServer;
  const publish = (topic: string): void => {
    const members = server.getSubscribers(topic).map((id) => ({ id, user: `user-${id}` }));
    server.to(topic).emit('presence', { topic, members } satisfies PresenceMessage);
  };
  return startServer({
    access: {
      join: (_client, topic) => {
        // The hook runs before the join is applied: publish once it has been.
        setTimeout(() => publish(topic), 0);
        return true;
      },
    },
  }).then((fixture) => {
    server = fixture.server;
    server.onDisconnection(() => {
      for (const topic of server.getTopics()) publish(topic);
    });
    return fixture;
  });
}

class Boundary extends Component<{ children: ReactNode }, { error: Error | undefined }> {
  override state = { error: undefined as Error | undefined };
  static getDerivedStateFromError(error: Error): { error: Error } {
    return { error };
  }
  override render(): ReactNode {
    return this.state.error === undefined ? (
      this.props.children
    ) : (
      <p data-testid="error">{this.state.error.message}</p>
    );
  }
}

// ------------------------------------------------------------------ specs

describe('plugsocket/react', () => {
  const dom = useDom();
  afterEach(async () => {
    sinon.restore();
    await cleanUp();
  });

  describe('PlugSocketProvider and usePlugSocket', () => {
    it('gives the hooks its client, and connects it on mount', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      let seen: unknown;
      function Probe(): ReactNode {
        seen = usePlugSocket();
        return <p data-testid="state">{useConnectionState().state}</p>;
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Probe />
        </PlugSocketProvider>,
      );
      expect(seen).to.equal(client);
      await dom.rtl.waitFor(() => expect(view.getByTestId('state').textContent).to.equal('open'));
      expect(server.getClients().map((c) => c.id)).to.deep.equal([client.id]);
    });

    it('leaves connecting to the application with connect={false}', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      const view = dom.rtl.render(
        <PlugSocketProvider client={client} connect={false}>
          <p>child</p>
        </PlugSocketProvider>,
      );
      await sleep(30);
      expect(view.getByText('child')).to.not.equal(null);
      expect(client.state).to.equal('idle');
      expect(server.clientCount).to.equal(0);
    });

    it('keeps the connection when it unmounts, unless disconnectOnUnmount', async () => {
      const { url } = await startServer();
      const kept = newClient(url);
      const dropped = newClient(url);
      const a = dom.rtl.render(<PlugSocketProvider client={kept}>a</PlugSocketProvider>);
      const b = dom.rtl.render(
        <StrictMode>
          <PlugSocketProvider client={dropped} disconnectOnUnmount>
            b
          </PlugSocketProvider>
        </StrictMode>,
      );
      await dom.rtl.waitFor(() => {
        expect(kept.state).to.equal('open');
        expect(dropped.state).to.equal('open');
      });
      // StrictMode's simulated unmount did not close it; a real unmount does.
      await sleep(20);
      expect(dropped.state).to.equal('open');
      a.unmount();
      b.unmount();
      await dom.rtl.waitFor(() => expect(dropped.state).to.equal('closed'));
      expect(kept.state).to.equal('open');
    });

    it('reports a failed connect to onConnectError', async () => {
      const client = newClient('memory://nobody-listens-here', { reconnect: false });
      const errors: unknown[] = [];
      dom.rtl.render(
        <PlugSocketProvider client={client} onConnectError={(e) => errors.push(e)}>
          x
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() => expect(errors).to.have.length(1));
      expect(PlugSocketError.is(errors[0], 'CONNECTION_FAILED')).to.equal(true);
    });

    it('throws a clear error when a hook is used outside a provider', () => {
      sinon.stub(console, 'error'); // React logs the error the boundary caught
      function Orphan(): ReactNode {
        useConnectionState();
        return null;
      }
      const view = dom.rtl.render(
        <Boundary>
          <Orphan />
        </Boundary>,
      );
      expect(view.getByTestId('error').textContent).to.match(
        /must be called inside a <PlugSocketProvider/,
      );
    });
  });

  describe('useConnectionState', () => {
    it('renders connecting → open → reconnecting after a server-side close → open again', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      const rendered: string[] = [];
      function Status(): ReactNode {
        const connection = useConnectionState();
        const label =
          connection.state === 'open'
            ? `open:${connection.resumed ? 'resumed' : connection.reason}`
            : connection.state;
        if (rendered.at(-1) !== label) rendered.push(label);
        return <p data-testid="state">{label}</p>;
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Status />
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() =>
        expect(view.getByTestId('state').textContent).to.equal('open:initial'),
      );
      expect(rendered).to.deep.equal(['idle', 'connecting', 'open:initial']);

      const firstId = client.id!;
      await server.disconnect(firstId, 1012, 'restarting');
      await dom.rtl.waitFor(() => expect(rendered.slice(3)).to.include('reconnecting'));
      await dom.rtl.waitFor(() => expect(view.getByTestId('state').textContent).to.match(/^open:/));
      // The domain says whether the session was resumed; either way the view shows it once open.
      expect(rendered[3]).to.equal('reconnecting');
      expect(rendered.at(-1)).to.match(/^open:(resumed|expired|denied|disabled|overflow)$/);
      expect(server.clientCount).to.equal(1);
    });

    it('returns the same object until the state changes, and never loops', async () => {
      const { url } = await startServer();
      const client = newClient(url);
      const snapshots: unknown[] = [];
      function Status(): ReactNode {
        const renders = useRef(0);
        renders.current++;
        const connection = useConnectionState();
        snapshots.push(connection);
        return (
          <p data-testid="state">
            {connection.state}/{renders.current}
          </p>
        );
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Status />
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() =>
        expect(view.getByTestId('state').textContent).to.match(/^open\//),
      );
      await sleep(50);
      view.rerender(
        <PlugSocketProvider client={client}>
          <Status />
        </PlugSocketProvider>,
      );
      // idle, connecting, open, and the rerender: one render per change, no more.
      expect(snapshots).to.have.length(4);
      expect(snapshots[3]).to.equal(snapshots[2]);
      expect(new Set(snapshots).size).to.equal(3);
    });

    it('is idle in a server render (getServerSnapshot)', async () => {
      const { renderToString } = await import('react-dom/server');
      const client = newClient('memory://unused');
      function Status(): ReactNode {
        return <p>{useConnectionState().state}</p>;
      }
      const html = renderToString(
        <PlugSocketProvider client={client}>
          <Status />
        </PlugSocketProvider>,
      );
      expect(html).to.equal('<p>idle</p>');
      expect(client.state).to.equal('idle'); // effects do not run on the server
    });
  });

  describe('messages', () => {
    it('useMessages keeps the last `limit` payloads, useLatestMessage the last one', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      function Feed(): ReactNode {
        const items = useMessages('n', { limit: 3 });
        const last = useLatestMessage('n');
        const other = useMessages('other');
        return (
          <>
            <p data-testid="items">{items.join(',')}</p>
            <p data-testid="last">{String(last)}</p>
            <p data-testid="other">{other.length}</p>
          </>
        );
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Feed />
        </PlugSocketProvider>,
      );
      expect(view.getByTestId('last').textContent).to.equal('undefined');
      await dom.rtl.waitFor(() => expect(client.state).to.equal('open'));
      for (let n = 1; n <= 5; n++) server.broadcast({ type: 'n', payload: n });
      await dom.rtl.waitFor(() => expect(view.getByTestId('last').textContent).to.equal('5'));
      expect(view.getByTestId('items').textContent).to.equal('3,4,5');
      expect(view.getByTestId('other').textContent).to.equal('0');
    });

    it('useMessages refuses a limit that is not a positive integer', () => {
      sinon.stub(console, 'error');
      const client = newClient('memory://unused');
      function Feed(): ReactNode {
        useMessages('n', { limit: 0 });
        return null;
      }
      const view = dom.rtl.render(
        <Boundary>
          <PlugSocketProvider client={client} connect={false}>
            <Feed />
          </PlugSocketProvider>
        </Boundary>,
      );
      expect(view.getByTestId('error').textContent).to.match(/limit must be a positive integer/);
    });

    it('useMessageListener calls the latest handler without subscribing again', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      const subscribe = sinon.spy(client, 'subscribe');
      const calls: string[] = [];
      function Listener({ label }: { label: string }): ReactNode {
        useMessageListener('ping', (payload, message) =>
          calls.push(`${label}:${String(payload)}:${message.type}`),
        );
        return <p>{label}</p>;
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Listener label="a" />
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() => expect(client.state).to.equal('open'));
      server.broadcast({ type: 'ping', payload: 1 });
      await dom.rtl.waitFor(() => expect(calls).to.deep.equal(['a:1:ping']));
      view.rerender(
        <PlugSocketProvider client={client}>
          <Listener label="b" />
        </PlugSocketProvider>,
      );
      server.broadcast({ type: 'ping', payload: 2 });
      await dom.rtl.waitFor(() => expect(calls).to.deep.equal(['a:1:ping', 'b:2:ping']));
      expect(subscribe.callCount).to.equal(1);
      view.unmount();
      expect(client.events.listenerCount('ping')).to.equal(0);
    });
  });

  describe('useRequest', () => {
    interface Calc {
      serverHandlers: { add(payload: { a: number; b: number }): number };
    }

    it('renders loading, then data, then a typed server error', async () => {
      const { server, url } = await startServer<Calc>();
      const gate = deferred<void>();
      server.handle('add', async ({ a, b }) => {
        await gate.promise;
        if (a < 0) throw new PlugSocketError('UNAUTHORIZED', 'no negatives');
        return a + b;
      });
      const client = newClient<Calc>(url);
      const { useRequest: useCalc } = createPlugSocketHooks<Calc>();
      let add!: ReturnType<typeof useCalc<'add'>>;
      function Adder(): ReactNode {
        add = useCalc('add');
        return (
          <p data-testid="out">
            {add.loading
              ? 'loading'
              : add.error
                ? `error:${(add.error as PlugSocketError).code}`
                : String(add.data)}
          </p>
        );
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Adder />
        </PlugSocketProvider>,
      );
      const out = (): string | null => view.getByTestId('out').textContent;
      expect(out()).to.equal('undefined');
      await dom.rtl.waitFor(() => expect(client.state).to.equal('open'));

      let result!: Promise<number>;
      dom.rtl.act(() => {
        result = add.call({ a: 1, b: 2 });
      });
      expect(out()).to.equal('loading');
      gate.resolve();
      expect(await result).to.equal(3);
      await dom.rtl.waitFor(() => expect(out()).to.equal('3'));

      let failed!: Promise<number>;
      dom.rtl.act(() => {
        failed = add.call({ a: -1, b: 2 });
      });
      const error = await failed.catch((e: unknown) => e);
      expect(PlugSocketError.is(error, 'UNAUTHORIZED')).to.equal(true);
      await dom.rtl.waitFor(() => expect(out()).to.equal('error:UNAUTHORIZED'));
      // The last good result is kept with the error.
      expect(add.data).to.equal(3);
      dom.rtl.act(() => add.reset());
      expect(out()).to.equal('undefined');
    });

    it('follows the latest call when an earlier one answers later', async () => {
      const { server, url } = await startServer<Calc>();
      const slow = deferred<void>();
      server.handle('add', async ({ a, b }) => {
        if (a === 1) await slow.promise;
        return a + b;
      });
      const client = newClient<Calc>(url);
      let add!: ReturnType<typeof useRequest<Calc, 'add'>>;
      function Adder(): ReactNode {
        add = useRequest<Calc, 'add'>('add');
        return <p data-testid="out">{add.loading ? 'loading' : String(add.data)}</p>;
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Adder />
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() => expect(client.state).to.equal('open'));
      let first!: Promise<number>;
      let second!: Promise<number>;
      dom.rtl.act(() => {
        first = add.call({ a: 1, b: 1 });
        second = add.call({ a: 10, b: 10 });
      });
      expect(await second).to.equal(20);
      await dom.rtl.waitFor(() => expect(view.getByTestId('out').textContent).to.equal('20'));
      slow.resolve();
      expect(await first).to.equal(2);
      await sleep(20);
      expect(view.getByTestId('out').textContent).to.equal('20');
    });

    it('aborts a call still running when the component unmounts', async () => {
      const { server, url } = await startServer<Calc>();
      const aborted = deferred<boolean>();
      server.handle('add', (_payload, ctx) => {
        return new Promise<number>((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => {
            aborted.resolve(true);
            reject(new PlugSocketError('ABORTED', 'gone'));
          }),
        );
      });
      const client = newClient<Calc>(url);
      let add!: ReturnType<typeof useRequest<Calc, 'add'>>;
      function Adder(): ReactNode {
        add = useRequest<Calc, 'add'>('add');
        return null;
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Adder />
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() => expect(client.state).to.equal('open'));
      let call!: Promise<number>;
      dom.rtl.act(() => {
        call = add.call({ a: 1, b: 2 });
      });
      view.unmount();
      const error = await call.catch((e: unknown) => e);
      expect(PlugSocketError.is(error, 'ABORTED')).to.equal(true);
      expect(await aborted.promise).to.equal(true);
    });
  });

  describe('useTopic', () => {
    it('joins on mount, moves on a topic change, leaves on unmount (checked on the server)', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Room topic="a" />
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() =>
        expect(view.getByTestId('room-a').textContent).to.equal('joined'),
      );
      expect(server.getSubscribers('a')).to.deep.equal([client.id]);

      view.rerender(
        <PlugSocketProvider client={client}>
          <Room topic="b" />
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() =>
        expect(view.getByTestId('room-b').textContent).to.equal('joined'),
      );
      await dom.rtl.waitFor(() => expect(server.getSubscribers('a')).to.deep.equal([]));
      expect(server.getSubscribers('b')).to.deep.equal([client.id]);

      view.unmount();
      await dom.rtl.waitFor(() => expect(server.getSubscribers('b')).to.deep.equal([]));
      expect([...client.topics]).to.deep.equal([]);
    });

    it('joins once under StrictMode, and shares a topic between components until the last unmounts', async () => {
      const joins: string[] = [];
      const { server, url } = await startServer({
        access: { join: (_c, topic) => (joins.push(topic), true) },
      });
      const client = newClient(url);
      const tree = (both: boolean, key = 'first'): ReactNode => (
        <StrictMode>
          <PlugSocketProvider client={client}>
            <Room key={key} topic="t" />
            {both ? <Room topic="t" /> : null}
          </PlugSocketProvider>
        </StrictMode>
      );
      const view = dom.rtl.render(tree(true));
      await dom.rtl.waitFor(() =>
        expect(view.getAllByTestId('room-t').map((e) => e.textContent)).to.deep.equal([
          'joined',
          'joined',
        ]),
      );
      await sleep(20);
      expect(joins).to.deep.equal(['t']);
      view.rerender(tree(false));
      await sleep(20);
      expect(server.getSubscribers('t')).to.deep.equal([client.id]);
      // The last holder replaced by a new one in the same commit: no leave, no second join.
      view.rerender(tree(false, 'second'));
      await sleep(20);
      expect(server.getSubscribers('t')).to.deep.equal([client.id]);
      expect(view.getByTestId('room-t').textContent).to.equal('joined');
      view.unmount();
      await dom.rtl.waitFor(() => expect(server.getSubscribers('t')).to.deep.equal([]));
      expect(joins).to.deep.equal(['t']);
    });

    it('shows a refused join as an error', async () => {
      const { url } = await startServer({ access: { join: (_c, topic) => topic !== 'secret' } });
      const client = newClient(url);
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Room topic="secret" />
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() =>
        expect(view.getByTestId('room-secret').textContent).to.equal('error:UNAUTHORIZED'),
      );
    });

    it('is not joined while the connection is down, and joined again after the reconnect', async () => {
      const { server, url } = await startServer();
      const client = newClient(url, { resume: false });
      const rendered: string[] = [];
      function Watch(): ReactNode {
        const { joined } = useTopic('live');
        const label = joined ? 'joined' : 'waiting';
        if (rendered.at(-1) !== label) rendered.push(label);
        return <p data-testid="live">{label}</p>;
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Watch />
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() => expect(view.getByTestId('live').textContent).to.equal('joined'));
      const firstId = client.id!;
      await server.disconnect(firstId, 1012, 'restarting');
      await dom.rtl.waitFor(() => expect(client.id).to.not.equal(firstId));
      await dom.rtl.waitFor(() => {
        expect(view.getByTestId('live').textContent).to.equal('joined');
        expect(server.getSubscribers('live')).to.deep.equal([client.id]);
      });
      expect(rendered).to.deep.equal(['waiting', 'joined', 'waiting', 'joined']);
    });

    it('joins once the client opens when mounted before', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      const view = dom.rtl.render(
        <PlugSocketProvider client={client} connect={false}>
          <Room topic="later" />
        </PlugSocketProvider>,
      );
      await sleep(20);
      expect(view.getByTestId('room-later').textContent).to.equal('waiting');
      await dom.rtl.act(() => client.connect());
      await dom.rtl.waitFor(() =>
        expect(view.getByTestId('room-later').textContent).to.equal('joined'),
      );
      expect(server.getSubscribers('later')).to.deep.equal([client.id]);
    });
  });

  describe('usePresence (the app-level convention)', () => {
    it('renders the members the server lists for the topic, and follows a departure', async () => {
      const { url } = await presenceServer();
      const alice = newClient(url);
      const bob = newClient(url);
      function Who(): ReactNode {
        const members = usePresence('room');
        return <p data-testid="who">{members.map((m) => `${m.id}=${String(m.user)}`).join(',')}</p>;
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={alice}>
          <Who />
        </PlugSocketProvider>,
      );
      expect(view.getByTestId('who').textContent).to.equal('');
      await dom.rtl.waitFor(() =>
        expect(view.getByTestId('who').textContent).to.equal(`${alice.id}=user-${alice.id}`),
      );
      await bob.connect();
      await bob.join('room');
      await bob.join('elsewhere'); // a list for another topic is not this one's
      const both = [alice.id, bob.id].map((id) => `${id}=user-${id}`).join(',');
      await dom.rtl.waitFor(() => expect(view.getByTestId('who').textContent).to.equal(both));
      await sleep(20);
      expect(view.getByTestId('who').textContent).to.equal(both);
      await bob.disconnect();
      await dom.rtl.waitFor(() =>
        expect(view.getByTestId('who').textContent).to.equal(`${alice.id}=user-${alice.id}`),
      );
    });

    it('ignores lists for other topics and of another shape; join: false only listens', async () => {
      const { server, url } = await startServer();
      const client = newClient(url);
      function Who(): ReactNode {
        const members = usePresence('lobby', { event: 'who', join: false });
        const received = useMessages('who').length;
        return (
          <p data-testid="who">
            {members.map((m) => m.id).join(',')}/{received}
          </p>
        );
      }
      const view = dom.rtl.render(
        <PlugSocketProvider client={client}>
          <Who />
        </PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() => expect(client.state).to.equal('open'));
      await sleep(20);
      expect(server.getSubscribers('lobby')).to.deep.equal([]);
      server.broadcast({ type: 'presence', payload: { topic: 'lobby', members: [{ id: 'z' }] } });
      server.broadcast({ type: 'who', payload: { topic: 'lobby', members: [{ id: 'w' }] } });
      server.broadcast({ type: 'who', payload: { topic: 'other', members: [{ id: 'x' }] } });
      server.broadcast({ type: 'who', payload: { topic: 'lobby', members: [{ name: 'y' }] } });
      await dom.rtl.waitFor(() => expect(view.getByTestId('who').textContent).to.equal('w/3'));
    });
  });

  describe('a whole component', () => {
    it('settles after connecting: a bounded number of renders, none while idle', async () => {
      const { server, url } = await presenceServer();
      server.handle('echo', (payload) => payload);
      const client = newClient(url);
      let renders = 0;
      function App(): ReactNode {
        renders++;
        const connection = useConnectionState();
        const topic = useTopic('room');
        const members = usePresence('room');
        const messages = useMessages('presence');
        const echo = useRequest('echo');
        useMessageListener('presence', () => undefined);
        return (
          <p data-testid="app">
            {connection.state}/{String(topic.joined)}/{members.length}/{messages.length}/
            {String(echo.loading)}
          </p>
        );
      }
      const view = dom.rtl.render(
        <StrictMode>
          <PlugSocketProvider client={client}>
            <App />
          </PlugSocketProvider>
        </StrictMode>,
      );
      await dom.rtl.waitFor(() =>
        expect(view.getByTestId('app').textContent).to.equal('open/true/1/1/false'),
      );
      const settled = renders;
      await sleep(100);
      expect(renders).to.equal(settled);
      // StrictMode renders twice: idle, connecting, open, joined, the presence list — each ×2.
      expect(settled).to.be.at.most(14);
    });
  });

  describe('createPlugSocketHooks', () => {
    interface Chat {
      serverMessages: { said: { text: string } };
      serverHandlers: { shout(text: string): string };
    }

    it('binds the schema: payloads, names and results are typed', async () => {
      const hooks = createPlugSocketHooks<Chat>();
      const { server, url } = await startServer<Chat>();
      server.handle('shout', (text) => text.toUpperCase());
      const client = newClient<Chat>(url);
      let shout!: ReturnType<typeof hooks.useRequest<'shout'>>;
      function Chat(): ReactNode {
        const said = hooks.useMessages('said');
        const last = hooks.useLatestMessage('said');
        shout = hooks.useRequest('shout');
        // @ts-expect-error: not a message type of the schema
        hooks.useLatestMessage('unknown');
        const typed: string | undefined = last?.text;
        return (
          <p data-testid="chat">
            {said.map((s) => s.text).join(',')}|{typed}|{shout.data}
          </p>
        );
      }
      const view = dom.rtl.render(
        <hooks.PlugSocketProvider client={client}>
          <Chat />
        </hooks.PlugSocketProvider>,
      );
      await dom.rtl.waitFor(() => expect(client.state).to.equal('open'));
      server.broadcast({ type: 'said', payload: { text: 'hi' } });
      await dom.rtl.act(async () => {
        const loud: string = await shout.call('hey');
        expect(loud).to.equal('HEY');
      });
      await dom.rtl.waitFor(() =>
        expect(view.getByTestId('chat').textContent).to.equal('hi|hi|HEY'),
      );
    });
  });
});

describe('plugsocket/react specs leave no DOM behind', () => {
  it('has no window or document on the global object after the React suites', () => {
    // The suite above installed jsdom's globals in its before hook and restored them in after.
    expect('window' in globalThis).to.equal(false);
    expect('document' in globalThis).to.equal(false);
    expect('IS_REACT_ACT_ENVIRONMENT' in globalThis).to.equal(false);
  });
});
