// package.json's `exports` and peer dependencies, checked against the files they promise: every
// entry has the same three conditions in the same order, its source exists, and its built files
// are where `npm run build` puts them; the container and the test libraries are optional peers.
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface PackageJson {
  exports: Record<string, string | Record<string, string>>;
  files: string[];
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  repository?: { url?: string };
  homepage?: string;
  bugs?: { url?: string };
}

const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as PackageJson;
const entries = Object.entries(pkg.exports).filter(([name]) => name !== './package.json');

describe('package.json', () => {
  describe('exports', () => {
    for (const [name, target] of entries) {
      it(`${name}: plugsocket-source, types and default agree`, () => {
        expect(target).to.be.an('object');
        const conditions = target as Record<string, string>;
        expect(Object.keys(conditions)).to.deep.equal(['plugsocket-source', 'types', 'default']);
        const source = conditions['plugsocket-source'];
        expect(source).to.match(/^\.\/(src|adapters|contracts)\/.+\.ts$/);
        expect(existsSync(path.join(root, source)), `${source} exists`).to.equal(true);
        const built = `./dist/${source.slice(2, -'.ts'.length)}`;
        expect(conditions.types).to.equal(`${built}.d.ts`);
        expect(conditions.default).to.equal(`${built}.js`);
        expect(pkg.files).to.include(source.split('/')[1]);
      });
    }

    it('has a /di twin for the core and each adapter entry', () => {
      const names = entries.map(([name]) => name);
      for (const name of [
        '.',
        './ws',
        './socket.io',
        './socket.io/client',
        './memory',
        './browser',
      ]) {
        expect(names, `${name}/di`).to.include(name === '.' ? './di' : `${name}/di`);
      }
    });
  });

  it('makes the container and every transport optional peers, and needs no test framework', () => {
    for (const name of Object.keys(pkg.peerDependencies)) {
      expect(pkg.peerDependenciesMeta[name]?.optional, `${name} is optional`).to.equal(true);
    }
    expect(Object.keys(pkg.peerDependencies)).to.include.members(['inversify', 'reflect-metadata']);
    // The contract suites bring their own assertions and take any runner.
    expect(Object.keys(pkg.peerDependencies)).to.not.include.members(['chai']);
    expect(Object.keys(pkg.peerDependencies)).to.not.include.members(['mocha']);
  });

  it('names its repository, homepage and issue tracker, so links work from npm', () => {
    expect(pkg.repository?.url).to.match(/github\.com\/plugsocket\/plugsocket/);
    expect(pkg.homepage).to.match(/^https:\/\/github\.com\/plugsocket\/plugsocket#readme$/);
    expect(pkg.bugs?.url).to.match(/^https:\/\/github\.com\/plugsocket\/plugsocket\/issues$/);
    expect(existsSync(path.join(root, 'LICENSE')), 'LICENSE').to.equal(true);
  });
});
