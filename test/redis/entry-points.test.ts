// `plugsocket/redis` loads ioredis and nothing else optional; the core and the other entries
// never load ioredis. Checked in child processes through the same blocking hook as
// test/architecture/entry-points.test.ts.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function importInChild(
  specifier: string,
  blocked: readonly string[],
): Promise<{ status: number | null; stderr: string }> {
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
        `await import(${JSON.stringify(specifier)});`,
      ],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
        env: { ...process.env, PLUGSOCKET_BLOCK: blocked.join(',') },
      },
      (error, _stdout, stderr) => {
        if (error !== null && typeof error.code !== 'number')
          return reject(new Error(error.message));
        resolve({ status: child.exitCode, stderr });
      },
    );
  });
}

const CONTAINER = ['inversify', 'reflect-metadata'];
const TRANSPORTS = ['ws', 'socket.io', 'socket.io-client', 'engine.io', 'engine.io-client'];

describe('plugsocket/redis entry points', function () {
  this.timeout(120_000);

  const cases: [specifier: string, blocked: string[], loads: boolean][] = [
    ['plugsocket', ['ioredis'], true],
    ['plugsocket/ws', ['ioredis'], true],
    ['plugsocket/redis', [...CONTAINER, ...TRANSPORTS, 'jose', 'prom-client', 'react'], true],
    ['plugsocket/redis/di', [...TRANSPORTS, 'jose', 'prom-client', 'react'], true],
    ['plugsocket/redis', ['ioredis'], false],
  ];
  // Each child spends about a second starting tsx: two at a time, started in `before`.
  const runs = new Map<string, Promise<{ status: number | null; stderr: string }>>();
  before(() => {
    const previous: Promise<unknown>[] = [Promise.resolve(), Promise.resolve()];
    cases.forEach(([specifier, blocked], i) => {
      const run = previous[i % 2].then(() => importInChild(specifier, blocked));
      previous[i % 2] = run.catch(() => undefined);
      runs.set(`${specifier}|${blocked.join()}`, run);
    });
  });

  for (const [specifier, blocked, loads] of cases) {
    it(`${specifier} ${loads ? 'loads without' : 'does load'} ${blocked.join(', ')}`, async () => {
      const run = await runs.get(`${specifier}|${blocked.join()}`)!;
      if (loads) {
        expect(run.stderr).to.not.include('blocked library loaded');
        expect(run.status, run.stderr).to.equal(0);
      } else {
        expect(run.status).to.not.equal(0);
        expect(run.stderr).to.include('blocked library loaded: ioredis');
      }
    });
  }
});
