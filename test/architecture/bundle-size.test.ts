// The browser bundle stays small, free of Node built-ins and of server code: the minimal client
// app is bundled as an application would (tools/bundle-size.ts) and held to its budget.
import { expect } from 'chai';
import {
  CLIENT_BUDGET,
  SCENARIOS,
  measure,
  problems,
  type SizeResult,
} from '../../tools/bundle-size.js';

describe('browser bundle size (tools/bundle-size.ts)', function () {
  this.timeout(60_000);
  let results: SizeResult[];

  before(async () => {
    results = [];
    for (const scenario of SCENARIOS) results.push(await measure(scenario));
  });

  it('bundles every app for the browser platform (no Node built-in reached)', () => {
    // esbuild refuses to resolve node:* modules on the browser platform, so measure() would
    // have thrown; each bundle is non-trivial.
    expect(results.map((r) => r.minified > 1000)).to.deep.equal(SCENARIOS.map(() => true));
  });

  it(`keeps the client app within its budget of ${CLIENT_BUDGET} bytes gzipped`, () => {
    expect(results[0].budget).to.equal(CLIENT_BUDGET);
    expect(results[0].gzip).to.be.at.most(CLIENT_BUDGET);
  });

  it('tree-shakes: no server code in a client bundle, and the transport alone is a fraction of the client', () => {
    for (const r of results) expect(r.serverFiles, r.name).to.deep.equal([]);
    expect(results[1].gzip).to.be.below(results[0].gzip / 3);
  });

  it('reports a budget overrun and server code as problems', () => {
    const over: SizeResult = {
      ...results[0],
      gzip: CLIENT_BUDGET + 1,
      serverFiles: ['src/server/router.ts'],
    };
    const found = problems([over]);
    expect(found).to.have.length(2);
    expect(found[0]).to.include('over its budget');
    expect(found[1]).to.include('src/server/router.ts');
  });
});
