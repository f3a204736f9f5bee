/**
 * Eigenvalues and eigenvectors of a dense symmetric matrix, float64, for `--vectors`
 * (Golub & Van Loan, Matrix Computations, 4th ed., §8.3; EISPACK tred2/tql2, LAPACK dstein):
 *  1. Householder reduction A = Q T Qᵀ to a tridiagonal T (spectrum/tridiagonalize.ts, LAPACK
 *     dsytd2), keeping the reflectors;
 *  2a. all eigenvectors: Qᵀ accumulated explicitly (dorgtr), then implicit QL on T with every
 *      rotation applied to it (spectrum/tridiagonal-ql.ts, tql2) — bulletproof, ≈ 10n³ flops;
 *  2b. selected eigenvectors: QL for the eigenvalues only (O(n²)), inverse iteration on T for
 *      each wanted one (O(n) per solve, LU with partial pivoting), modified Gram–Schmidt
 *      within clusters of close eigenvalues, then the reflectors applied (2n² per vector).
 * Storage is row-major with *eigenvectors as rows*, so every rotation and every reflector
 * touches contiguous memory.
 * Backward stable: ‖A v − λv‖ ≈ n·ε·‖A‖ and VᵀV = I to ≈ n·ε (test/vectors.test.ts).
 */
import { createRng } from '../random.js';
import { tridiagonalQl } from '../spectrum/tridiagonal-ql.js';
import { tridiagonalize, type Tridiagonal } from '../spectrum/tridiagonalize.js';

export interface SymmetricEigen {
  /** All n eigenvalues, ascending. */
  readonly values: Float64Array;
  /** Indices (into `values`) of the eigenvectors computed, ascending. */
  readonly indices: readonly number[];
  /** Row r (n entries) is the unit eigenvector of values[indices[r]]. */
  readonly vectors: Float64Array;
  readonly n: number;
}

/** All eigenpairs of the symmetric n×n row-major `A` (lower triangle read; A is destroyed). */
export function symmetricEigen(A: Float64Array, n: number): SymmetricEigen {
  checkSize(A, n);
  if (n === 0) return { values: new Float64Array(0), indices: [], vectors: new Float64Array(0), n };
  const t = tridiagonalize(A, n, true);
  const Z = explicitQt(t, n);
  const d = t.d.slice();
  tridiagonalQl(d, t.e.slice(), Z);
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
  const t = tridiagonalize(A, n, true);
  const d = t.d.slice();
  tridiagonalQl(d, t.e.slice());
  const values = Float64Array.from(ascendingOrder(d), (i) => d[i]!);
  const indices = [...new Set(select(values))].filter((i) => i >= 0 && i < n).sort((a, b) => a - b);
  const vectors = inverseIteration(t, values, indices, n, seed);
  for (let r = 0; r < indices.length; r++) applyQ(t, vectors.subarray(r * n, r * n + n));
  return { values, indices, vectors, n };
}

function checkSize(A: Float64Array, n: number): void {
  if (A.length !== n * n) throw new RangeError(`symmetricEigen: ${A.length} values for ${n}×${n}`);
}

/** Qᵀ = H_{n−3} ⋯ H_0 (row-major), built as Z ← Z·H_k for k descending from Z = I. */
function explicitQt(t: Tridiagonal, n: number): Float64Array {
  const Z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Z[i * n + i] = 1;
  const reflectors = t.reflectors ?? [];
  for (let k = reflectors.length - 1; k >= 0; k--) {
    const { v, tau } = reflectors[k]!;
    if (tau === 0) continue;
    const m = v.length;
    for (let r = k + 1; r < n; r++) {
      const row = r * n + k + 1;
      let s = 0;
      for (let j = 0; j < m; j++) s += Z[row + j]! * v[j]!;
      s *= tau;
      if (s === 0) continue;
      for (let j = 0; j < m; j++) Z[row + j]! -= s * v[j]!;
    }
  }
  return Z;
}

/** x ← Q x = H_0 H_1 ⋯ H_{n−3} x. */
function applyQ(t: Tridiagonal, x: Float64Array): void {
  const reflectors = t.reflectors ?? [];
  for (let k = reflectors.length - 1; k >= 0; k--) {
    const { v, tau } = reflectors[k]!;
    if (tau === 0) continue;
    const o = k + 1;
    let s = 0;
    for (let j = 0; j < v.length; j++) s += v[j]! * x[o + j]!;
    s *= tau;
    for (let j = 0; j < v.length; j++) x[o + j]! -= s * v[j]!;
  }
}

const EPS = 2 ** -52;

function ascendingOrder(d: Float64Array): number[] {
  return Array.from({ length: d.length }, (_, i) => i).sort((a, b) => d[a]! - d[b]!);
}

/**
 * Eigenvalues closer than this (relative to ‖T‖) form a cluster whose vectors are
 * orthogonalised (LAPACK dstein's ORTOL).
 */
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
  const rng = createRng(seed);
  const rand = () => 2 * rng.next() - 1;
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
