/**
 * Where plugsocket writes diagnostics. Library code never uses `console` directly: pass a logger
 * (pino, winston and console all fit this shape) to see what happens inside.
 */
export interface Logger {
  /** Detail useful when diagnosing (refused connections, rejected frames). */
  debug(message: string, context?: Record<string, unknown>): void;
  /** Something unexpected that plugsocket recovered from. */
  warn(message: string, context?: Record<string, unknown>): void;
  /** A failure in application code or an adapter (a handler that threw, …). */
  error(message: string, context?: Record<string, unknown>): void;
}

/** A logger that discards everything: the default. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  warn() {},
  error() {},
});
