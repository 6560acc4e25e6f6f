import createDebug from '#debug';

/**
 * Where plugsocket writes diagnostics. Library code never uses `console` directly: by default
 * it writes to the `debug` package under `plugsocket:*` namespaces (see {@link debugLogger}),
 * silent unless `DEBUG` enables them; pass a logger (pino, winston and console all fit this
 * shape) to send everything elsewhere.
 */
export interface Logger {
  /** Detail useful when diagnosing (refused connections, rejected frames). */
  debug(message: string, context?: Record<string, unknown>): void;
  /** Something unexpected that plugsocket recovered from. */
  warn(message: string, context?: Record<string, unknown>): void;
  /** A failure in application code or an adapter (a handler that threw, …). */
  error(message: string, context?: Record<string, unknown>): void;
}

/** A logger that discards everything. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  warn() {},
  error() {},
});

/** Marks the loggers {@link debugLogger} makes, so `partLogger` can give a part its own namespace. */
const NAMESPACE = Symbol('plugsocket.debugNamespace');

interface DebugSink extends Logger {
  readonly [NAMESPACE]: string;
}

/**
 * A {@link Logger} that writes to the [`debug`](https://www.npmjs.com/package/debug) package:
 * `debug` calls go to `namespace`, `warn` calls to `namespace:warn`, `error` calls to
 * `namespace:error`. Nothing is printed unless the namespace is enabled (`DEBUG=plugsocket:*`
 * in Node, `localStorage.debug` in a browser), and a disabled call costs one property read: the
 * context is formatted only for an enabled namespace, as `message key=value …` (strings as they
 * are, errors as `Name: message`, other values as JSON).
 *
 * The server's default logger is `debugLogger('plugsocket:server')`; its parts log under
 * `plugsocket:server:<part>` (one namespace per part).
 *
 * @param namespace @default 'plugsocket'
 * @example
 * ```ts
 * // DEBUG=plugsocket:*,-plugsocket:*:heartbeat node app.js
 * const server = new SocketServer(adapter, { logger: debugLogger('plugsocket:chat') });
 * ```
 */
export function debugLogger(namespace = 'plugsocket'): Logger {
  if (typeof namespace !== 'string' || namespace === '') {
    throw new TypeError('debugLogger: namespace must be a non-empty string');
  }
  const debug = createDebug(namespace);
  const warn = createDebug(`${namespace}:warn`);
  const error = createDebug(`${namespace}:error`);
  const sink: DebugSink = {
    [NAMESPACE]: namespace,
    debug(message, context) {
      if (debug.enabled) debug('%s', format(message, context));
    },
    warn(message, context) {
      if (warn.enabled) warn('%s', format(message, context));
    },
    error(message, context) {
      if (error.enabled) error('%s', format(message, context));
    },
  };
  return Object.freeze(sink);
}

/**
 * The logger of one part of the library (`'admission'`, `'heartbeat'`, …): for a
 * {@link debugLogger} sink, a sink on the sub-namespace `<namespace>:<part>`, so each part can be
 * enabled alone; for any other logger, one that forwards every call to it with `part` added to
 * the context, so a user-supplied logger still receives everything.
 */
export function partLogger(logger: Logger, part: string): Logger {
  const namespace = (logger as Partial<DebugSink>)[NAMESPACE];
  if (typeof namespace === 'string') return debugLogger(`${namespace}:${part}`);
  if (logger === silentLogger) return logger;
  return Object.freeze({
    debug: (message: string, context?: Record<string, unknown>) =>
      logger.debug(message, { part, ...context }),
    warn: (message: string, context?: Record<string, unknown>) =>
      logger.warn(message, { part, ...context }),
    error: (message: string, context?: Record<string, unknown>) =>
      logger.error(message, { part, ...context }),
  });
}

/** `message key=value …`, readable on one line. */
function format(message: string, context: Record<string, unknown> | undefined): string {
  if (context === undefined) return message;
  let out = message;
  for (const key of Object.keys(context)) out += ` ${key}=${formatValue(context[key])}`;
  return out;
}

function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    const head = `${value.name}${typeof code === 'string' ? `[${code}]` : ''}: ${value.message}`;
    const cause = (value as { cause?: unknown }).cause;
    return cause === undefined
      ? JSON.stringify(head)
      : `${JSON.stringify(head)} cause=${formatValue(cause)}`;
  }
  if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'function') {
    return String(value);
  }
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value); // a cycle
  }
}
