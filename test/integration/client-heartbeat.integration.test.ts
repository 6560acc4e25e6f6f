// Client heartbeats against a frozen server: a server process stopped with SIGSTOP keeps its TCP
// connections (the kernel still acknowledges), sends no FIN and no close frame, and answers no
// ping. The client must notice by itself, report TIMEOUT, drop the connection and reconnect, on
// each transport with sockets.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClientState, type PlugSocketError, SocketClient } from 'plugsocket';
import { TRANSPORTS, waitFor } from './transports.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, 'fixtures', 'frozen-server.ts');

for (const transport of TRANSPORTS.filter((t) => t.name !== 'memory')) {
  describe(`client heartbeats over ${transport.name}`, function () {
    this.timeout(30_000);
    let child: ChildProcess | undefined;
    let client: SocketClient | undefined;

    afterEach(async () => {
      // SIGKILL ends a stopped process too.
      child?.kill('SIGKILL');
      child = undefined;
      await client?.disconnect().catch(() => undefined);
      client = undefined;
    });

    it('drops a server whose process is frozen (SIGSTOP): TIMEOUT, 1006, reconnecting', async () => {
      child = spawn(
        process.execPath,
        ['--conditions=plugsocket-source', '--import', 'tsx', fixture, transport.name],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await waitFor(() => out.includes('listening '), 20_000, 'the child server to listen');
      const url = /listening (\S+)/.exec(out)?.[1] ?? '';
      expect(url).to.match(/^(ws|http):\/\/127\.0\.0\.1:\d+/);

      client = new SocketClient(transport.createClient(), {
        url,
        heartbeatInterval: 200,
        heartbeatTimeout: 300,
        connectTimeout: 1000,
        reconnect: { retries: 1, minDelay: 50, maxDelay: 100 },
      });
      const errors: PlugSocketError[] = [];
      client.onError((e) => errors.push(e));
      const closes: number[] = [];
      client.onClose((info) => closes.push(info.code));
      const states: ClientState[] = [];
      client.state$.subscribe((s) => states.push(s.state));
      const attempts: number[] = [];
      client.onReconnecting((attempt) => attempts.push(attempt));
      const failed: PlugSocketError[] = [];
      client.onReconnectFailed((e) => failed.push(e));
      const pongs: number[] = [];
      client.adapter.on('pong', () => pongs.push(Date.now()));
      await client.connect();

      // Alive and answering: several heartbeats pass without a timeout. The server's own
      // heartbeat is off and it sends nothing, so only the pongs keep the client.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(errors, 'a live server is not timed out').to.deep.equal([]);
      expect(closes).to.deep.equal([]);
      expect(client.state).to.equal('open');
      expect(pongs.length, 'the transport answered the pings').to.be.at.least(3);

      const frozenAt = Date.now();
      child.kill('SIGSTOP');
      await waitFor(
        () => errors.some((e) => e.code === 'TIMEOUT'),
        5000,
        'the client to time the frozen server out',
      );
      const detectedIn = Date.now() - frozenAt;
      expect(detectedIn, 'within an interval and a timeout, give or take').to.be.below(2000);
      await waitFor(() => closes.length > 0, 2000, 'the close');
      expect(closes[0]).to.equal(1006);
      expect(states.slice(0, 4)).to.deep.equal(['idle', 'connecting', 'open', 'reconnecting']);

      // The server stays frozen: the one retry fails (connect timeout), and the client gives up.
      await waitFor(() => client?.state === 'closed', 10_000, 'the client to give up');
      expect(states.slice(3)).to.deep.equal(['reconnecting', 'closed']);
      expect(attempts, 'one reconnect attempt').to.deep.equal([1]);
      expect(failed).to.have.length(1);
      expect(closes.filter((c) => c === 1006).length, 'one dropped connection').to.equal(1);
    });
  });
}
