// The rate limit's byte allowance on every transport: text frames are measured before decoding,
// Socket.IO's structured frames by their decoding walk; either way a client gets through about
// its allowance in bytes and no more.
import { expect } from 'chai';
import { type PlugSocketError, SocketClient, SocketServer } from 'plugsocket';
import { TRANSPORTS, waitFor } from './transports.js';

for (const transport of TRANSPORTS) {
  describe(`rate limit in bytes over ${transport.name}`, function () {
    this.timeout(20_000);
    let server: SocketServer | undefined;
    let client: SocketClient | undefined;

    afterEach(async () => {
      await client?.disconnect().catch(() => undefined);
      await server?.shutdown();
      client = server = undefined;
    });

    it('lets through three 500-character messages of a 2,000-byte allowance and refuses the rest', async () => {
      // A minute-long interval: the allowance barely refills while the test runs.
      server = new SocketServer(transport.createServer(), {
        maxPayload: 2000,
        rateLimit: { messages: 1000, bytes: 2000, interval: 60_000, maxViolations: 1000 },
      });
      const got: number[] = [];
      server.onMessage((_id, m) => void got.push((m.payload as { n: number }).n));
      const url = (await server.listen()).url ?? '';
      client = new SocketClient(transport.createClient(), { url });
      const errors: PlugSocketError[] = [];
      client.onError((e) => errors.push(e));
      await client.connect();
      for (let n = 0; n < 6; n++) client.emit('big', { n, text: 'x'.repeat(500) });
      await waitFor(() => errors.length > 0, 5000, 'a RATE_LIMITED error frame');
      // Small messages still fit what is left of the allowance.
      client.emit('small', { n: 100 });
      await waitFor(() => got.includes(100), 5000, 'the small message');
      expect(got).to.deep.equal([0, 1, 2, 100]);
      expect(errors.map((e) => e.code)).to.deep.equal(['RATE_LIMITED']);
    });
  });
}
