import { Counter, Gauge, register as defaultRegistry, type Registry } from 'prom-client';
import type { ServerMetricsSnapshot } from '../../src/server/metrics.js';

/** What {@link registerPlugsocketMetrics} reads: a `SocketServer`, whatever its type parameters. */
export interface MetricsSource {
  getMetrics(): ServerMetricsSnapshot;
}

/** Options of {@link registerPlugsocketMetrics}. */
export interface PrometheusOptions {
  /** The registry the metrics are registered in. @default prom-client's global `register` */
  registry?: Registry;
  /**
   * Prepended to every metric name; give each server on one registry its own prefix (or its own
   * registry), as two registrations of one name collide. @default 'plugsocket_'
   */
  prefix?: string;
  /**
   * Labels with fixed values added to every metric of this server, e.g. `{ server: 'chat' }`.
   * `topic` and `reason` are taken by the exporter's own labels.
   */
  labels?: Readonly<Record<string, string>>;
  /**
   * The most topics `topic_subscribers` reports: those with the most subscribers (ties by
   * name), so a server with many small topics does not flood the time-series database. The
   * `topics` gauge always counts every topic. `0` leaves the per-topic gauge out. @default 100
   */
  maxTopics?: number;
}

/** The default of {@link PrometheusOptions.maxTopics}. */
export const DEFAULT_MAX_TOPICS = 100;

/** Labels the exporter sets itself. */
const OWN_LABELS = new Set(['topic', 'reason']);

/** A counter's name (after the prefix), help, and the snapshot field it reads. */
const COUNTERS: readonly [
  name: string,
  help: string,
  read: (m: ServerMetricsSnapshot) => number,
][] = [
  ['connections_total', 'Clients admitted since the server started.', (m) => m.connectionsTotal],
  [
    'messages_received_total',
    'Frames received from clients, refused ones included.',
    (m) => m.messagesIn,
  ],
  [
    'messages_sent_total',
    'Frames the transport accepted for sending; a broadcast to N clients counts N.',
    (m) => m.messagesOut,
  ],
  [
    'received_bytes_total',
    'Size of the frames received: text in UTF-16 code units, binary in bytes, structured frames not measured.',
    (m) => m.bytesIn,
  ],
  [
    'sent_bytes_total',
    'Size of the frames sent, measured as received_bytes_total; a broadcast counts its frame per recipient.',
    (m) => m.bytesOut,
  ],
  ['errors_total', 'Errors reported on onError.', (m) => m.errors],
  ['heartbeat_timeouts_total', 'Clients ended for missing their heartbeat.', (m) => m.timeouts],
  [
    'volatile_dropped_total',
    'Volatile messages skipped for a recipient over its high-water mark (one per recipient).',
    (m) => m.volatileDropped,
  ],
  [
    'backplane_outages_total',
    'Times the backplane to the other nodes became unreachable.',
    (m) => m.backplane.outages,
  ],
  [
    'backplane_packets_sent_total',
    'Packets this node handed to the backplane.',
    (m) => m.backplane.packetsOut,
  ],
  [
    'backplane_packets_received_total',
    'Packets other nodes sent this node.',
    (m) => m.backplane.packetsIn,
  ],
  [
    'backplane_packets_dropped_total',
    'Packets not sent because the backplane was unreachable.',
    (m) => m.backplane.packetsDropped,
  ],
  [
    'backplane_errors_total',
    'Failed directory writes and packets that could not be handled.',
    (m) => m.backplane.errors,
  ],
];

/** The `reason` label of `refusals_total` for each field of `refusals`. */
const REFUSALS: readonly [reason: string, read: (m: ServerMetricsSnapshot) => number][] = [
  ['auth', (m) => m.refusals.auth],
  ['rate_limit', (m) => m.refusals.rateLimit],
  ['payload', (m) => m.refusals.payload],
  ['capacity', (m) => m.refusals.capacity],
];

/**
 * Exposes a server's {@link ServerMetricsSnapshot} as Prometheus metrics. Nothing is counted
 * twice and nothing runs per message: each metric has a `collect()` callback that reads
 * `server.getMetrics()` when the registry is scraped (one snapshot per scrape, shared by every
 * metric of that scrape).
 *
 * Registers, with the default prefix: `plugsocket_connections` (gauge),
 * `plugsocket_connections_total`, `plugsocket_messages_received_total`,
 * `plugsocket_messages_sent_total`, `plugsocket_received_bytes_total`,
 * `plugsocket_sent_bytes_total`, `plugsocket_errors_total`,
 * `plugsocket_refusals_total{reason="auth"|"rate_limit"|"payload"|"capacity"}`,
 * `plugsocket_heartbeat_timeouts_total`, `plugsocket_volatile_dropped_total`,
 * `plugsocket_backplane_outages_total`, `plugsocket_backplane_packets_sent_total`,
 * `plugsocket_backplane_packets_received_total`, `plugsocket_backplane_packets_dropped_total`,
 * `plugsocket_backplane_errors_total` (counters), `plugsocket_backplane_up`, `plugsocket_topics`,
 * `plugsocket_topic_subscribers{topic}` (the `maxTopics` largest) and
 * `plugsocket_uptime_seconds` (gauges).
 *
 * @returns a function that removes these metrics from the registry (idempotent).
 * @throws {TypeError} for a server without `getMetrics`, or labels that are not strings or use
 *   `topic` / `reason`; `RangeError` for a bad `maxTopics`; prom-client's error when a
 *   metric of the same name is already registered.
 *
 * @example
 * ```ts
 * import { Registry } from 'prom-client';
 * import { registerPlugsocketMetrics } from 'plugsocket/prometheus';
 *
 * const registry = new Registry();
 * const unregister = registerPlugsocketMetrics(server, { registry, labels: { server: 'chat' } });
 * http.createServer(async (req, res) => {
 *   res.setHeader('Content-Type', registry.contentType);
 *   res.end(await registry.metrics());
 * }).listen(9464);
 * ```
 */
export function registerPlugsocketMetrics(
  server: MetricsSource,
  options: PrometheusOptions = {},
): () => void {
  if (server === null || typeof server !== 'object' || typeof server.getMetrics !== 'function') {
    throw new TypeError(
      'registerPlugsocketMetrics needs a SocketServer (an object with getMetrics)',
    );
  }
  const registry = options.registry ?? defaultRegistry;
  const prefix = options.prefix ?? 'plugsocket_';
  const labels = checkLabels(options.labels ?? {});
  const maxTopics = options.maxTopics ?? DEFAULT_MAX_TOPICS;
  if (!Number.isInteger(maxTopics) || maxTopics < 0) {
    throw new RangeError(`maxTopics must be an integer ≥ 0, got ${String(maxTopics)}`);
  }
  const fixed = Object.keys(labels);

  // One snapshot per scrape: prom-client calls every collect() in one synchronous pass, so the
  // snapshot is kept until the microtasks after it run, and the next scrape takes a fresh one.
  let cached: ServerMetricsSnapshot | undefined;
  const snapshot = (): ServerMetricsSnapshot => {
    if (cached === undefined) {
      cached = server.getMetrics();
      queueMicrotask(() => (cached = undefined));
    }
    return cached;
  };

  const names: string[] = [];
  const gauge = (
    name: string,
    help: string,
    labelNames: string[],
    collect: (g: Gauge) => void,
  ): void => {
    new Gauge({
      name: prefix + name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        collect(this);
      },
    });
    // Only once registered: a name taken by someone else is not ours to remove.
    names.push(prefix + name);
  };
  const counter = (
    name: string,
    help: string,
    labelNames: string[],
    collect: (c: Counter) => void,
  ): void => {
    new Counter({
      name: prefix + name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        // The server keeps the running total; the counter is set to it at each scrape.
        this.reset();
        collect(this);
      },
    });
    names.push(prefix + name);
  };

  try {
    gauge('connections', 'Clients admitted and connected now.', fixed, (g) =>
      g.set(labels, snapshot().connections),
    );
    for (const [name, help, read] of COUNTERS) {
      counter(name, help, fixed, (c) => c.inc(labels, read(snapshot())));
    }
    counter(
      'refusals_total',
      'What the server refused, by reason: auth (admission), rate_limit (frames), payload (oversized frames), capacity (connection caps).',
      [...fixed, 'reason'],
      (c) => {
        const m = snapshot();
        for (const [reason, read] of REFUSALS) c.inc({ ...labels, reason }, read(m));
      },
    );
    gauge(
      'backplane_up',
      '1 while the backplane is reachable; 0 when not, or without one.',
      fixed,
      (g) => g.set(labels, snapshot().backplane.up),
    );
    gauge('topics', 'Topics with at least one subscriber.', fixed, (g) =>
      g.set(labels, Object.keys(snapshot().topics).length),
    );
    if (maxTopics > 0) {
      gauge(
        'topic_subscribers',
        `Subscribers of each topic (the ${maxTopics} largest).`,
        [...fixed, 'topic'],
        (g) => {
          g.reset(); // topics that emptied since the last scrape disappear
          for (const [topic, count] of largest(snapshot().topics, maxTopics)) {
            g.set({ ...labels, topic }, count);
          }
        },
      );
    }
    gauge('uptime_seconds', 'Seconds since the server started listening.', fixed, (g) =>
      g.set(labels, snapshot().uptime / 1000),
    );
  } catch (error) {
    for (const name of names) registry.removeSingleMetric(name);
    throw error;
  }

  let registered = true;
  return () => {
    if (!registered) return;
    registered = false;
    for (const name of names) registry.removeSingleMetric(name);
  };
}

function checkLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  if (labels === null || typeof labels !== 'object') {
    throw new TypeError('labels must be an object of strings');
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    if (OWN_LABELS.has(key)) throw new TypeError(`label "${key}" is set by the exporter`);
    if (typeof value !== 'string') throw new TypeError(`label "${key}" must be a string`);
    out[key] = value;
  }
  return out;
}

/** The `max` topics with the most subscribers, ties by name; all of them when there are few. */
function largest(topics: Readonly<Record<string, number>>, max: number): [string, number][] {
  const entries = Object.entries(topics);
  if (entries.length <= max) return entries;
  entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return entries.slice(0, max);
}
