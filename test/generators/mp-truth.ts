/**
 * Ground truth for the Marchenko–Pastur spike count (issue 16): seeded N×M matrices
 * W = X + Σ θ_k u_k v_kᵀ with a noise bulk X of iid entries of variance 1/N (Gaussian, or
 * Student-t with ν = 5 or 3 rescaled to unit variance) and k = 0…10 planted rank-one
 * signals (random orthonormal u's and v's), each supercritical: θ/θ_c in [1.1, 1.6] (near
 * the BBP threshold θ_c = (M/N)^{1/4}) or in [3, 8] (far), conventions of families.ts.
 *
 * Two truths per matrix:
 * - `planted`: the number of supercritical planted spikes (all of them, by construction);
 * - `detectable`: those whose theoretical outlier ℓ(θ) = (1 + θ²)(y + θ²)/θ² (Baik, Ben Arous &
 *   Péché 2005; Benaych-Georges & Nadakuditi 2012) lies at least DETECTABLE_MARGIN_TW
 *   Tracy–Widom widths above the count rule both methods share (DESIGN.md §3.5: λ₊ + √TW,
 *   evaluated with the true σ and the matrix's own mean-1 scale) — a spike a method with the
 *   exact σ would count. Near-threshold spikes below that are not a method's fault.
 *
 * The true bulk σ in the mean-1 units both fits report is √(n/Σλ): the bulk's entries have
 * variance 1/N, so its MP scale is 1 in original units.
 */
import { fitMarchenkoPastur, tracyWidomWidth } from '../../src/fit/mp.js';
import { computeEsd, type EigenSolver } from '../../src/esd.js';
import { planLayers } from '../../src/matrices.js';
import type { TensorRef } from '../../src/types.js';
import { bbpOutlier, bbpThreshold } from './families.js';
import { addLowRank, orthonormalColumns } from './linalg.js';
import { Rng } from './rng.js';
import { wwMpFit } from './ww-mp.js';

export type BulkKind = 'gaussian' | 't5' | 't3';
export type SpikeMode = 'near' | 'far' | 'mixed';
export const BULK_KINDS: readonly BulkKind[] = ['gaussian', 't5', 't3'];
export const SPIKE_MODES: readonly SpikeMode[] = ['near', 'far', 'mixed'];

/** θ/θ_c ranges of near- and far-from-threshold spikes. */
export const NEAR_RANGE: readonly [number, number] = [1.1, 1.6];
export const FAR_RANGE: readonly [number, number] = [3, 8];
/** Most spikes planted in one matrix. */
export const MAX_SPIKES = 10;
/** A spike is detectable when ℓ(θ) ≥ λ₊ + √TW + this many TW (see the header). */
export const DETECTABLE_MARGIN_TW = 3;

export interface TruthCase {
  readonly seed: number;
  readonly Q: number;
  readonly M: number;
  readonly bulk: BulkKind;
  readonly mode: SpikeMode;
}

export interface TruthMatrix extends TruthCase {
  readonly N: number;
  /** Row-major N×M. */
  readonly values: Float64Array;
  /** θ/θ_c of each planted spike. */
  readonly ratios: readonly number[];
  /** Theoretical outlier positions ℓ(θ) (original units, bulk σ = 1). */
  readonly outliers: readonly number[];
}

/** Builds the seeded matrix of one case. */
export function truthMatrix(c: TruthCase): TruthMatrix {
  const rng = new Rng((Math.imul(c.seed >>> 0, 0x9e3779b1) ^ 0x5bd1e995) >>> 0);
  const N = Math.round(c.Q * c.M);
  const M = c.M;
  const k = rng.int(0, MAX_SPIKES);
  const ratios = Array.from({ length: k }, () => {
    const near = c.mode === 'near' || (c.mode === 'mixed' && rng.uniform() < 0.5);
    const [lo, hi] = near ? NEAR_RANGE : FAR_RANGE;
    return rng.between(lo, hi);
  });
  const values = bulkEntries(rng, c.bulk, N * M, 1 / Math.sqrt(N));
  const thetaC = bbpThreshold(M, N);
  const thetas = ratios.map((r) => r * thetaC);
  if (k > 0) addLowRank(values, N, M, orthonormalColumns(rng, N, k), thetas, orthonormalColumns(rng, M, k), k);
  return { ...c, N, values, ratios, outliers: thetas.map((t) => bbpOutlier(t, M / N)) };
}

/** n iid entries of standard deviation `sd`. */
function bulkEntries(rng: Rng, bulk: BulkKind, n: number, sd: number): Float64Array {
  const out = new Float64Array(n);
  if (bulk === 'gaussian') {
    for (let i = 0; i < n; i++) out[i] = rng.normal() * sd;
    return out;
  }
  const nu = bulk === 't5' ? 5 : 3;
  const unit = sd * Math.sqrt((nu - 2) / nu);
  for (let i = 0; i < n; i++) out[i] = studentT(rng, nu) * unit;
  return out;
}

/** Student-t with ν degrees of freedom by Bailey's polar method (Math. Comp. 62, 1994). */
function studentT(rng: Rng, nu: number): number {
  for (;;) {
    const u = 2 * rng.uniform() - 1;
    const v = 2 * rng.uniform() - 1;
    const w = u * u + v * v;
    if (w > 0 && w < 1) return u * Math.sqrt((nu * (Math.pow(w, -2 / nu) - 1)) / w);
  }
}

export interface MethodResult {
  readonly found: number;
  readonly sigma: number;
}

export interface TruthOutcome extends TruthCase {
  readonly N: number;
  readonly planted: number;
  readonly detectable: number;
  /** The true bulk σ in the mean-1 units. */
  readonly sigmaTrue: number;
  readonly ours: MethodResult;
  readonly ww: MethodResult;
  /** The shared count rule with the true σ: what a perfect σ fit would count. */
  readonly oracle: MethodResult;
}

/** Eigenvalues through the repo's pipeline (plan → computeEsd, float64), then both fits. */
export async function runTruthCase(c: TruthCase, solve?: EigenSolver): Promise<TruthOutcome> {
  const m = truthMatrix(c);
  const { N, M } = m;
  const ref: TensorRef = {
    name: 'truth',
    shape: [N, M],
    dtype: 'F64',
    file: '<generated>',
    byteLength: m.values.byteLength,
    kindHint: 'dense',
    storageKey: `truth#${c.seed}`,
    read: async () => m.values,
  };
  const [plan] = planLayers(ref);
  if (plan === undefined || plan.status !== 'analyze') throw new Error(`${N}×${M}: not analysable`);
  const { evals } = await computeEsd(m.values, plan, { keepValues: true, ...(solve ? { solve } : {}) });
  const Q = N / M;
  const mp = fitMarchenkoPastur(evals, { N, M, Q, slices: 1 });
  if (mp.status !== 'ok') throw new Error(`MP fit failed: ${mp.reason}`);
  const ww = wwMpFit(evals, N, M);
  let sum = 0;
  for (const v of evals) sum += v;
  const scale = evals.length / sum;
  const lpTrue = (1 + 1 / Math.sqrt(Q)) ** 2 * scale;
  const cutTrue = lpTrue + Math.sqrt(tracyWidomWidth(lpTrue, Q, M));
  let oracle = 0;
  for (const v of evals) if (v * scale > cutTrue) oracle++;
  return {
    ...c,
    N,
    planted: m.ratios.length,
    detectable: detectableCount(m.outliers, Q, M, scale),
    sigmaTrue: Math.sqrt(scale),
    ours: { found: mp.numSpikes, sigma: mp.sigma },
    ww: { found: ww.numSpikes, sigma: ww.sigma },
    oracle: { found: oracle, sigma: Math.sqrt(scale) },
  };
}

/** How many outliers ℓ lie DETECTABLE_MARGIN_TW widths above λ₊ + √TW (true σ, mean-1 scale). */
export function detectableCount(outliers: readonly number[], Q: number, M: number, scale: number): number {
  const lp = (1 + 1 / Math.sqrt(Q)) ** 2 * scale;
  const tw = tracyWidomWidth(lp, Q, M);
  const cut = lp + Math.sqrt(tw) + DETECTABLE_MARGIN_TW * tw;
  return outliers.filter((l) => l * scale >= cut).length;
}
