/**
 * A stretch of row-major values dealt by position (src/load/dealt.ts dealInto): the values of
 * each position, in order, one run after the other. A copy: identical values.
 *
 * Why here: a small model's kernels are dealt while V8 still runs dealInto's loop in its
 * interpreter or baseline code (M-LSD: the first ten calls at 24–93 ns a value, 6–13 ms of its
 * main thread in all), and a model's first large kernel likewise. The module is compiled before its
 * first call.
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

/**
 * The n float64 values at S, element j being of position (lead + j) mod positions: position
 * 0's values, then position 1's, …, each run in order, written from D.
 */
export function dealRuns(S: usize, n: i32, lead: i32, positions: i32, D: usize): void {
  let o: usize = D;
  for (let p = 0; p < positions; p++) {
    for (let j = p >= lead ? p - lead : p - lead + positions; j < n; j += positions) {
      store<f64>(o, load<f64>(S + (<usize>j << 3)));
      o += 8;
    }
  }
}
