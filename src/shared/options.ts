/**
 * A positive number option, or `fallback` when it is absent.
 * @throws {RangeError} for zero, a negative number, `NaN` or a value that is not a number.
 */
export function positive(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value > 0)) {
    throw new RangeError(`${name} must be a positive number, got ${String(value)}`);
  }
  return value;
}
