import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkDependencyRule } from './dependency-rule.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('the dependency rule', () => {
  it('holds for this repository', () => {
    expect(checkDependencyRule(root)).to.deep.equal([]);
  });

  describe('catches', () => {
    let dir: string;
    const write = (rel: string, text: string): void => {
      mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
      writeFileSync(path.join(dir, rel), text);
    };
    const rules = (): string[] => checkDependencyRule(dir).map((v) => `${v.file} ${v.specifier}`);

    beforeEach(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'plugsocket-deprule-'));
      write('src/index.ts', 'export const ok = 1;\n');
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('a transport library imported from src/', () => {
      write('src/a.ts', "import { WebSocket } from 'ws';\nexport { WebSocket };\n");
      write('src/b.ts', "export const io = await import('socket.io-client');\n");
      expect(rules()).to.have.members(['src/a.ts ws', 'src/b.ts socket.io-client']);
    });

    it('a Node-only module imported from src/', () => {
      write(
        'src/a.ts',
        "import http from 'node:http';\nimport net from 'net';\nexport { http, net };\n",
      );
      expect(rules()).to.have.members(['src/a.ts node:http', 'src/a.ts net']);
    });

    it('the container library imported from src/ outside src/di/', () => {
      write('src/a.ts', "import { Container } from 'inversify';\nexport { Container };\n");
      write('src/b.ts', "import 'reflect-metadata';\n");
      write('src/di/c.ts', "import { Container } from 'inversify';\nexport { Container };\n");
      expect(rules()).to.have.members(['src/a.ts inversify', 'src/b.ts reflect-metadata']);
    });

    it('src/ reaching into an adapter', () => {
      write('src/a.ts', "export { X } from '../adapters/ws/index.js';\n");
      expect(rules()).to.deep.equal(['src/a.ts ../adapters/ws/index.js']);
    });

    it('one adapter importing another', () => {
      write(
        'adapters/ws/a.ts',
        "import { M } from '../memory/index.js';\nimport { S } from '../../src/index.js';\nexport { M, S };\n",
      );
      expect(rules()).to.deep.equal(['adapters/ws/a.ts ../memory/index.js']);
    });

    it('adapters/shared/ importing a transport library or an adapter (adapters may import it)', () => {
      write('adapters/ws/a.ts', "import { guard } from '../shared/guard.js';\nexport { guard };\n");
      write(
        'adapters/shared/guard.ts',
        "import type { Server } from 'node:http';\nimport { WebSocket } from 'ws';\nimport { M } from '../memory/index.js';\nimport { S } from '../../src/index.js';\nexport type { Server };\nexport { WebSocket, M, S };\n",
      );
      expect(rules()).to.have.members([
        'adapters/shared/guard.ts ws',
        'adapters/shared/guard.ts ../memory/index.js',
      ]);
    });

    it('react or react-dom imported outside adapters/react/', () => {
      write('src/a.ts', "import { useState } from 'react';\nexport { useState };\n");
      write(
        'adapters/ws/a.ts',
        "import { createRoot } from 'react-dom/client';\nexport { createRoot };\n",
      );
      write(
        'adapters/memory/a.ts',
        "import { usePlugSocket } from 'plugsocket/react';\nexport { usePlugSocket };\n",
      );
      write(
        'adapters/react/a.ts',
        "import { useSyncExternalStore } from 'react';\nimport { createRoot } from 'react-dom/client';\nimport { S } from '../../src/index.js';\nexport { useSyncExternalStore, createRoot, S };\n",
      );
      expect(rules()).to.have.members([
        'src/a.ts react',
        'adapters/ws/a.ts react-dom/client',
        'adapters/memory/a.ts plugsocket/react',
      ]);
    });

    it('contracts importing past the public API, or a test framework', () => {
      write(
        'contracts/a.ts',
        "import { x } from '../src/ports/close.js';\nimport { y } from '../src/index.js';\nimport ws from 'ws';\nimport { expect } from 'chai';\nimport 'mocha';\nexport { x, y, ws, expect };\n",
      );
      expect(rules()).to.have.members([
        'contracts/a.ts ../src/ports/close.js',
        'contracts/a.ts chai',
        'contracts/a.ts mocha',
      ]);
    });

    it('an example importing library internals instead of the package', () => {
      write(
        'examples/app/a.ts',
        "import { x } from '../../src/index.js';\nimport { y } from 'plugsocket';\nexport { x, y };\n",
      );
      expect(rules()).to.deep.equal(['examples/app/a.ts ../../src/index.js']);
    });
  });
});
