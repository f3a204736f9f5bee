/** The best (smallest) of `repeats` timings of `run`, in ms: the micro-benchmarks' measure. */
export async function bestOf(repeats: number, run: () => unknown): Promise<number> {
  let t = Infinity;
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await run();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
}
