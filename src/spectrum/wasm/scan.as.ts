/**
 * The tensor scan's two per-element loops (src/tensor-checks.ts scanSums, src/entry-rms.ts
 * sampleBlock), operation for operation: the same numbers.
 *
 * Why here: every analysed tensor goes through both on the main thread. Most tensors of a
 * small model are small, so V8 runs those loops in its interpreter before it has compiled
 * them (and boxes every double it computes: ~20 MB of garbage in a PP-OCRv4 rec run), and
 * the first of them ran at 6–50 ns an element against ~1.5 compiled. WebAssembly is compiled
 * before its first call. The TypeScript loops stay, for large blocks (where V8 compiles them
 * within the first call) and as the fallback.
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

/**
 * scanSums over the n values at V: the running sums at S (max |w|, min non-zero |w|, clipped
 * squares, Σ(w·f)², and v − v) updated in element order, as tensor-checks.ts does.
 */
export function scanSums(V: usize, n: i32, S: usize, clip: f64, f: f64): void {
  let maxAbs = load<f64>(S);
  let minAbs = load<f64>(S + 8);
  let clipped = load<f64>(S + 16);
  let guessed = load<f64>(S + 24);
  let nan = load<f64>(S + 32);
  for (let i = 0; i < n; i++) {
    const v = load<f64>(V + (<usize>i << 3));
    nan += v - v;
    const a = abs<f64>(v);
    if (a > maxAbs) maxAbs = a;
    if (a < minAbs && a != 0) minAbs = a;
    const c = min<f64>(a, clip);
    clipped += c * c;
    // (v·f)² as the TypeScript's (v * f) ** 2: V8's pow returns x·x for an exponent of 2.
    const g = v * f;
    guessed += g * g;
  }
  store<f64>(S, maxAbs);
  store<f64>(S + 8, minAbs);
  store<f64>(S + 16, clipped);
  store<f64>(S + 24, guessed);
  store<f64>(S + 32, nan);
}

/**
 * sampleBlock over the n values at V: |v| for i = from, from + step, … (NaN as +∞) into the
 * min-heap of k values at H, the largest in state[0] at T, as entry-rms.ts does.
 */
export function sampleStrided(V: usize, n: i32, from: i32, step: i32, H: usize, k: i32, T: usize): void {
  let largest = load<f64>(T);
  let floor = load<f64>(H);
  for (let i = from; i < n; i += step) {
    const abs1 = abs<f64>(load<f64>(V + (<usize>i << 3)));
    const a = isNaN<f64>(abs1) ? Infinity : abs1;
    if (a > largest) largest = a;
    if (a > floor) floor = replaceSmallest(H, k, a);
  }
  store<f64>(T, largest);
}

/** entry-rms.ts replaceSmallest: the heap's root replaced by x and sifted down; the new root. */
function replaceSmallest(H: usize, n: i32, x: f64): f64 {
  let i = 0;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && load<f64>(H + (<usize>r << 3)) < load<f64>(H + (<usize>l << 3)) ? r : l;
    const hc = load<f64>(H + (<usize>c << 3));
    if (!(hc < x)) break;
    store<f64>(H + (<usize>i << 3), hc);
    i = c;
  }
  store<f64>(H + (<usize>i << 3), x);
  return load<f64>(H);
}
