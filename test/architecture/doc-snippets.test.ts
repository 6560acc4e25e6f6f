// The doc snippet checker (tools/doc-snippets.ts) is what keeps the docs' examples from rotting,
// so it is itself proven to catch rot: a tiny page with a good block, a bad one and fragments is
// really compiled (against the source, through the `plugsocket-source` condition, so this test
// needs no build), and the bad lines are reported where they are in the markdown. Then each way
// a broken block once passed unnoticed (a fence in a blockquote, a suffix glued to `ts`, a
// mistyped context comment, `@ts-nocheck`, a relative import of the sources) is shown to fail,
// and one test checks a page against the built dist/, the path `npm run docs:snippets` takes.
import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import {
  buildDist,
  checkBlocks,
  extractBlocks,
  snippetCompilerOptions,
  staleDist,
  summary,
} from '../../tools/doc-snippets.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** A module that compiles against the package, and the same one with a renamed method. */
const GOOD = [
  "import { SocketServer } from 'plugsocket';",
  "import { MemorySocketServer } from 'plugsocket/memory';",
  'const server = new SocketServer(new MemorySocketServer());',
  'await server.listen();',
];
const BAD = [...GOOD.slice(0, 3), 'server.startListening();'];

const PAGE = [
  '# A page', //                                                     1
  '', //                                                             2
  '```ts', //                                                        3
  "import { SocketServer } from 'plugsocket';", //                   4
  "import { MemorySocketServer } from 'plugsocket/memory';", //      5
  'const server = new SocketServer(new MemorySocketServer());', //  6
  'await server.listen();', //                                       7
  '```', //                                                          8
  '', //                                                             9
  'An example that rotted: the method was renamed.', //             10
  '', //                                                            11
  '```ts', //                                                       12
  "import { SocketServer } from 'plugsocket';", //                  13
  "import { MemorySocketServer } from 'plugsocket/memory';", //     14
  'const server = new SocketServer(new MemorySocketServer());', // 15
  'server.startListening();', //                                    16
  '```', //                                                         17
  '', //                                                            18
  '<!-- snippet-context:', //                                       19
  "import type { SocketServer } from 'plugsocket';", //             20
  'declare const server: SocketServer;', //                         21
  '-->', //                                                         22
  '', //                                                            23
  '```ts fragment', //                                              24
  "server.to('lobby').emit('said', { text: 'hi' });", //             25
  'const n: string = server.getMetrics().connections; // rot', //   26
  '```', //                                                         27
  '', //                                                            28
  '```ts fragment syntax-only', //                                  29
  'protected override doSend(frame: Frame): boolean {', //          30
  '  return this.#socket.write(frame);', //                         31
  '}', //                                                           32
  '```', //                                                         33
  '', //                                                            34
  '```ts fragment syntax-only', //                                  35
  'const broken = ;', //                                            36
  '```', //                                                         37
  '', //                                                            38
  '```sh', //                                                       39
  'npm run nothing-to-check', //                                    40
  '```', //                                                         41
].join('\n');

describe('doc snippet checker (tools/doc-snippets.ts)', () => {
  it('finds the ts blocks, and tells fragments and their context apart', () => {
    const blocks = extractBlocks('page.md', PAGE);
    expect(blocks.map((block) => [block.line, block.fragment, block.context.length])).to.deep.equal(
      [
        [3, false, 0],
        [12, false, 0],
        [24, true, 1],
        [29, true, 0],
        [35, true, 0],
      ],
    );
    expect(blocks[2].context[0].line).to.equal(20);
  });

  it('type-checks the page and reports each bad line where it is in the markdown', function () {
    this.timeout(30_000); // about 8 s: one program, compiled from the source
    const result = checkBlocks(extractBlocks('page.md', PAGE), {
      conditions: ['plugsocket-source'],
    });
    const where = result.failures.map((failure) => `${failure.file}:${failure.line}`);
    expect(where).to.deep.equal(['page.md:16', 'page.md:26', 'page.md:36']);
    expect(result.failures[0].message).to.match(/TS2339: .*startListening/);
    expect(result.failures[1].message).to.match(/TS2322: .*'number'.*'string'/);
    expect(summary(result)).to.equal(
      '5 blocks checked (3 fragments, 2 only syntax-checked), 3 failed',
    );
  });

  it('reports a mistyped fence word rather than skipping the block', () => {
    const [block] = extractBlocks('page.md', '```ts fragmnet\nconst a = 1;\n```\n');
    expect(block.problems).to.have.length(1);
    expect(block.problems[0]).to.include('fragmnet');
  });

  it('checks a fence in a blockquote, without touching a `>` line of a plain block', () => {
    const page = [
      '> A note:', //                                                   1
      '>', //                                                           2
      '> ```ts', //                                                     3
      ...BAD.map((line) => `> ${line}`), //                             4-7
      '> ```', //                                                       8
      '', //                                                            9
      '```tsx', //                                                     10
      'const a = <div', //                                             11
      '>', //                                                          12
      '  hi</div>;', //                                                13
      '```', //                                                        14
    ].join('\n');
    const blocks = extractBlocks('page.md', page);
    expect(blocks.map((block) => block.line)).to.deep.equal([3, 10]);
    expect(blocks[0].code).to.equal(BAD.join('\n'));
    expect(blocks[1].code).to.equal('const a = <div\n>\n  hi</div>;');
    expect(blocks.flatMap((block) => block.problems)).to.deep.equal([]);
  });

  it('reports a suffix glued to the language, and a TypeScript-looking fence it does not know', () => {
    const fence = (info: string): string[] =>
      extractBlocks('page.md', `\`\`\`${info}\nconst a = 1;\n\`\`\`\n`).flatMap((b) => b.problems);
    for (const info of ['ts{3}', 'ts:file.ts', 'tsx{1,2} fragment', 'typescriptreact', 'tsnode'])
      expect(fence(info), info).to.have.length.greaterThan(0);
    for (const info of ['ts', 'typescript', 'tsx', 'mts', 'cts', 'ts syntax-only', 'sh', 'json'])
      expect(fence(info), info).to.deep.equal([]);
    const langs = extractBlocks('page.md', '```mts\nexport {};\n```\n\n```cts\nexport {};\n```\n');
    expect(langs.map((block) => block.lang)).to.deep.equal(['mts', 'cts']);
  });

  it('reports a mistyped snippet comment, a stray context and a fragment with no context', () => {
    const context = [
      "import type { SocketServer } from 'plugsocket';",
      'declare const server: SocketServer;',
    ];
    const problems = (page: string[]): string[] =>
      extractBlocks('page.md', page.join('\n')).flatMap((block) => block.problems);
    const fragment = ['```ts fragment', 'server.close();', '```'];
    expect(problems(['<!-- snippet-contex:', ...context, '-->', ...fragment])).to.have.length(2);
    expect(problems(['<!--snippet-context:', ...context, '-->', ...fragment])).to.have.length(2);
    expect(problems(['<!-- Snippet-Context: x -->', '', ...fragment])).to.have.length(2);
    expect(
      problems(['<!-- snippet-context:', ...context, '-->', 'Some text.', ...fragment]),
    ).to.have.length(2);
    expect(problems(fragment)).to.have.length(1);
    expect(problems(['```ts fragment syntax-only', 'server.close();', '```'])).to.deep.equal([]);
    expect(problems(['<!-- snippet-context:', ...context, '-->', '', ...fragment])).to.deep.equal(
      [],
    );
    expect(
      problems(['<!-- snippet-page-context:', ...context, '-->', '', ...fragment]),
    ).to.deep.equal([]);
    // a comment shown in inline code is prose, and other comments are not looked at
    expect(
      problems(['Write `<!-- snippet-context: … -->` first.', '<!-- toc -->', '', ...fragment]),
    ).to.have.length(1);
  });

  it('rejects @ts-nocheck, @ts-ignore and @ts-expect-error, in a block or its context', () => {
    for (const directive of ['// @ts-nocheck', '// @ts-ignore', '/* @ts-expect-error */']) {
      const [block] = extractBlocks('page.md', ['```ts', directive, ...BAD, '```'].join('\n'));
      expect(block.problems, directive).to.have.length(1);
      expect(block.problems[0]).to.include(directive.replace(/^\/[/*] | \*\/$/g, ''));
    }
    const [fragment] = extractBlocks(
      'page.md',
      [
        '<!-- snippet-context:',
        '// @ts-nocheck',
        'declare const n: number;',
        '-->',
        '```ts fragment',
        'n.x;',
        '```',
      ].join('\n'),
    );
    expect(fragment.problems).to.have.length(1);
  });

  it('fails a block that imports the sources by a relative path', () => {
    const page = [
      '```ts fragment syntax-only', //                                   1
      "import { SocketServer } from '../../src/index.js';", //           2
      '```', //                                                          3
      '', //                                                             4
      '```ts fragment syntax-only', //                                   5
      "import type { Frame } from '../../../adapters/ws/index.js';", // 6
      "import { x } from './app.js';", //                                7
      '```', //                                                          8
    ].join('\n');
    const result = checkBlocks(extractBlocks('page.md', page), {
      conditions: ['plugsocket-source'],
    });
    expect(result.failures.map((failure) => failure.line)).to.deep.equal([1]);
    expect(result.failures[0].message).to.include('src/index.js');
  });

  it('checks a page against the built dist/, as npm run docs:snippets does', function () {
    this.timeout(60_000); // a build of about 20 s when dist/ is stale, then a check of a few s
    if (staleDist()) expect(buildDist(undefined, 'pipe'), 'npm run build').to.equal(true);
    expect(staleDist()).to.equal(undefined);
    const resolved = ts.resolveModuleName(
      'plugsocket',
      path.join(ROOT, '.scratch', 'probe.ts'),
      snippetCompilerOptions(),
      ts.sys,
    ).resolvedModule?.resolvedFileName;
    expect(path.relative(ROOT, resolved ?? '')).to.match(/^dist[/\\]/);
    const page = [
      '```ts', //   1
      ...GOOD, //   2-5
      '```', //     6
      '', //        7
      '```ts', //   8
      ...BAD, //    9-12
      '```', //    13
      '', //       14
      '```ts', //  15
      "import { SocketServer } from '../../src/index.js';", // 16
      'export const s: SocketServer | undefined = undefined;', // 17
      '```', //    18
    ].join('\n');
    const result = checkBlocks(extractBlocks('page.md', page));
    expect(result.failures.map((failure) => failure.line)).to.deep.equal([12, 15]);
    expect(result.failures[0].message).to.match(/TS2339: .*startListening/);
    expect(result.failures[1].message).to.match(/resolves to the package's sources/);
  });
});
