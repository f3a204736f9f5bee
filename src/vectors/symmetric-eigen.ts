/**
 * Eigenvalues and eigenvectors of a dense symmetric matrix, float64, for `--vectors`
 * (Golub & Van Loan, Matrix Computations, 4th ed., §8.3; EISPACK tred2/tql2, LAPACK dstein):
 *  1. Householder reduction A = Q T Qᵀ to a tridiagonal T (lower triangle only), keeping the
 *     reflectors;
 *  2a. all eigenvectors: Qᵀ accumulated explicitly, then implicit QL iterations on T with
 *      every Givens rotation applied to it (tql2) — bulletproof, ≈ 10n³ flops;
 *  2b. selected eigenvectors: QL for the eigenvalues only (O(n²)), inverse iteration on T for
 *      each wanted one (O(n) per solve, LU with partial pivoting), modified Gram–Schmidt
 *      within clusters of close eigenvalues, then the reflectors applied (2n² per vector).
 * Storage is row-major with *eigenvectors as rows*, so every rotation and every reflector
 * touches contiguous memory.
 * Backward stable: ‖A v − λv‖ ≈ n·ε·‖A‖ and VᵀV = I to ≈ n·ε (test/vectors.test.ts).
 */

export interface SymmetricEigen {
  /** All n eigenvalues, ascending. */
  readonly values: Float64Array;
  /** Indices (into `values`) of the eigenvectors computed, ascending. */
  readonly indices: readonly number[];
  /** Row r (n entries) is the unit eigenvector of values[indices[r]]. */
  readonly vectors: Float64Array;
  readonly n: number;
}

interface Tridiagonal {
  readonly d: Float64Array;
  /** e[i] couples i and i+1; e[n−1] = 0. */
  readonly e: Float64Array;
  /** Householder vectors (acting on indices k+1 … n−1) and their β = 2/vᵀv (0: identity). */
  readonly reflectors: readonly { readonly v: Float64Array; readonly beta: number }[];
}

/** All eigenpairs of the symmetric n×n row-major `A` (lower triangle read; A is destroyed). */
export function symmetricEigen(A: Float64Array, n: number): SymmetricEigen {
  checkSize(A, n);
  if (n === 0) return { values: new Float64Array(0), indices: [], vectors: new Float64Array(0), n };
  const t = tridiagonalize(A, n);
  const Z = explicitQt(t, n);
  const d = t.d.slice();
  const e = t.e.slice();
  implicitQl(d, e, Z, n);
  const order = ascendingOrder(d);
  const values = Float64Array.from(order, (i) => d[i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => vectors.set(Z.subarray(src * n, src * n + n), dst * n));
  return { values, indices: order.map((_, i) => i), vectors, n };
}

/**
 * All eigenvalues and the eigenvectors that `select` picks from them (indices into the
 * ascending values). Cost: the reduction (≈ 4n³/3 flops) plus ≈ 2n² per selected vector.
 */
export function symmetricEigenSelected(
  A: Float64Array,
  n: number,
  select: (values: Float64Array) => readonly number[],
  seed = 1,
): SymmetricEigen {
  checkSize(A, n);
  if (n === 0) return { values: new Float64Array(0), indices: [], vectors: new Float64Array(0), n };
  const t = tridiagonalize(A, n);
  const d = t.d.slice();
  const e = t.e.slice();
  implicitQl(d, e, undefined, n);
  const values = Float64Array.from(ascendingOrder(d), (i) => d[i]!);
  const indices = [...new Set(select(values))].filter((i) => i >= 0 && i < n).sort((a, b) => a - b);
  const vectors = inverseIteration(t, values, indices, n, seed);
  for (let r = 0; r < indices.length; r++) applyQ(t, vectors.subarray(r * n, r * n + n));
  return { values, indices, vectors, n };
}

function checkSize(A: Float64Array, n: number): void {
  if (A.length !== n * n) throw new RangeError(`symmetricEigen: ${A.length} values for ${n}×${n}`);
}

/**
 * Householder reduction of the lower triangle of A. Step k annihilates column k below the
 * subdiagonal with H = I − βvvᵀ and updates the trailing block B ← HBH through
 * p = βBv, w = p − (β/2)(pᵀv)v, B −= vwᵀ + wvᵀ, touching only its lower triangle.
 */
function tridiagonalize(A: Float64Array, n: number): Tridiagonal {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const reflectors: { v: Float64Array; beta: number }[] = [];
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    const m = n - k - 1;
    const o = k + 1; // first index of the trailing block
    d[k] = A[k * n + k]!;
    const x0 = A[o * n + k]!;
    let below = 0;
    for (let i = o + 1; i < n; i++) below += A[i * n + k]! * A[i * n + k]!;
    const v = new Float64Array(m);
    if (below === 0) {
      e[k] = x0;
      reflectors.push({ v, beta: 0 });
      continue;
    }
    const norm2 = below + x0 * x0;
    const alpha = x0 >= 0 ? -Math.sqrt(norm2) : Math.sqrt(norm2);
    v[0] = x0 - alpha;
    for (let i = 1; i < m; i++) v[i] = A[(o + i) * n + k]!;
    const beta = 1 / (norm2 - x0 * alpha); // 2/vᵀv, vᵀv = 2(‖x‖² − x₀α)
    e[k] = alpha;
    // p = B v from the lower triangle: row i gives Σ_{j≤i} B_ij v_j to p_i and B_ij v_i to p_j.
    p.fill(0, 0, m);
    for (let i = 0; i < m; i++) {
      const row = (o + i) * n + o;
      const vi = v[i]!;
      let s = 0;
      for (let j = 0; j < i; j++) {
        const b = A[row + j]!;
        s += b * v[j]!;
        p[j]! += b * vi;
      }
      p[i]! += s + A[row + i]! * vi;
    }
    let pv = 0;
    for (let i = 0; i < m; i++) {
      p[i]! *= beta;
      pv += p[i]! * v[i]!;
    }
    const K = 0.5 * beta * pv;
    for (let i = 0; i < m; i++) p[i]! -= K * v[i]!;
    for (let i = 0; i < m; i++) {
      const row = (o + i) * n + o;
      const vi = v[i]!;
      const wi = p[i]!;
      for (let j = 0; j <= i; j++) A[row + j]! -= vi * p[j]! + wi * v[j]!;
    }
    reflectors.push({ v, beta });
  }
  if (n >= 2) {
    d[n - 2] = A[(n - 2) * n + n - 2]!;
    e[n - 2] = A[(n - 1) * n + n - 2]!;
  }
  d[n - 1] = A[(n - 1) * n + n - 1]!;
  e[n - 1] = 0;
  return { d, e, reflectors };
}

/** Qᵀ = H_{n−3} ⋯ H_0 (row-major), built as Z ← Z·H_k for k descending from Z = I. */
function explicitQt(t: Tridiagonal, n: number): Float64Array {
  const Z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Z[i * n + i] = 1;
  for (let k = t.reflectors.length - 1; k >= 0; k--) {
    const { v, beta } = t.reflectors[k]!;
    if (beta === 0) continue;
    const m = v.length;
    for (let r = k + 1; r < n; r++) {
      const row = r * n + k + 1;
      let s = 0;
      for (let j = 0; j < m; j++) s += Z[row + j]! * v[j]!;
      s *= beta;
      if (s === 0) continue;
      for (let j = 0; j < m; j++) Z[row + j]! -= s * v[j]!;
    }
  }
  return Z;
}

/** x ← Q x = H_0 H_1 ⋯ H_{n−3} x. */
function applyQ(t: Tridiagonal, x: Float64Array): void {
  for (let k = t.reflectors.length - 1; k >= 0; k--) {
    const { v, beta } = t.reflectors[k]!;
    if (beta === 0) continue;
    const o = k + 1;
    let s = 0;
    for (let j = 0; j < v.length; j++) s += v[j]! * x[o + j]!;
    s *= beta;
    for (let j = 0; j < v.length; j++) x[o + j]! -= s * v[j]!;
  }
}

const EPS = 2 ** -52;
const MAX_SWEEPS = 60;

/**
 * Implicit QL with shifts on the tridiagonal (d, e) (EISPACK tql2). On return d holds the
 * eigenvalues (unsorted); with Z, row i of Z is the eigenvector of d[i].
 */
function implicitQl(d: Float64Array, e: Float64Array, Z: Float64Array | undefined, n: number): void {
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > EPS * tst1) m++;
    if (m > l) {
      let sweeps = 0;
      do {
        if (++sweeps > MAX_SWEEPS) throw new Error(`symmetricEigen: QL did not converge for eigenvalue ${l}`);
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i]! -= h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.hypot(p, e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (Z !== undefined) {
            // Rows i and i+1 of Z: the eigenvector basis rotates with T.
            const ri = i * n;
            const rj = ri + n;
            for (let k = 0; k < n; k++) {
              const zj = Z[rj + k]!;
              const zi = Z[ri + k]!;
              Z[rj + k] = s * zi + c * zj;
              Z[ri + k] = c * zi - s * zj;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > EPS * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

function ascendingOrder(d: Float64Array): number[] {
  return Array.from({ length: d.length }, (_, i) => i).sort((a, b) => d[a]! - d[b]!);
}

/** Eigenvalues closer than this (relative to ‖T‖) form a cluster whose vectors are orthogonalised (LAPACK dstein's ORTOL). */
const CLUSTER_GAP = 1e-3;
const INVERSE_ITERATIONS = 3;

/**
 * Eigenvectors of T for the eigenvalues values[indices] by inverse iteration: solve
 * (T − λI)x = b with an LU factorisation with partial pivoting, normalise, repeat; vectors of
 * one cluster are orthogonalised against each other (modified Gram–Schmidt) after each
 * solve; an eigenvalue equal to the previous one is nudged by 10ε‖T‖ so the solves differ.
 */
function inverseIteration(
  t: Tridiagonal,
  values: Float64Array,
  indices: readonly number[],
  n: number,
  seed: number,
): Float64Array {
  const { d, e } = t;
  let norm = 0;
  for (let i = 0; i < n; i++)
    norm = Math.max(norm, Math.abs(d[i]!) + Math.abs(e[i]!) + (i > 0 ? Math.abs(e[i - 1]!) : 0));
  const out = new Float64Array(indices.length * n);
  if (!(norm > 0)) {
    // T = 0: every vector is an eigenvector; the standard basis is as good as any.
    indices.forEach((idx, r) => (out[r * n + idx] = 1));
    return out;
  }
  const tiny = EPS * norm;
  // LU workspace: U has diagonal u0, first and second superdiagonals u1, u2; l multipliers; piv swaps.
  const u0 = new Float64Array(n);
  const u1 = new Float64Array(n);
  const u2 = new Float64Array(n);
  const l = new Float64Array(n);
  const piv = new Uint8Array(n);
  let state = seed >>> 0 || 1;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return ((state >>> 0) / 4294967296) * 2 - 1;
  };
  let clusterStart = 0;
  let prevLambda = -Infinity;
  let lastLambda = -Infinity;
  for (let r = 0; r < indices.length; r++) {
    let lambda = values[indices[r]!]!;
    if (r === 0 || lambda - prevLambda > CLUSTER_GAP * norm) clusterStart = r;
    prevLambda = lambda;
    if (lambda <= lastLambda) lambda = lastLambda + 10 * tiny;
    lastLambda = lambda;
    // Factor T − λI = P L U.
    for (let i = 0; i < n; i++) {
      u0[i] = d[i]! - lambda;
      u1[i] = i < n - 1 ? e[i]! : 0;
      u2[i] = 0;
    }
    for (let k = 0; k < n - 1; k++) {
      const sub = e[k]!;
      if (Math.abs(u0[k]!) >= Math.abs(sub)) {
        piv[k] = 0;
        const pivot = u0[k] === 0 ? tiny : u0[k]!;
        u0[k] = pivot;
        const mult = sub / pivot;
        l[k] = mult;
        u0[k + 1]! -= mult * u1[k]!;
      } else {
        piv[k] = 1;
        const mult = u0[k]! / sub;
        l[k] = mult;
        const oldU1k = u1[k]!;
        const oldDiag = u0[k + 1]!;
        const oldSuper = k + 1 < n - 1 ? u1[k + 1]! : 0;
        u0[k] = sub;
        u1[k] = oldDiag;
        u2[k] = oldSuper;
        u0[k + 1] = oldU1k - mult * oldDiag;
        if (k + 1 < n - 1) u1[k + 1] = -mult * oldSuper;
      }
    }
    if (u0[n - 1] === 0) u0[n - 1] = tiny;
    const x = out.subarray(r * n, r * n + n);
    for (let i = 0; i < n; i++) x[i] = rand();
    for (let iter = 0; iter < INVERSE_ITERATIONS; iter++) {
      // Forward: apply the row swaps and multipliers.
      for (let k = 0; k < n - 1; k++) {
        if (piv[k] === 1) {
          const tmp = x[k]!;
          x[k] = x[k + 1]!;
          x[k + 1] = tmp;
        }
        x[k + 1]! -= l[k]! * x[k]!;
      }
      // Back substitution with U.
      for (let i = n - 1; i >= 0; i--) {
        let s = x[i]!;
        if (i + 1 < n) s -= u1[i]! * x[i + 1]!;
        if (i + 2 < n) s -= u2[i]! * x[i + 2]!;
        x[i] = s / u0[i]!;
      }
      for (let q = clusterStart; q < r; q++) {
        const y = out.subarray(q * n, q * n + n);
        let dot = 0;
        for (let i = 0; i < n; i++) dot += x[i]! * y[i]!;
        for (let i = 0; i < n; i++) x[i]! -= dot * y[i]!;
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += x[i]! * x[i]!;
      const inv = 1 / Math.sqrt(s);
      for (let i = 0; i < n; i++) x[i]! *= inv;
    }
  }
  return out;
}
