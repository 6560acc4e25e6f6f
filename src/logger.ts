/**
 * Where plugsocket writes diagnostics. Library code never uses `console` directly: pass a logger
 * (pino, winston and console all fit this shape) to see what happens inside.
 */
export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

/** A logger that discards everything: the default. */
export const silentLogger: Logger = Object.freeze({
  debug() {},
  warn() {},
  error() {},
});
