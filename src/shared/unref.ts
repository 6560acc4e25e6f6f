/**
 * Lets a timer not keep the process alive where the platform has `unref()` (Node, Deno, Bun); a
 * no-op in browsers, whose timers are plain numbers. Typed loosely on purpose, so the code using
 * it compiles against the DOM's timer types as well as Node's.
 * @internal
 */
export function unref(timer: unknown): void {
  (timer as { unref?: () => void } | undefined)?.unref?.();
}
