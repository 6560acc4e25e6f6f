// Scenario: server memory per idle connection.
//
//   node --conditions=plugsocket-source --import tsx --expose-gc bench/memory.ts \
//     --impl ws-raw|ps-ws|sio-raw|ps-sio [--conns 5000] [--warm 20] [--pin S:C]
//
// (Without --expose-gc the script starts itself again with it.) Procedure:
//   1. the server starts; the client process opens --warm connections (warms up code paths and
//      lazily created structures);
//   2. the server runs full GCs and takes its baseline (process.memoryUsage());
//   3. the client opens --conns more connections, at most 100 handshakes in flight;
//   4. once the server has admitted them all: 1 s to settle, full GCs, second sample;
//   5. per connection = (second sample − baseline) / --conns.
// The connections stay idle. The clients are light raw `ws` clients (light-clients.ts), the same
// for every server; the client process reports its own per-connection figures too.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  environment,
  finish,
  forkClient,
  fullGc,
  hardTimeout,
  implsArg,
  memorySample,
  numberArg,
  openMany,
  parseArgs,
  pinSelf,
  pinSpec,
  sleep,
  toArgv,
  toParent,
  waitUntil,
  type MemorySample,
} from './common.js';
import type { LightKind } from './light-clients.js';

const IMPLS = ['ws-raw', 'ps-ws', 'sio-raw', 'ps-sio'] as const;
type Impl = (typeof IMPLS)[number];

const SELF = fileURLToPath(import.meta.url);
const args = parseArgs();
const chosen = implsArg(args, IMPLS);
if (chosen.length !== 1)
  throw new Error('memory is measured one implementation per process: pass one --impl');
const impl = chosen[0];
const CONNS = numberArg(args, 'conns', 5_000);
const WARM = numberArg(args, 'warm', 20);
const pin = pinSpec(args);

const LIGHT: Record<Impl, LightKind> = {
  'ws-raw': 'ws',
  'ps-ws': 'ps-ws',
  'sio-raw': 'sio',
  'ps-sio': 'ps-sio',
};

type FromClient =
  { type: 'warm-ready' } | { type: 'ready'; connectMs: number; clientPerConnBytes: MemorySample };

function perConnection(before: MemorySample, after: MemorySample, n: number): MemorySample {
  const out = { ...before };
  for (const key of Object.keys(out) as (keyof MemorySample)[])
    out[key] = (after[key] - before[key]) / n;
  return out;
}

if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  const again = spawn(
    process.execPath,
    [...process.execArgv, '--expose-gc', SELF, ...process.argv.slice(2)],
    {
      stdio: 'inherit',
    },
  );
  again.on('exit', (code) => process.exit(code ?? 1));
} else if (args.role === 'client') await client();
else await server();

async function server(): Promise<void> {
  const child = forkClient(
    SELF,
    toArgv({ impl, conns: CONNS, warm: WARM, pin: args.pin ?? 'none' }),
  );
  hardTimeout(`memory server ${impl}`, 57_000, () => child.kill('SIGKILL'));
  const servers = await import('./servers.js');
  let port: number;
  let close: () => void;
  let connected: () => number;
  switch (impl) {
    case 'ws-raw': {
      const s = await servers.startRawWs();
      connected = () => s.wss.clients.size;
      ({ port, close } = s);
      break;
    }
    case 'sio-raw': {
      const s = await servers.startRawSio();
      connected = () => s.io.of('/').sockets.size;
      ({ port, close } = s);
      break;
    }
    case 'ps-ws':
    case 'ps-sio': {
      const s = await servers.startPs(impl === 'ps-ws' ? 'ws' : 'sio');
      connected = () => s.server.clientCount;
      ({ port, close } = s);
      break;
    }
  }
  const pinned = pinSelf(pin.server);

  let baseline: MemorySample | undefined;
  const onMessage = async (m: FromClient): Promise<void> => {
    if (m.type === 'warm-ready') {
      await waitUntil('the warm-up connections', () => connected() >= WARM, 10_000);
      await sleep(300);
      await fullGc();
      baseline = memorySample();
      child.send({ type: 'go' });
      return;
    }
    await waitUntil(
      `${WARM + CONNS} connections on the server`,
      () => connected() >= WARM + CONNS,
      30_000,
    );
    await sleep(1_000);
    await fullGc();
    const after = memorySample();
    finish(
      {
        scenario: 'memory',
        impl,
        conns: CONNS,
        warm: WARM,
        serverPerConnBytes: perConnection(baseline!, after, CONNS),
        serverBaseline: baseline,
        serverAfter: after,
        clientPerConnBytes: m.clientPerConnBytes,
        clientConnectMs: m.connectMs,
        pin: args.pin ?? null,
        pinned,
        env: environment(),
      },
      () => {
        child.kill();
        close();
      },
    );
  };
  child.on('message', (m: FromClient) => {
    onMessage(m).catch((error: unknown) => {
      console.error(error);
      child.kill('SIGKILL');
      process.exit(1);
    });
  });
  child.send({ type: 'port', port });
}

async function client(): Promise<void> {
  hardTimeout(`memory client ${impl}`, 55_000);
  const { openLight } = await import('./light-clients.js');
  const port = await new Promise<number>((resolve) =>
    process.once('message', (m: { port: number }) => resolve(m.port)),
  );
  pinSelf(pin.client);
  const kind = LIGHT[impl];
  const open = (): ReturnType<typeof openLight> => openLight(kind, port, () => undefined);
  const keep = await openMany(WARM, 10, open);
  await fullGc();
  const before = memorySample();
  process.once('message', () => {
    const t = Date.now();
    openMany(CONNS, 100, open)
      .then(async (more) => {
        keep.push(...more);
        const connectMs = Date.now() - t;
        await sleep(500);
        await fullGc();
        toParent({
          type: 'ready',
          connectMs,
          clientPerConnBytes: perConnection(before, memorySample(), CONNS),
        });
      })
      .catch((error: unknown) => {
        console.error('connect failed', error);
        process.exit(2);
      });
  });
  toParent({ type: 'warm-ready' });
}
