/**
 * Bounded concurrency for per-file work (resolving and opening the shards of an index):
 * a model may name hundreds of thousands of files, and starting one realpath or open per
 * name at once queues them all on libuv's small thread pool and holds every promise in
 * memory. A few in flight keep the disk busy; the rest wait their turn.
 */

/** How many file operations run at once: libuv's default pool has 4 threads. */
export const FILE_CONCURRENCY = 16;

/**
 * `fn` over `items` with at most `limit` calls in flight; results in item order. On a
 * failure no further item is started; the running ones finish, whatever they produced is
 * handed to `release` (closing what was opened), and the failure of the earliest item is
 * thrown: items are started in order, so every earlier one has succeeded and the error is
 * the one a sequential loop would have thrown.
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  release: (result: R) => Promise<void> = async () => {},
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  const done: boolean[] = new Array(items.length).fill(false);
  let next = 0;
  let failed: { index: number; error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
        done[i] = true;
      } catch (error) {
        // Another worker may have failed meanwhile (TypeScript narrows across the await).
        const earlier = failed as { index: number } | undefined;
        if (earlier === undefined || i < earlier.index) failed = { index: i, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== undefined) {
    for (let i = 0; i < items.length; i++) if (done[i]) await release(results[i]!).catch(() => {});
    throw failed.error;
  }
  return results;
}
