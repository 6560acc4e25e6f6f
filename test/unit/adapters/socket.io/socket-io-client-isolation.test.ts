import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// A module resolution hook that fails any import of the Socket.IO *server* packages.
const BLOCK_SERVER = `
export async function resolve(specifier, context, next) {
  if (/^(socket\\.io|socket\\.io-adapter|engine\\.io)(\\/|$)/.test(specifier)) {
    throw new Error('server package loaded: ' + specifier);
  }
  return next(specifier, context);
}`;

const adapterDir = fileURLToPath(new URL('../../../../adapters/socket.io/', import.meta.url));

/** Imports `file` in a fresh Node process in which the server packages cannot be resolved. */
function importWithoutServer(file: string) {
  const script = `
    import { register } from 'node:module';
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(BLOCK_SERVER)}));
    await import(${JSON.stringify(adapterDir + file)});`;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('the Socket.IO client half', () => {
  it('loads without the socket.io server package, so a browser bundle of it never pulls it in', function () {
    this.timeout(30_000);
    const result = importWithoutServer('socket-io-socket.ts');
    expect(result.stderr).to.not.include('server package loaded');
    expect(result.status).to.equal(0);
  });

  it('is checked by a hook that does catch the server half importing socket.io', function () {
    this.timeout(30_000);
    const result = importWithoutServer('socket-io-server.ts');
    expect(result.status).to.not.equal(0);
    expect(result.stderr).to.include('server package loaded: socket.io');
  });
});
