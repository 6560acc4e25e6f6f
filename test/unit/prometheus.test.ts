// plugsocket/prometheus against a real prom-client Registry: what a scrape shows is what
// getMetrics() says at that moment, per-topic series are capped, and unregistering removes
// every metric.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Registry } from 'prom-client';
import { registerPlugsocketMetrics } from '../../adapters/prometheus/index.js';
import type { ServerMetricsSnapshot } from '../../src/index.js';
import { checkDependencyRule } from '../architecture/dependency-rule.js';
import { cleanUp, connectClient, flush, startServer } from './support.js';

/** A source whose snapshot the test sets, counting how often it is read. */
function fakeServer(overrides: Partial<ServerMetricsSnapshot> = {}) {
  const snapshot: ServerMetricsSnapshot = {
    connections: 2,
    connectionsTotal: 5,
    messagesIn: 40,
    messagesOut: 90,
    bytesIn: 1200,
    bytesOut: 3400,
    errors: 3,
    refusals: { auth: 1, rateLimit: 7, payload: 2, capacity: 4 },
    timeouts: 6,
    volatileDropped: 8,
    topics: { lobby: 2, news: 1 },
    uptime: 12_500,
    backplane: { up: 1, outages: 9, packetsOut: 10, packetsIn: 11, packetsDropped: 12, errors: 13 },
    ...overrides,
  };
  const source = {
    reads: 0,
    snapshot,
    getMetrics(): ServerMetricsSnapshot {
      this.reads++;
      return this.snapshot;
    },
  };
  return source;
}

/** The value of one sample line (`name{labels} value`) of a scrape. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('registerPlugsocketMetrics (plugsocket/prometheus)', () => {
  afterEach(cleanUp);

  it("exposes every field of the server's snapshot", async () => {
    const registry = new Registry();
    registerPlugsocketMetrics(fakeServer(), { registry });
    const text = await registry.metrics();
    const expected: [string, number][] = [
      ['plugsocket_connections', 2],
      ['plugsocket_connections_total', 5],
      ['plugsocket_messages_received_total', 40],
      ['plugsocket_messages_sent_total', 90],
      ['plugsocket_received_bytes_total', 1200],
      ['plugsocket_sent_bytes_total', 3400],
      ['plugsocket_errors_total', 3],
      ['plugsocket_refusals_total{reason="auth"}', 1],
      ['plugsocket_refusals_total{reason="rate_limit"}', 7],
      ['plugsocket_refusals_total{reason="payload"}', 2],
      ['plugsocket_refusals_total{reason="capacity"}', 4],
      ['plugsocket_heartbeat_timeouts_total', 6],
      ['plugsocket_volatile_dropped_total', 8],
      ['plugsocket_backplane_outages_total', 9],
      ['plugsocket_backplane_packets_sent_total', 10],
      ['plugsocket_backplane_packets_received_total', 11],
      ['plugsocket_backplane_packets_dropped_total', 12],
      ['plugsocket_backplane_errors_total', 13],
      ['plugsocket_backplane_up', 1],
      ['plugsocket_topics', 2],
      ['plugsocket_topic_subscribers{topic="lobby"}', 2],
      ['plugsocket_topic_subscribers{topic="news"}', 1],
      ['plugsocket_uptime_seconds', 12.5],
    ];
    for (const [series, value] of expected) expect(sample(text, series), series).to.equal(value);
    expect(text).to.include('# TYPE plugsocket_messages_sent_total counter');
    expect(text).to.include('# TYPE plugsocket_connections gauge');
  });

  it('reads the server once per scrape, and again at the next one', async () => {
    const registry = new Registry();
    const server = fakeServer();
    registerPlugsocketMetrics(server, { registry });
    await registry.metrics();
    expect(server.reads).to.equal(1);
    server.snapshot = { ...server.snapshot, messagesIn: 41, topics: { lobby: 3 } };
    const text = await registry.metrics();
    expect(server.reads).to.equal(2);
    expect(sample(text, 'plugsocket_messages_received_total')).to.equal(41);
    expect(sample(text, 'plugsocket_topic_subscribers{topic="lobby"}')).to.equal(3);
    expect(text, 'a topic gone since the last scrape is gone').to.not.include('topic="news"');
  });

  it('adds fixed labels and a prefix to every metric', async () => {
    const registry = new Registry();
    registerPlugsocketMetrics(fakeServer(), {
      registry,
      prefix: 'chat_',
      labels: { server: 'eu-1' },
    });
    const text = await registry.metrics();
    expect(sample(text, 'chat_connections{server="eu-1"}')).to.equal(2);
    expect(sample(text, 'chat_refusals_total{server="eu-1",reason="auth"}')).to.equal(1);
    expect(sample(text, 'chat_topic_subscribers{server="eu-1",topic="lobby"}')).to.equal(2);
    expect(text).to.not.include('plugsocket_');
  });

  it('reports the maxTopics largest topics (ties by name), and counts them all in topics', async () => {
    const registry = new Registry();
    const topics: Record<string, number> = {};
    for (let i = 0; i < 150; i++) topics[`t${String(i).padStart(3, '0')}`] = i % 10;
    registerPlugsocketMetrics(fakeServer({ topics }), { registry, maxTopics: 12 });
    const text = await registry.metrics();
    const series = text.split('\n').filter((l) => l.startsWith('plugsocket_topic_subscribers{'));
    expect(series).to.have.length(12);
    expect(series.every((l) => l.endsWith(' 9'))).to.equal(true);
    expect(series[0]).to.include('topic="t009"');
    expect(sample(text, 'plugsocket_topics')).to.equal(150);
  });

  it('caps the per-topic series at 100 by default, and leaves them out with maxTopics: 0', async () => {
    const topics: Record<string, number> = {};
    for (let i = 0; i < 101; i++) topics[`t${i}`] = 1;
    const capped = new Registry();
    registerPlugsocketMetrics(fakeServer({ topics }), { registry: capped });
    const cappedText = await capped.metrics();
    expect(cappedText.match(/^plugsocket_topic_subscribers\{/gm)).to.have.length(100);
    const none = new Registry();
    registerPlugsocketMetrics(fakeServer({ topics }), { registry: none, maxTopics: 0 });
    expect(await none.metrics()).to.not.include('plugsocket_topic_subscribers');
  });

  it('unregisters every metric it registered, once', () => {
    const registry = new Registry();
    const unregister = registerPlugsocketMetrics(fakeServer(), { registry });
    expect(registry.getMetricsAsArray().length).to.equal(19);
    unregister();
    unregister();
    expect(registry.getMetricsAsArray()).to.deep.equal([]);
    // The names are free again.
    registerPlugsocketMetrics(fakeServer(), { registry });
    expect(registry.getMetricsAsArray().length).to.equal(19);
  });

  it('refuses a second registration of the same names, leaving the first intact', () => {
    const registry = new Registry();
    registerPlugsocketMetrics(fakeServer(), { registry });
    expect(() => registerPlugsocketMetrics(fakeServer(), { registry })).to.throw(/already/);
    expect(registry.getMetricsAsArray().length).to.equal(19);
  });

  it('checks its arguments', () => {
    const registry = new Registry();
    expect(() => registerPlugsocketMetrics({} as never, { registry })).to.throw(TypeError);
    expect(() =>
      registerPlugsocketMetrics(fakeServer(), { registry, labels: { topic: 'x' } }),
    ).to.throw(TypeError, /topic/);
    expect(() =>
      registerPlugsocketMetrics(fakeServer(), { registry, labels: { n: 1 as never } }),
    ).to.throw(TypeError);
    expect(() => registerPlugsocketMetrics(fakeServer(), { registry, maxTopics: -1 })).to.throw(
      RangeError,
    );
    expect(registry.getMetricsAsArray()).to.deep.equal([]);
  });

  it("shows a live server's counters at scrape time", async () => {
    const registry = new Registry();
    const { server, url } = await startServer();
    registerPlugsocketMetrics(server, { registry });
    const alice = await connectClient(url);
    const bob = await connectClient(url);
    await alice.join('lobby');
    await bob.join('lobby');
    server.broadcast({ type: 'hello', payload: 1 });
    await flush();
    const text = await registry.metrics();
    const m = server.getMetrics();
    expect(sample(text, 'plugsocket_connections')).to.equal(2);
    expect(sample(text, 'plugsocket_messages_sent_total')).to.equal(m.messagesOut);
    expect(sample(text, 'plugsocket_messages_received_total')).to.equal(m.messagesIn);
    expect(sample(text, 'plugsocket_topic_subscribers{topic="lobby"}')).to.equal(2);
  });

  it('is the only place prom-client may be imported (the dependency rule)', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'plugsocket-deprule-prom-'));
    try {
      const write = (rel: string, text: string): void => {
        mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
        writeFileSync(path.join(dir, rel), text);
      };
      const importing = "import { Gauge } from 'prom-client';\nexport { Gauge };\n";
      write('src/a.ts', importing);
      write('adapters/ws/b.ts', importing);
      write('adapters/shared/c.ts', importing);
      write('adapters/prometheus/d.ts', `${importing}export * from '../../src/index.js';\n`);
      write('src/index.ts', 'export const ok = 1;\n');
      expect(checkDependencyRule(dir).map((v) => v.file)).to.have.members([
        path.join('src', 'a.ts'),
        path.join('adapters', 'ws', 'b.ts'),
        path.join('adapters', 'shared', 'c.ts'),
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
