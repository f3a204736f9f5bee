/**
 * Array operations for arrays of any length. Spreading an array into a call
 * (`a.push(...b)`, `Math.max(...b)`) passes every element as an argument on the stack, and
 * V8 throws "Maximum call stack size exceeded" past about 120,000 of them (issue 12): a
 * model can have that many tensors (mixture-of-experts checkpoints) and so that many
 * layers, gate failures and table rows. Every length a file controls goes through these.
 */

/** Appends `items` to `target` in place (what `target.push(...items)` means) and returns `target`. */
export function appendAll<T>(target: T[], items: Iterable<T>): T[] {
  for (const item of items) target.push(item);
  return target;
}

/** `Math.max(initial, ...values)`, for any number of values (NaN if any is NaN). */
export function maxOf(values: Iterable<number>, initial = -Infinity): number {
  let m = initial;
  for (const v of values) {
    if (Number.isNaN(v)) return Number.NaN;
    if (v > m) m = v;
  }
  return m;
}

/** `Math.min(initial, ...values)`, for any number of values (NaN if any is NaN). */
export function minOf(values: Iterable<number>, initial = Infinity): number {
  let m = initial;
  for (const v of values) {
    if (Number.isNaN(v)) return Number.NaN;
    if (v < m) m = v;
  }
  return m;
}
