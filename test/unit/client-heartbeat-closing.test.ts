// The client's heartbeat and its counters while disconnect() is under way: no probe, no pong, no
// spurious error, and nothing counted that the transport refused.
import { expect } from 'chai';
import sinon from 'sinon';
import {
  MEMORY_CAPABILITIES,
  MemorySocket,
  MemorySocketServer,
} from '../../adapters/memory/index.js';
import {
  SocketClient,
  SocketServer,
  type PlugSocketError,
  type TransportCapabilities,
} from '../../src/index.js';
import { heartbeatPeriod } from '../../src/shared/heartbeat-period.js';
import { cleanUp, startServer, uniqueName, useFakeClock } from './support.js';

/** A client transport whose server never answers the close: disconnect() stays closing until closeTimeout. */
class SlowCloseSocket extends MemorySocket {
  protected override doClose(): void {
    // The close frame is lost: nothing answers.
  }
}

/** A memory server without a transport ping: it probes with the protocol's ping frames. */
class NoPingMemoryServer extends MemorySocketServer {
  override readonly supports: TransportCapabilities = { ...MEMORY_CAPABILITIES, ping: false };
}

describe('client heartbeat while closing', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = useFakeClock()));
  afterEach(async () => {
    clock.restore();
    sinon.restore();
    await cleanUp();
  });

  /** A client pinging every second whose disconnect() is never answered, and its errors. */
  async function slowClosingClient(): Promise<{ client: SocketClient; errors: string[] }> {
    const { url } = await startServer({ heartbeatInterval: Infinity });
    const client = new SocketClient(new SlowCloseSocket({ closeTimeout: 5000 }), {
      url,
      heartbeatInterval: 1000,
      heartbeatTimeout: 500,
    });
    await client.connect();
    const errors: string[] = [];
    client.onError((e: PlugSocketError) => errors.push(`${e.code}: ${e.message}`));
    return { client, errors };
  }

  it('a graceful disconnect() reports no spurious errors from the heartbeat', async () => {
    const { client, errors } = await slowClosingClient();
    const done = client.disconnect();
    await clock.tickAsync(6000);
    await done;
    expect(errors).to.deep.equal([]);
  });

  it('does not report "TIMEOUT … reconnecting" nor cut the graceful close short', async () => {
    const { client, errors } = await slowClosingClient();
    sinon.stub(client.adapter, 'ping').returns(true); // ping goes, its pong is still on its way
    const closes: number[] = [];
    client.onClose((info) => closes.push(info.code));
    await clock.tickAsync(1100); // a ping is outstanding
    const done = client.disconnect(1000, 'bye');
    await clock.tickAsync(6000);
    await done;
    expect(errors).to.deep.equal([]);
    expect(closes).to.deep.equal([1006]); // what closeTimeout would give anyway
  });
});

describe('client answers protocol pings while closing', () => {
  let clock: sinon.SinonFakeTimers;
  beforeEach(() => (clock = useFakeClock()));
  afterEach(() => clock.restore());

  it('reports no NOT_CONNECTED for the pong it cannot send during disconnect()', async () => {
    const server = new SocketServer(new NoPingMemoryServer({ name: uniqueName('s') }), {
      heartbeatInterval: 1000,
      heartbeatTimeout: 4000,
    });
    const { url = '' } = await server.listen();
    const client = new SocketClient(new SlowCloseSocket({ closeTimeout: 5000 }), {
      url,
      heartbeatInterval: Infinity,
    });
    await client.connect();
    await clock.tickAsync(1500); // the server's first sweep has seen the client
    const errors: PlugSocketError[] = [];
    client.onError((e) => errors.push(e));
    const done = client.disconnect();
    await clock.tickAsync(6000);
    await done;
    await server.shutdown();
    expect(errors.map((e) => `${e.code}: ${e.message}`)).to.deep.equal([]);
  });
});

describe('client counters and refused sends', () => {
  afterEach(async () => {
    sinon.restore();
    await cleanUp();
  });

  it('counts no message, request or byte the transport refused', async () => {
    const { url } = await startServer({ heartbeatInterval: Infinity });
    const client = new SocketClient(new MemorySocket(), { url, heartbeatInterval: Infinity });
    await client.connect();
    const before = client.getMetrics();
    sinon.stub(client.adapter, 'send').returns(false);
    client.emit('refused', 1);
    void client.request('refused', 1, { timeout: 50 }).catch(() => undefined);
    const after = client.getMetrics();
    expect(after.messagesSent - before.messagesSent, 'messagesSent').to.equal(0);
    expect(after.requestsSent - before.requestsSent, 'requestsSent').to.equal(0);
    expect(after.bytesSent - before.bytesSent, 'bytesSent').to.equal(0);
    sinon.restore();
    client.emit('taken', 1);
    expect(client.getMetrics().messagesSent - before.messagesSent, 'once accepted').to.equal(1);
    await client.disconnect();
  });
});

describe('heartbeatPeriod', () => {
  it('stays within what a timer can take (2³¹−1 ms), for very long or infinite settings', () => {
    for (const [i, t] of [
      [3e9, Infinity],
      [3e9, 3e9],
      [25_000, Infinity],
      [2 ** 31, 2 ** 31],
    ] as const) {
      expect(heartbeatPeriod(i, t), `${i}/${t}`).to.be.at.most(2 ** 31 - 1);
    }
  });
});
