// The `plugsocket/prometheus` entry point: a server's metrics as Prometheus metrics, through
// `prom-client` (an optional peer dependency, loaded only by this entry).
export {
  DEFAULT_MAX_TOPICS,
  registerPlugsocketMetrics,
  type MetricsSource,
  type PrometheusOptions,
} from './prometheus-metrics.js';
