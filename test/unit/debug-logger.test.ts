// The `debug` package as plugsocket's default log sink: namespaces per level and per part,
// readable context, nothing formatted while a namespace is off; and a logger the user passes
// still receiving everything, with the part in the context.
import { expect } from 'chai';
import createDebug, { type Debugger } from 'debug';
import { format } from 'node:util';
import {
  PlugSocketError,
  debugLogger,
  silentLogger,
  type AuthorizationStrategy,
  type Logger,
} from '../../src/index.js';
import { partLogger } from '../../src/logger.js';
import { RawClient, cleanUp, flush, startServer } from './support.js';

interface Line {
  namespace: string;
  text: string;
}

describe('debugLogger', () => {
  let lines: Line[];
  let previousLog: typeof createDebug.log;
  let previousNamespaces: string;

  /** Enables `namespaces` (as `DEBUG` would) and records what is printed. */
  const enable = (namespaces: string): void => createDebug.enable(namespaces);

  beforeEach(() => {
    lines = [];
    previousNamespaces = createDebug.disable();
    previousLog = createDebug.log;
    createDebug.log = function (this: Debugger, ...args: unknown[]) {
      lines.push({ namespace: this.namespace, text: format(...args) });
    };
  });
  afterEach(async () => {
    createDebug.log = previousLog;
    createDebug.disable();
    if (previousNamespaces !== '') createDebug.enable(previousNamespaces);
    await cleanUp();
  });

  it('prints nothing, and formats nothing, while its namespaces are off', () => {
    const logger = debugLogger('plugsocket:spec');
    let read = 0;
    const context = {
      get clientId() {
        read++;
        return 'abc';
      },
    };
    logger.debug('quiet', context);
    logger.warn('quiet', context);
    logger.error('quiet', context);
    expect(lines).to.deep.equal([]);
    expect(read, 'the context was not looked at').to.equal(0);
  });

  it('writes debug, warn and error to <namespace>, <namespace>:warn and <namespace>:error', () => {
    enable('plugsocket:spec*');
    const logger = debugLogger('plugsocket:spec');
    logger.debug('one');
    logger.warn('two');
    logger.error('three');
    expect(lines.map((l) => l.namespace)).to.deep.equal([
      'plugsocket:spec',
      'plugsocket:spec:warn',
      'plugsocket:spec:error',
    ]);
    expect(lines.map((l) => l.text)).to.satisfy((texts: string[]) =>
      ['one', 'two', 'three'].every((word, i) => texts[i].includes(word)),
    );
  });

  it('enables each level alone: DEBUG=plugsocket:*:error shows errors only', () => {
    enable('plugsocket:*:error');
    const logger = debugLogger('plugsocket:spec');
    logger.debug('hidden');
    logger.warn('hidden');
    logger.error('shown');
    expect(lines.map((l) => l.namespace)).to.deep.equal(['plugsocket:spec:error']);
  });

  it('formats the context as key=value on one line: strings bare or quoted, errors by name and message, the rest as JSON', () => {
    enable('plugsocket:spec');
    const logger = debugLogger('plugsocket:spec');
    const cause = new TypeError('bad input');
    logger.debug('request failed', {
      clientId: 'abc',
      reason: 'two words',
      count: 3,
      topics: ['a', 'b'],
      error: new PlugSocketError('TIMEOUT', 'too slow', { cause }),
    });
    expect(lines).to.have.length(1);
    expect(lines[0].text).to.include(
      'request failed clientId=abc reason="two words" count=3 topics=["a","b"] ' +
        'error="PlugSocketError[TIMEOUT]: too slow" cause="TypeError: bad input"',
    );
    expect(lines[0].text).to.not.include('\n');
  });

  it('survives a context it cannot serialise (a cycle, a bigint)', () => {
    enable('plugsocket:spec');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    debugLogger('plugsocket:spec').debug('odd', { cyclic, big: 10n });
    expect(lines[0].text).to.include('odd cyclic=[object Object] big=10');
  });

  it('rejects an empty namespace', () => {
    expect(() => debugLogger('')).to.throw(TypeError);
  });

  describe('partLogger', () => {
    it('gives a part of a debug sink its own sub-namespace', () => {
      enable('plugsocket:spec:heartbeat*');
      const part = partLogger(debugLogger('plugsocket:spec'), 'heartbeat');
      part.debug('tick');
      part.error('late');
      debugLogger('plugsocket:spec').debug('not this one');
      expect(lines.map((l) => l.namespace)).to.deep.equal([
        'plugsocket:spec:heartbeat',
        'plugsocket:spec:heartbeat:error',
      ]);
    });

    it('forwards every call to any other logger, with the part in the context', () => {
      const calls: [string, string, Record<string, unknown> | undefined][] = [];
      const user: Logger = {
        debug: (m, c) => calls.push(['debug', m, c]),
        warn: (m, c) => calls.push(['warn', m, c]),
        error: (m, c) => calls.push(['error', m, c]),
      };
      const part = partLogger(user, 'admission');
      part.debug('refused', { code: 'UNAUTHORIZED' });
      part.warn('odd');
      part.error('broken', { part: 'own value wins' });
      expect(calls).to.deep.equal([
        ['debug', 'refused', { part: 'admission', code: 'UNAUTHORIZED' }],
        ['warn', 'odd', { part: 'admission' }],
        ['error', 'broken', { part: 'own value wins' }],
      ]);
      expect(partLogger(silentLogger, 'x')).to.equal(silentLogger);
    });
  });

  describe('as the SocketServer default', () => {
    const refusing: AuthorizationStrategy = {
      authorize: () => ({ ok: false, reason: 'no entry' }),
      applyAuthorization: (options) => options,
    };

    it('logs under plugsocket:server and plugsocket:server:<part> once DEBUG enables them', async () => {
      enable('plugsocket:server*');
      const { server, url } = await startServer({ authorization: refusing });
      server.onError(() => undefined);
      await new RawClient().open(url);
      await flush();
      const refused = lines.find((l) => l.text.includes('connection refused'));
      expect(refused?.namespace).to.equal('plugsocket:server:admission');
      expect(refused?.text).to.include('reason="no entry"');
    });

    it('prints nothing with DEBUG unset', async () => {
      const { url } = await startServer({ authorization: refusing });
      await new RawClient().open(url);
      await flush();
      expect(lines).to.deep.equal([]);
    });

    it('leaves a logger passed as an option receiving everything, with the part', async () => {
      enable('plugsocket:*');
      const calls: [string, Record<string, unknown> | undefined][] = [];
      const user: Logger = {
        debug: (m, c) => calls.push([m, c]),
        warn: (m, c) => calls.push([m, c]),
        error: (m, c) => calls.push([m, c]),
      };
      const { url } = await startServer({ authorization: refusing, logger: user });
      await new RawClient().open(url);
      await flush();
      expect(calls.find(([m]) => m === 'connection refused')?.[1]).to.deep.include({
        part: 'admission',
        reason: 'no entry',
      });
      expect(lines, 'nothing went to debug').to.deep.equal([]);
    });
  });
});
