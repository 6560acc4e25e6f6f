// Server heartbeats against a half-open peer: a client process frozen with SIGSTOP keeps its TCP
// connection (the kernel still acknowledges), sends no FIN and no close frame, and answers no
// ping. The server must notice it by itself, on each transport with sockets.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SocketServer } from 'plugsocket';
import { TRANSPORTS, waitFor } from './transports.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, 'fixtures', 'frozen-client.ts');

for (const transport of TRANSPORTS.filter((t) => t.name !== 'memory')) {
  describe(`server heartbeats over ${transport.name}`, function () {
    this.timeout(30_000);
    let server: SocketServer | undefined;
    let child: ChildProcess | undefined;

    afterEach(async () => {
      child?.kill('SIGKILL');
      child = undefined;
      await server?.shutdown();
      server = undefined;
    });

    it('ends a client whose process is frozen (SIGSTOP): onClientTimeout, then 1006', async () => {
      server = new SocketServer(transport.createServer(), {
        heartbeatInterval: 200,
        heartbeatTimeout: 300,
      });
      const url = (await server.listen()).url ?? '';
      const timedOut: string[] = [];
      const gone: number[] = [];
      server.onClientTimeout((id) => timedOut.push(id));
      server.onDisconnection((_id, info) => gone.push(info.code));
      child = spawn(
        process.execPath,
        ['--conditions=plugsocket-source', '--import', 'tsx', fixture, transport.name, url],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let out = '';
      child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
      await waitFor(() => out.includes('connected '), 20_000, 'the child client to connect');
      const id = /connected (\S+)/.exec(out)?.[1];
      // Alive and answering: several heartbeats pass without a timeout.
      await new Promise((resolve) => setTimeout(resolve, 1200));
      expect(timedOut, 'a live client is not timed out').to.deep.equal([]);
      expect(server.getClient(id ?? '')?.latency).to.be.a('number');
      child.kill('SIGSTOP');
      await waitFor(() => timedOut.length > 0, 10_000, 'the frozen client to time out');
      expect(timedOut).to.deep.equal([id]);
      await waitFor(() => gone.length > 0, 5000, 'its disconnection');
      expect(gone).to.deep.equal([1006]);
      expect(server.clientCount).to.equal(0);
    });
  });
}
