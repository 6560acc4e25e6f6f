// The browser stand-in for the `debug` package (package.json "imports" #debug, browser
// condition): namespaces enabled by localStorage.debug as `debug` enables them, output on the
// console.
import { expect } from 'chai';
import sinon from 'sinon';
import createDebug, { matches } from '../../src/shared/debug-browser.js';

describe('debug-browser (#debug in browser builds)', () => {
  const g = globalThis as { localStorage?: unknown };
  let saved: unknown;

  beforeEach(() => {
    saved = g.localStorage;
  });

  afterEach(() => {
    g.localStorage = saved;
    sinon.restore();
  });

  const storage = (value: string | null) => {
    g.localStorage = { getItem: (key: string) => (key === 'debug' ? value : null) };
  };

  it('is silent without localStorage or without a debug key', () => {
    delete g.localStorage;
    expect(createDebug('plugsocket:client').enabled).to.equal(false);
    storage(null);
    expect(createDebug('plugsocket:client').enabled).to.equal(false);
  });

  it('enables by wildcard pattern and excludes with a leading -', () => {
    storage('plugsocket:*, -plugsocket:*:heartbeat');
    expect(createDebug('plugsocket:client').enabled).to.equal(true);
    expect(createDebug('plugsocket:client:heartbeat').enabled).to.equal(false);
    expect(createDebug('other').enabled).to.equal(false);
    storage('plugsocket:client');
    expect(createDebug('plugsocket:client').enabled).to.equal(true);
    expect(createDebug('plugsocket:client:x').enabled).to.equal(false);
  });

  it('treats pattern characters other than * literally', () => {
    storage('plugsocket.client');
    expect(createDebug('plugsocketXclient').enabled).to.equal(false);
  });

  it('survives a storage that throws (blocked by privacy settings)', () => {
    g.localStorage = {
      getItem() {
        throw new Error('SecurityError');
      },
    };
    expect(createDebug('plugsocket:client').enabled).to.equal(false);
  });

  it('writes enabled namespaces to the console method their suffix names, and nothing else', () => {
    storage('plugsocket:*');
    const debug = sinon.stub(console, 'debug');
    const warn = sinon.stub(console, 'warn');
    const error = sinon.stub(console, 'error');
    createDebug('plugsocket:client')('%s', 'hello');
    createDebug('plugsocket:client:warn')('%s', 'careful');
    createDebug('plugsocket:client:error')('%s', 'broken');
    createDebug('quiet')('%s', 'unseen');
    sinon.restore();
    expect(debug.args).to.deep.equal([['plugsocket:client hello']]);
    expect(warn.args).to.deep.equal([['plugsocket:client:warn careful']]);
    expect(error.args).to.deep.equal([['plugsocket:client:error broken']]);
  });
});

describe('debug-browser matches()', () => {
  it('matches * as any run of characters, everything else literally', () => {
    expect(matches('plugsocket:*', 'plugsocket:client')).to.equal(true);
    expect(matches('plugsocket:*', 'plugsocket:')).to.equal(true);
    expect(matches('*', '')).to.equal(true);
    expect(matches('*:warn', 'plugsocket:client:warn')).to.equal(true);
    expect(matches('p*s*t', 'plugsocket:client:heartbeat')).to.equal(true);
    expect(matches('a*a', 'a')).to.equal(false); // prefix and suffix may not overlap
    expect(matches('a*b*c', 'acb')).to.equal(false);
    expect(matches('plugsocket', 'plugsocket:client')).to.equal(false);
    expect(matches('plug.ocket', 'plugsocket')).to.equal(false);
  });

  it('stays fast on patterns that make a backtracking matcher explode', () => {
    const pattern = `${'*a'.repeat(20)} b`;
    const namespace = 'a'.repeat(5000);
    // A backtracking matcher takes minutes here (mocha's timeout fails it); a linear one, no time.
    expect(matches(pattern, namespace)).to.equal(false);
  });
});
