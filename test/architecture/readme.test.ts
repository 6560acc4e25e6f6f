// The README's examples are run as written, so the first code a user copies keeps working.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('README.md', () => {
  const blocks = (): string[] =>
    [...readFileSync(path.join(root, 'README.md'), 'utf8').matchAll(/```ts\n([\s\S]*?)```/g)].map(
      (m) => m[1],
    );

  it('the requests, events and middleware example runs as written', function () {
    this.timeout(30_000);
    const code = blocks().find((block) => block.includes("server.handle('add'"));
    expect(code, 'the hub example in README.md').to.be.a('string');
    const run = runScript(code!, 'hub');
    expect(run.stderr).to.equal('');
    expect(run.status).to.equal(0);
    expect(run.stdout).to.equal('sum 3\nbob agrees true\nanswers 1 errors 1\n');
  });

  it('quick start runs as written and bob hears alice', function () {
    this.timeout(30_000);
    const code = blocks().find((block) => block.includes("console.log('bob got'"));
    expect(code, 'the quick start in README.md').to.be.a('string');
    const run = runScript(code!, 'quick-start');
    expect(run.stderr).to.equal('');
    expect(run.status).to.equal(0);
    expect(run.stdout).to.include("bob got { text: 'hello' }");
  });
});

/** Runs TypeScript as a user would, inside the package so `import 'plugsocket'` resolves. */
function runScript(
  code: string,
  name: string,
): { stdout: string; stderr: string; status: number | null } {
  const dir = path.join(root, '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `readme-${name}-${process.pid}.ts`);
  writeFileSync(file, code);
  try {
    return spawnSync(
      process.execPath,
      ['--conditions=plugsocket-source', '--import', 'tsx', file],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 25_000,
      },
    );
  } finally {
    rmSync(file, { force: true });
  }
}
