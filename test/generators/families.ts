/**
 * Seeded generators of matrices in each of the 5+1 phases (DESIGN.md §3.6), for the phase
 * tests and `npm run calibrate`. Every matrix is N×M with M from `sizes` and Q = N/M from
 * `ratios`, transposed half of the time (orientation must not matter) and rounded to the
 * storage dtype (float32 by default), so that "zero" means what it means in a model file.
 *
 * Noise normalisation: X has iid N(0, 1/N) entries, so the eigenvalues of XᵀX fill the MP
 * bulk [(1 − √y)², (1 + √y)²], y = M/N. A rank-one perturbation θ·u·vᵀ (unit u, v) leaves
 * the bulk when θ exceeds the BBP threshold θ_c = y^{1/4} (Baik, Ben Arous & Péché 2005;
 * Benaych-Georges & Nadakuditi 2012) and then sits at λ = (1 + θ²)(y + θ²)/θ².
 */
import type { DType } from '../../src/types.js';
import type { PhaseName } from '../../src/schema/index.js';
import { Rng } from './rng.js';
import { addLowRank, matmul, orthonormalColumns, transpose } from './linalg.js';
import { storeAs } from './storage.js';

export interface GeneratedMatrix {
  /** The phase the matrix is built to be in. */
  readonly phase: PhaseName;
  /** Which recipe of that phase (e.g. 'gaussian', 'power-law-spectrum'). */
  readonly variant: string;
  readonly seed: number;
  /** Stored shape (rows×cols, row-major); N = max, M = min. */
  readonly rows: number;
  readonly cols: number;
  readonly dtype: DType;
  /** Values after rounding to `dtype`, widened to float64. */
  readonly values: Float64Array;
  /** The recipe's parameters, for messages. */
  readonly params: Readonly<Record<string, number | string>>;
}

export interface GeneratorOptions {
  /** Candidate M (the smaller dimension). */
  readonly sizes?: readonly number[];
  /** Candidate Q = N/M. */
  readonly ratios?: readonly number[];
  readonly dtype?: DType;
}

export type Generator = (seed: number, options?: GeneratorOptions) => GeneratedMatrix;

export const DEFAULT_SIZES: readonly number[] = [100, 150, 200, 250, 300];
export const DEFAULT_RATIOS: readonly number[] = [1, 1.5, 2, 3, 4];

/** BBP threshold θ_c = (M/N)^{1/4} in the N(0, 1/N) normalisation. */
export function bbpThreshold(M: number, N: number): number {
  return Math.pow(M / N, 0.25);
}

/** Outlier position λ(θ) = (1 + θ²)(y + θ²)/θ² of a supercritical rank-one perturbation. */
export function bbpOutlier(theta: number, y: number): number {
  const t = theta * theta;
  return ((1 + t) * (y + t)) / t;
}

interface Shape {
  readonly N: number;
  readonly M: number;
}

function pickShape(rng: Rng, options: GeneratorOptions | undefined): Shape {
  const M = rng.pick(options?.sizes ?? DEFAULT_SIZES);
  const Q = rng.pick(options?.ratios ?? DEFAULT_RATIOS);
  return { M, N: Math.round(Q * M) };
}

/** N×M Gaussian with N(0, 1/N) entries. */
function gaussianNoise(rng: Rng, N: number, M: number): Float64Array {
  const X = new Float64Array(N * M);
  const s = 1 / Math.sqrt(N);
  for (let i = 0; i < X.length; i++) X[i] = rng.normal() * s;
  return X;
}

/** Adds Σ θᵢ uᵢvᵢᵀ with random orthonormal u's (N) and v's (M). */
function addSignal(rng: Rng, X: Float64Array, N: number, M: number, thetas: readonly number[]): void {
  const k = thetas.length;
  if (k === 0) return;
  const U = orthonormalColumns(rng, N, k);
  const V = orthonormalColumns(rng, M, k);
  addLowRank(X, N, M, U, thetas, V, k);
}

function finish(
  rng: Rng,
  phase: PhaseName,
  variant: string,
  seed: number,
  W: Float64Array,
  { N, M }: Shape,
  options: GeneratorOptions | undefined,
  params: Record<string, number | string>,
): GeneratedMatrix {
  const dtype = options?.dtype ?? 'F32';
  // A common scale far from 1, as trained weights have; the phase must not depend on it.
  const scale = Math.pow(10, rng.between(-2, 1));
  for (let i = 0; i < W.length; i++) W[i] = W[i]! * scale;
  const transposed = rng.uniform() < 0.5;
  const values = storeAs(transposed ? transpose(W, N, M) : W, dtype);
  return {
    phase,
    variant,
    seed,
    rows: transposed ? M : N,
    cols: transposed ? N : M,
    dtype,
    values,
    params: { N, M, Q: N / M, ...params, transposed: transposed ? 'yes' : 'no' },
  };
}

/** Random-like: iid Gaussian, uniform or ±1 entries. */
export const randomLike: Generator = (seed, options) => {
  const rng = new Rng(mixSeed(seed, 1));
  const shape = pickShape(rng, options);
  const variant = rng.pick(['gaussian', 'uniform', 'sign']);
  const W = new Float64Array(shape.N * shape.M);
  for (let i = 0; i < W.length; i++) {
    W[i] = variant === 'gaussian' ? rng.normal() : variant === 'uniform' ? rng.between(-1, 1) : rng.sign();
  }
  return finish(rng, 'random-like', variant, seed, W, shape, options, {});
};

/**
 * Bleeding-out: Gaussian bulk plus k ≤ 3 directions just above the BBP threshold,
 * θ = θ_c·(1 + c·M^{−1/3}) with c ∈ [2, 3.5]. The BBP transition has a critical window of
 * width ~M^{−1/3} around θ_c inside which an outlier cannot be told from the edge's own
 * Tracy–Widom fluctuations; c ≥ 2 puts the outlier just outside it (θ/θ_c between 1.3 and
 * 1.75 at M = 100…300, λ at most 1.35·λ₊).
 */
export const bleedingOut: Generator = (seed, options) => {
  const rng = new Rng(mixSeed(seed, 2));
  const shape = pickShape(rng, options);
  const { N, M } = shape;
  const thetaC = bbpThreshold(M, N);
  const k = rng.int(1, 3);
  const ratios = Array.from({ length: k }, () => 1 + rng.between(2, 3.5) * Math.pow(M, -1 / 3));
  const X = gaussianNoise(rng, N, M);
  addSignal(
    rng,
    X,
    N,
    M,
    ratios.map((r) => r * thetaC),
  );
  return finish(rng, 'bleeding-out', 'bbp-near', seed, X, shape, options, {
    k,
    maxThetaOverThetaC: round3(Math.max(...ratios)),
  });
};

/** Bulk+spikes: Gaussian bulk plus k ≤ 5 directions far above the threshold, θ ∈ [3, 8]·θ_c. */
export const bulkSpikes: Generator = (seed, options) => {
  const rng = new Rng(mixSeed(seed, 3));
  const shape = pickShape(rng, options);
  const { N, M } = shape;
  const thetaC = bbpThreshold(M, N);
  const k = rng.int(1, 5);
  const ratios = Array.from({ length: k }, () => rng.between(3, 8));
  const X = gaussianNoise(rng, N, M);
  addSignal(
    rng,
    X,
    N,
    M,
    ratios.map((r) => r * thetaC),
  );
  return finish(rng, 'bulk+spikes', 'bbp-far', seed, X, shape, options, {
    k,
    minThetaOverThetaC: round3(Math.min(...ratios)),
  });
};

/**
 * Bulk-decay: Gaussian bulk plus K = (30…50 %)·M signal directions whose strengths fall
 * linearly from θ_top ∈ [2.5, 3.5]·θ_c to 0, a continuum that crosses the threshold and
 * fades into the bulk with no gap: many outliers hugging a smeared edge.
 */
export const bulkDecay: Generator = (seed, options) => {
  const rng = new Rng(mixSeed(seed, 4));
  const shape = pickShape(rng, options);
  const { N, M } = shape;
  const thetaC = bbpThreshold(M, N);
  const K = Math.max(2, Math.round(rng.between(0.3, 0.5) * M));
  const top = rng.between(2.5, 3.5);
  const thetas = Array.from({ length: K }, (_, i) => top * thetaC * (1 - i / K));
  const X = gaussianNoise(rng, N, M);
  addSignal(rng, X, N, M, thetas);
  return finish(rng, 'bulk-decay', 'fading-continuum', seed, X, shape, options, { K, topThetaOverThetaC: round3(top) });
};

/**
 * Heavy-tailed: either a dominant power-law spectrum, W = U·diag(√λ)·Vᵀ with λ iid
 * Pareto so that ρ(λ) ~ λ^{−α}, α ∈ [1.5, 3.5] (random orthonormal U, V); or iid entries
 * with tail index μ < 2 (Pareto μ ∈ [0.5, 1.8] with random signs, or Cauchy, μ = 1), whose
 * ESD is heavy-tailed with α ≈ 1 + μ/2 (Martin & Mahoney 2021, §3).
 */
export const heavyTailed: Generator = (seed, options) => {
  const rng = new Rng(mixSeed(seed, 5));
  const shape = pickShape(rng, options);
  const { N, M } = shape;
  const variant = rng.pick(['power-law-spectrum', 'pareto-entries', 'cauchy-entries']);
  let W: Float64Array;
  const params: Record<string, number> = {};
  if (variant === 'power-law-spectrum') {
    const alpha = rng.between(1.5, 3.5);
    params.alpha = round3(alpha);
    const sv = Array.from({ length: M }, () => Math.sqrt(rng.pareto(alpha - 1)));
    const U = orthonormalColumns(rng, N, M);
    const V = orthonormalColumns(rng, M, M);
    W = new Float64Array(N * M);
    addLowRank(W, N, M, U, sv, V, M);
  } else {
    const mu = variant === 'cauchy-entries' ? 1 : rng.between(0.5, 1.8);
    params.mu = round3(mu);
    W = new Float64Array(N * M);
    for (let i = 0; i < W.length; i++) {
      W[i] = variant === 'cauchy-entries' ? Math.tan(Math.PI * (rng.uniform() - 0.5)) : rng.sign() * rng.pareto(mu);
    }
  }
  return finish(rng, 'heavy-tailed', variant, seed, W, shape, options, params);
};

/** Rank-collapse: a low-rank product A·B, A N×r and B r×M Gaussian, r = (5…60 %)·M. */
export const rankCollapse: Generator = (seed, options) => {
  const rng = new Rng(mixSeed(seed, 6));
  const shape = pickShape(rng, options);
  const { N, M } = shape;
  const r = Math.max(1, Math.round(rng.between(0.05, 0.6) * M));
  const A = new Float64Array(N * r);
  const B = new Float64Array(r * M);
  for (let i = 0; i < A.length; i++) A[i] = rng.normal();
  for (let i = 0; i < B.length; i++) B[i] = rng.normal();
  return finish(rng, 'rank-collapse', 'low-rank-product', seed, matmul(A, B, N, r, M), shape, options, { rank: r });
};

/** One generator per phase, in PHASE_NAMES order. */
export const PHASE_GENERATORS: Readonly<Record<PhaseName, Generator>> = {
  'random-like': randomLike,
  'bleeding-out': bleedingOut,
  'bulk+spikes': bulkSpikes,
  'bulk-decay': bulkDecay,
  'heavy-tailed': heavyTailed,
  'rank-collapse': rankCollapse,
};

/**
 * Seeds used while choosing the thresholds in src/phase-thresholds.ts, and the disjoint
 * seeds the tests and `npm run calibrate` evaluate on.
 */
export const TUNING_SEEDS = { first: 1, count: 200 } as const;
export const EVALUATION_SEEDS = { first: 100_001, count: 100_000 } as const;

export function seedRange(
  range: { readonly first: number; readonly count: number },
  count: number = range.count,
): number[] {
  return Array.from({ length: Math.min(count, range.count) }, (_, i) => range.first + i);
}

function mixSeed(seed: number, family: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(family, 0x85ebca77)) >>> 0;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
