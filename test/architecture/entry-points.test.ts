// Each entry point loads only what it needs, checked by importing it in a child process whose
// module resolution fails on a list of blocked libraries (block-transports.mjs): `plugsocket`
// never loads a transport, `inversify` or `reflect-metadata` (nor patches the global `Reflect`),
// a transport entry never loads the container, and each half of the Socket.IO adapter runs
// without the other half's package installed.
import { expect } from 'chai';
import { execFile, type ExecFileException } from 'node:child_process';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const CONTAINER = ['inversify', 'reflect-metadata'];
const WS = ['ws'];
const SOCKET_IO_SERVER = ['socket.io', 'engine.io'];
const SOCKET_IO_CLIENT = ['socket.io-client', 'engine.io-client'];

interface Run {
  status: number | null;
  stderr: string;
  /** `typeof Reflect.getMetadata` after the import, when it succeeded. */
  getMetadata?: string;
}

/** Imports `specifier` in a child process; `blocked` replaces the hook's default list. */
function importInChild(specifier: string, blocked?: readonly string[]): Promise<Run> {
  const script =
    `await import(${JSON.stringify(specifier)});\n` +
    `console.log(JSON.stringify({ getMetadata: typeof Reflect.getMetadata }));`;
  const env = { ...process.env };
  if (blocked === undefined) delete env.PLUGSOCKET_BLOCK;
  else env.PLUGSOCKET_BLOCK = blocked.join(',');
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [
        '--conditions=plugsocket-source',
        '--import',
        'tsx',
        '--import',
        './test/architecture/register-block-transports.mjs',
        '--input-type=module',
        '-e',
        script,
      ],
      { cwd: root, encoding: 'utf8', timeout: 30_000, env },
      (error: ExecFileException | null, stdout: string, stderr: string) => {
        // a non-zero exit is a result to assert on; anything else (a timeout, a spawn failure) is not
        if (error !== null && typeof error.code !== 'number')
          return reject(new Error(error.message));
        const last = stdout.trim().split('\n').pop() ?? '';
        const parsed: { getMetadata?: string } = last.startsWith('{')
          ? (JSON.parse(last) as { getMetadata: string })
          : {};
        resolve({ status: child.exitCode, stderr, getMetadata: parsed.getMetadata });
      },
    );
  });
}

// Each child spends most of a second starting tsx, so the runs are started together in `before`,
// a few at a time, and each test awaits its own.
const planned: (() => void)[] = [];
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(task: () => Promise<T>): Promise<T> {
  if (running >= Math.max(2, availableParallelism()))
    await new Promise<void>((go) => waiting.push(go));
  running += 1;
  try {
    return await task();
  } finally {
    running -= 1;
    waiting.shift()?.();
  }
}
function importing(specifier: string, blocked?: readonly string[]): () => Promise<Run> {
  let run: Promise<Run> | undefined;
  const start = (): Promise<Run> => (run ??= slot(() => importInChild(specifier, blocked)));
  planned.push(() => void start().catch(() => undefined));
  return start;
}

function expectLoads(run: Run): void {
  expect(run.stderr).to.not.include('blocked library loaded');
  expect(run.status, run.stderr).to.equal(0);
}

describe('entry points', function () {
  this.timeout(60_000);
  before(() => planned.forEach((start) => start()));

  describe('`plugsocket` (the core)', () => {
    const core = importing('plugsocket'); // the default list: transports, the container, jose, prom-client
    it('loads no transport, no inversify, no reflect-metadata, no jose, no prom-client, and leaves Reflect alone', async () => {
      const run = await core();
      expectLoads(run);
      expect(run.getMetadata, 'typeof Reflect.getMetadata').to.equal('undefined');
    });
  });

  describe('the check itself', () => {
    const ws = importing('plugsocket/ws');
    const di = importing('plugsocket/di');
    const diWithContainer = importing('plugsocket/di', [
      ...WS,
      ...SOCKET_IO_SERVER,
      ...SOCKET_IO_CLIENT,
    ]);

    it('catches a transport import (plugsocket/ws loads ws)', async () => {
      const run = await ws();
      expect(run.status).to.not.equal(0);
      expect(run.stderr).to.include('blocked library loaded: ws');
    });

    it('catches a container import (plugsocket/di loads inversify)', async () => {
      const run = await di();
      expect(run.status).to.not.equal(0);
      expect(run.stderr).to.include('blocked library loaded: inversify');
    });

    it('sees the global Reflect patched once the container is loaded (plugsocket/di)', async () => {
      const run = await diWithContainer();
      expectLoads(run);
      expect(run.getMetadata).to.equal('function');
    });
  });

  describe('transport entries load no container', () => {
    const cases: [specifier: string, blocked: string[]][] = [
      ['plugsocket/ws', [...CONTAINER, ...SOCKET_IO_SERVER, ...SOCKET_IO_CLIENT]],
      ['plugsocket/memory', [...CONTAINER, ...WS, ...SOCKET_IO_SERVER, ...SOCKET_IO_CLIENT]],
      ['plugsocket/socket.io', [...CONTAINER, ...SOCKET_IO_CLIENT]],
      ['plugsocket/socket.io/client', [...CONTAINER, ...SOCKET_IO_SERVER]],
      ['plugsocket/contracts', [...CONTAINER, ...WS, ...SOCKET_IO_SERVER, ...SOCKET_IO_CLIENT]],
      ['plugsocket/jwt', [...CONTAINER, ...WS, ...SOCKET_IO_SERVER, ...SOCKET_IO_CLIENT]],
      ['plugsocket/prometheus', [...CONTAINER, ...WS, ...SOCKET_IO_SERVER, ...SOCKET_IO_CLIENT]],
      // A page's transport: nothing but the core (the `ws` package only as an option in Node 20).
      ['plugsocket/browser', [...CONTAINER, ...WS, ...SOCKET_IO_SERVER, ...SOCKET_IO_CLIENT]],
    ];
    for (const [specifier, blocked] of cases) {
      const entry = importing(specifier, blocked);
      it(`${specifier} (blocked: ${blocked.join(', ')})`, async () => {
        const run = await entry();
        expectLoads(run);
        expect(run.getMetadata, 'typeof Reflect.getMetadata').to.equal('undefined');
      });
    }
  });

  describe('each half of the Socket.IO adapter runs without the other half installed', () => {
    // Regression: `plugsocket/socket.io` re-exported the client socket, so a server-only app
    // failed at import unless socket.io-client was installed.
    const cases: [specifier: string, blocked: string[]][] = [
      ['plugsocket/socket.io', SOCKET_IO_CLIENT],
      ['plugsocket/socket.io/di', SOCKET_IO_CLIENT],
      ['plugsocket/socket.io/client', SOCKET_IO_SERVER],
      ['plugsocket/socket.io/client/di', SOCKET_IO_SERVER],
    ];
    for (const [specifier, blocked] of cases) {
      const entry = importing(specifier, blocked);
      it(`${specifier} loads without ${blocked.join(' or ')}`, async () => {
        expectLoads(await entry());
      });
    }
  });

  describe('only plugsocket/react loads React, and it loads no transport, container or react-dom', () => {
    const REACT = ['react', 'react-dom'];
    const cases: [specifier: string, blocked: string[]][] = [
      ['plugsocket', REACT],
      ['plugsocket/memory', REACT],
      ['plugsocket/ws', REACT],
      [
        'plugsocket/react',
        [...CONTAINER, ...WS, ...SOCKET_IO_SERVER, ...SOCKET_IO_CLIENT, 'react-dom', 'jose'],
      ],
    ];
    for (const [specifier, blocked] of cases) {
      const entry = importing(specifier, blocked);
      it(`${specifier} (blocked: ${blocked.join(', ')})`, async () => {
        expectLoads(await entry());
      });
    }
    const withoutReact = importing('plugsocket/react', REACT);
    it('plugsocket/react does load react (the check sees it)', async () => {
      const run = await withoutReact();
      expect(run.status).to.not.equal(0);
      expect(run.stderr).to.include('blocked library loaded: react');
    });
  });

  describe('DI entries load their transport and the container, nothing else', () => {
    const cases: [specifier: string, blocked: string[]][] = [
      ['plugsocket/ws/di', [...SOCKET_IO_SERVER, ...SOCKET_IO_CLIENT]],
      ['plugsocket/memory/di', [...WS, ...SOCKET_IO_SERVER, ...SOCKET_IO_CLIENT]],
    ];
    for (const [specifier, blocked] of cases) {
      const entry = importing(specifier, blocked);
      it(`${specifier} (blocked: ${blocked.join(', ')})`, async () => {
        expectLoads(await entry());
      });
    }
  });
});
