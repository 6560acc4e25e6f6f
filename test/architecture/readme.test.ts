// The README's quick start is run as written, so the first code a user copies keeps working.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('README.md', () => {
  it('quick start runs as written and bob hears alice', function () {
    this.timeout(30_000);
    const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(code, 'a ts code block in README.md').to.be.a('string');
    // Inside the package, so `import 'plugsocket'` resolves as it does for a user.
    const dir = path.join(root, '.tmp');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `readme-quick-start-${process.pid}.ts`);
    writeFileSync(file, code!);
    try {
      const run = spawnSync(
        process.execPath,
        ['--conditions=plugsocket-source', '--import', 'tsx', file],
        {
          cwd: root,
          encoding: 'utf8',
          timeout: 25_000,
        },
      );
      expect(run.stderr).to.equal('');
      expect(run.status).to.equal(0);
      expect(run.stdout).to.include("bob got { text: 'hello' }");
    } finally {
      rmSync(file, { force: true });
    }
  });
});
