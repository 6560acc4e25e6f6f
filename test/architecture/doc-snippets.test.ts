// The doc snippet checker (tools/doc-snippets.ts) is what keeps the docs' examples from rotting,
// so it is itself proven to catch rot: a tiny page with a good block, a bad one and fragments is
// really compiled (against the source, through the `plugsocket-source` condition, so this test
// needs no build), and the bad lines are reported where they are in the markdown.
import { expect } from 'chai';
import { checkBlocks, extractBlocks, summary } from '../../tools/doc-snippets.js';

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
  '```ts fragment', //                                              29
  'protected override doSend(frame: Frame): boolean {', //          30
  '  return this.#socket.write(frame);', //                         31
  '}', //                                                           32
  '```', //                                                         33
  '', //                                                            34
  '```ts fragment', //                                              35
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
});
