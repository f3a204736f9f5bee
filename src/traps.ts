/**
 * Correlation traps (`--randomize`; Martin & Mahoney, "Heavy-Tailed Self-Regularization",
 * and WeightWatcher's randomize=True): shuffle W's elements, recompute the ESD, and count
 * the shuffled eigenvalues above the Marchenko–Pastur edge.
 *
 * Why it works: a shuffle destroys every correlation but keeps the elements. The shuffled
 * matrix is (up to sampling without replacement) an iid random matrix, whose ESD is an MP
 * bulk with edge λ₊ = v(√N + √M)² in our units (λ = σ², no 1/N), v the elements' variance,
 * and whose largest eigenvalue fluctuates on the Tracy–Widom scale
 * TW = v(√N + √M)(1/√N + 1/√M)^{1/3} (Johnstone, Ann. Stat. 29, 2001; the same width as
 * DESIGN.md §3.5's Q^{−1/2}λ₊^{2/3}M^{−2/3} in mean-1 units) — as long as the elements have a
 * finite fourth moment. A few abnormally large elements break that: each one of size x with
 * x² ≳ v√(NM) (the BBP threshold for a rank-one perturbation) pulls out an eigenvalue ≈ x².
 * Those eigenvalues are the traps.
 *
 * Robust definition, no fitting: per slice,
 *  1. centre the shuffled slice (a non-zero mean m is a rank-one spike m²NM in every shuffle,
 *     not an abnormal element; WeightWatcher does not centre, so its max_rand_eval includes it);
 *  2. v from the bulk: start from Σλ/(NM) (= the elements' variance), then repeatedly drop the
 *     eigenvalues above the threshold and re-estimate v = mean(bulk λ)/N, until the trap count
 *     settles — so the traps' own mass does not inflate the edge and hide them;
 *  3. traps = #(λ > λ₊ + TRAP_TW_MARGIN·TW).
 * The MP fit of the shuffled ESD (WeightWatcher's rand_num_spikes) is reported beside it when
 * it succeeds, but the decision does not depend on a fit.
 */
import type { CorrelationTraps, MpResult } from './schema/index.js';
import type { MatrixPlan } from './matrices.js';
import type { EigenSolver } from './esd.js';
import { gramEigenvalues } from './spectrum/index.js';
import { fitMarchenkoPastur, type MpContext } from './fit/mp.js';
import { createRng, shuffleInPlace } from './random.js';

/**
 * A shuffled eigenvalue more than this many Tracy–Widom widths above λ₊ is a trap. The TW₁
 * law has mean −1.21 and P(TW₁ > 4) ≈ 2·10⁻⁴, so a Gaussian layer has a false trap in about
 * one slice in 5,000; a planted element of 50σ in a 500×500 matrix lands ~80 widths out.
 */
export const TRAP_TW_MARGIN = 4;

/** Default --seed. */
export const DEFAULT_TRAP_SEED = 0;

/** At most this many trap eigenvalues are listed. */
export const MAX_LISTED_TRAPS = 100;

const MAX_EDGE_ITERATIONS = 100;

export interface TrapOptions {
  readonly seed?: number;
  /** Eigenvalues of WᵀW for a rows×cols matrix (the pipeline's solver). */
  readonly solve?: EigenSolver;
  /** Include the shuffled ESD. */
  readonly eigenvalues?: boolean;
  /** MP fit of the shuffled ESD (default: fitMarchenkoPastur). */
  readonly fitMp?: (evals: Float64Array, ctx: MpContext) => MpResult;
}

/** The MP edge and threshold of one shuffled slice's eigenvalues (unscaled). */
export interface SliceEdge {
  /** Entry variance of the bulk. */
  readonly variance: number;
  readonly lambdaPlus: number;
  readonly twWidth: number;
  readonly threshold: number;
  readonly numTraps: number;
}

/**
 * Theoretical MP edge of an iid N×M matrix (N ≥ M) from its ascending eigenvalues `evals`
 * (M of them), with the bulk variance re-estimated without the traps (step 2 above).
 */
export function shuffledEdge(evals: Float64Array, N: number, M: number, margin: number = TRAP_TW_MARGIN): SliceEdge {
  const sqN = Math.sqrt(N);
  const sqM = Math.sqrt(M);
  const edgeFactor = (sqN + sqM) ** 2;
  const twFactor = (sqN + sqM) * Math.cbrt(1 / sqN + 1 / sqM);
  let total = 0;
  for (let i = 0; i < evals.length; i++) total += evals[i]!;
  let variance = total / (N * M);
  let numTraps = -1;
  let threshold = Infinity;
  for (let it = 0; it < MAX_EDGE_ITERATIONS; it++) {
    threshold = variance * (edgeFactor + margin * twFactor);
    let count = 0;
    let bulk = total;
    for (let i = evals.length - 1; i >= 0 && evals[i]! > threshold; i--) {
      count++;
      bulk -= evals[i]!;
    }
    if (count === numTraps || count >= evals.length) {
      numTraps = count;
      break;
    }
    numTraps = count;
    // The bulk's mean eigenvalue is vN (E tr XᵀX = vNM over M eigenvalues).
    variance = bulk / (N * (evals.length - count));
  }
  return { variance, lambdaPlus: variance * edgeFactor, twWidth: variance * twFactor, threshold, numTraps };
}

/**
 * Shuffles each slice of the planned layer (seeded), and compares the shuffled ESD with the
 * layer's own ascending ESD `original` (same pooling and scaling).
 */
export async function findCorrelationTraps(
  values: Float64Array,
  plan: MatrixPlan,
  original: Float64Array,
  options: TrapOptions = {},
): Promise<CorrelationTraps> {
  const { rows, cols, slices, eigenScale } = plan;
  const N = Math.max(rows, cols);
  const M = Math.min(rows, cols);
  const seed = options.seed ?? DEFAULT_TRAP_SEED;
  const solve = options.solve ?? gramEigenvalues;
  const rng = createRng(seed);
  const pooled = new Float64Array(M * slices);
  const traps: number[] = [];
  let lambdaPlus = 0;
  let threshold = 0;
  for (let s = 0; s < slices; s++) {
    // extract() may return the tensor's own array (dense layers): shuffle a copy.
    const W = plan.extract(values, s).slice();
    shuffleInPlace(W, rng);
    let mean = 0;
    for (let i = 0; i < W.length; i++) mean += W[i]!;
    mean /= W.length;
    for (let i = 0; i < W.length; i++) W[i]! -= mean;
    const ev = Float64Array.from(await solve(W, rows, cols), (x) => Math.max(0, x)).sort();
    const edge = shuffledEdge(ev, N, M);
    lambdaPlus = Math.max(lambdaPlus, edge.lambdaPlus * eigenScale);
    threshold = Math.max(threshold, edge.threshold * eigenScale);
    for (let i = ev.length - edge.numTraps; i < ev.length; i++) traps.push(ev[i]! * eigenScale);
    for (let i = 0; i < M; i++) pooled[s * M + i] = ev[i]! * eigenScale;
  }
  pooled.sort();
  traps.sort((a, b) => b - a);
  const mp = (options.fitMp ?? fitMarchenkoPastur)(pooled, { N, M, Q: N / M, slices });
  return {
    seed,
    numTraps: traps.length,
    lambdaMaxRandom: pooled[pooled.length - 1] ?? 0,
    lambdaPlusRandom: lambdaPlus,
    threshold,
    distance: jensenShannonDistance(original, pooled),
    ksDistance: ksDistance(original, pooled),
    trapEigenvalues: traps.slice(0, MAX_LISTED_TRAPS),
    ...(mp.status === 'ok' ? { mpFit: { lambdaPlus: mp.lambdaPlus, numSpikes: mp.numSpikes } } : {}),
    ...(options.eigenvalues ? { eigenvalues: Array.from(pooled) } : {}),
  };
}

/**
 * Jensen–Shannon distance (natural log) between two equally long ascending spectra, each
 * normalised to unit sum and compared rank by rank — WeightWatcher's rand_distance
 * (RMT_Util.jensen_shannon_distance applied to the sorted eigenvalues). Bounded by √ln 2.
 */
export function jensenShannonDistance(a: Float64Array, b: Float64Array): number {
  const n = Math.min(a.length, b.length);
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += Math.max(0, a[i]!);
    sb += Math.max(0, b[i]!);
  }
  if (!(sa > 0) || !(sb > 0)) return 0;
  let js = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.max(0, a[i]!) / sa;
    const q = Math.max(0, b[i]!) / sb;
    const m = 0.5 * (p + q);
    if (p > 0) js += 0.5 * p * Math.log(p / m);
    if (q > 0) js += 0.5 * q * Math.log(q / m);
  }
  return Math.sqrt(Math.max(0, js));
}

/** Two-sample Kolmogorov–Smirnov distance between ascending samples a and b. */
export function ksDistance(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const x = Math.min(a[i]!, b[j]!);
    while (i < a.length && a[i]! <= x) i++;
    while (j < b.length && b[j]! <= x) j++;
    d = Math.max(d, Math.abs(i / a.length - j / b.length));
  }
  return d;
}
