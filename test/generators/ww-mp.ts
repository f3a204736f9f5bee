/**
 * A reimplementation of WeightWatcher's Marchenko–Pastur fit, as a yardstick for our own
 * (src/fit/mp.ts) in the ground-truth comparison (`npm run calibrate`, issue 16). It is a
 * reference for comparison, not a product module: nothing in src/ imports it.
 *
 * What it reproduces (WeightWatcher 0.7.5.5, weightwatcher.py `WeightWatcher.mp_fit` and
 * RMT_Util.py `fit_density_with_range`, `resid_mp`, `marchenko_pastur_fun`,
 * `quarter_circle_fun`, `calc_sigma`), written from a reading of that code, not copied:
 * - the eigenvalues are rescaled to mean 1: λ̃ = W_scale²·λ, W_scale² = n/Σλ;
 * - for Q = 1 the fit is made on the singular values √λ̃ against the quarter-circle law
 *   (1/(πσ²))·√(4 − x²), otherwise on λ̃ against the MP density with ratio Q and scale σ;
 * - the empirical density is a kernel density estimate with a linear (triangular) kernel of
 *   bandwidth 0.1 (scikit-learn `KernelDensity(kernel='linear')`: (1/nh)·Σ max(0, 1 − |x − xᵢ|/h))
 *   on 1000 points of linspace(0, max + 0.5); points where it is ≤ 0.01 are dropped;
 * - the residual is Σ(ρ_MP − ρ_KDE)² over the kept points, 1000 per point when the MP support
 *   does not straddle the KDE's mode or reaches past the last kept point (not for Q = 1);
 * - σ is found by `scipy.optimize.brute` on the grid 0.05·s, 0.06·s, … < 2·s with
 *   s = calc_sigma(Q, λ̃) = √(λ̃_max)/(1 + 1/√Q), then polished by brute's default finish,
 *   `scipy.optimize.fmin` (Nelder–Mead; initial step 5 %, xtol = ftol = 1e-4, 200 evaluations);
 * - λ₊ = (σ(1 + 1/√Q))², TW = Q^{−1/2} λ₊^{2/3} M^{−2/3}, num_spikes = #(λ̃ > λ₊ + √TW) —
 *   on the eigenvalues, also when Q = 1.
 * test/generators/ww-mp.test.ts checks it against WeightWatcher's own outputs on
 * fixtures/reference (synthetic.ww.json, `mp.sigma_mp` and `mp.num_spikes`).
 */

export interface WwMpFit {
  /** σ in the rescaled (mean-1) units, WeightWatcher's `sigma_mp`. */
  readonly sigma: number;
  /** #(λ̃ > λ₊ + √TW), WeightWatcher's `num_spikes`. */
  readonly numSpikes: number;
  /** λ₊ in original units, WeightWatcher's `bulk_max`. */
  readonly lambdaPlus: number;
  /** W_scale² = n/Σλ. */
  readonly scale: number;
}

/** WeightWatcher's fixed kernel bandwidth (`mp_fit`: bw = 0.1). */
const BANDWIDTH = 0.1;
/** Points of the density grid (`resid_mp`: linspace(0, max + 0.5, 1000)). */
const GRID_POINTS = 1000;
/** KDE values at or below this are dropped from the residual (`resid_mp`: THRESH). */
const DENSITY_FLOOR = 0.01;
/** The residual of a σ whose MP support is out of place (`resid_mp`). */
const PENALTY = 1000;

/** WeightWatcher's MP fit of the eigenvalues `evals` of an N×M matrix (N ≥ M). */
export function wwMpFit(evals: ArrayLike<number>, N: number, M: number): WwMpFit {
  const Q = N / M;
  const n = evals.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += evals[i]!;
  const scale = n / sum;
  const lt = Float64Array.from(evals, (v) => v * scale).sort();
  const toFit = Q === 1 ? lt.map((v) => Math.sqrt(Math.max(0, v))) : lt;
  const kde = kernelDensity(toFit);
  const residual = (sigma: number) => residualMp(sigma, kde, Q);

  // brute: the grid, its first minimum, then fmin from there.
  const inv = 1 / Math.sqrt(Q);
  const s = Math.sqrt(lt[n - 1]! / ((1 + inv) * (1 + inv)));
  const start = 0.05 * s;
  const step = 0.01 * s;
  const size = Math.ceil((2.0 * s - start) / step);
  let best = start;
  let bestValue = Number.POSITIVE_INFINITY;
  for (let i = 0; i < size; i++) {
    const x = i * step + start;
    const v = residual(x);
    if (v < bestValue) {
      bestValue = v;
      best = x;
    }
  }
  const sigma = nelderMead1d(residual, best);

  const bulkMax = (sigma * (1 + 1 / Math.sqrt(Q))) ** 2;
  const tw = (1 / Math.sqrt(Q)) * Math.pow(bulkMax, 2 / 3) * Math.pow(M, -2 / 3);
  const cut = bulkMax + Math.sqrt(tw);
  let numSpikes = 0;
  for (let i = 0; i < n; i++) if (lt[i]! > cut) numSpikes++;
  return { sigma, numSpikes, lambdaPlus: bulkMax / scale, scale };
}

interface Kde {
  /** Grid points where the density is above DENSITY_FLOOR, and the density there. */
  readonly x: Float64Array;
  readonly y: Float64Array;
  /** The first grid point of highest density. */
  readonly mode: number;
  /** The last kept grid point. */
  readonly last: number;
}

/** Linear-kernel KDE of the ascending `xs` on linspace(0, max + 0.5, 1000), floor applied. */
function kernelDensity(xs: Float64Array): Kde {
  const n = xs.length;
  const h = BANDWIDTH;
  const stop = xs[n - 1]! + 0.5;
  const delta = stop / (GRID_POINTS - 1);
  const keptX: number[] = [];
  const keptY: number[] = [];
  let lo = 0;
  for (let j = 0; j < GRID_POINTS; j++) {
    const g = j === GRID_POINTS - 1 ? stop : j * delta;
    while (lo < n && xs[lo]! <= g - h) lo++;
    let acc = 0;
    for (let i = lo; i < n && xs[i]! < g + h; i++) {
      const d = Math.abs(g - xs[i]!);
      if (d < h) acc += 1 - d / h;
    }
    const density = acc / (n * h);
    if (density > DENSITY_FLOOR) {
      keptX.push(g);
      keptY.push(density);
    }
  }
  const x = Float64Array.from(keptX);
  const y = Float64Array.from(keptY);
  let mode = x[0] ?? 0;
  let top = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < y.length; j++) {
    if (y[j]! > top) {
      top = y[j]!;
      mode = x[j]!;
    }
  }
  return { x, y, mode, last: x[x.length - 1] ?? 0 };
}

/** `resid_mp(..., allresid=False)`: Σ(ρ_law(σ) − ρ_KDE)² over the kept grid points. */
function residualMp(sigma: number, kde: Kde, Q: number): number {
  const { x, y } = kde;
  let ss = 0;
  if (Q === 1) {
    const c = 1 / (Math.PI * sigma * sigma);
    for (let j = 0; j < x.length; j++) {
      const r = finite(c * Math.sqrt(4 - x[j]! ** 2)) - y[j]!;
      ss += r * r;
    }
    return ss;
  }
  const yr = 1 / Q;
  const b = (sigma * (1 + Math.sqrt(yr))) ** 2;
  const a = (sigma * (1 - Math.sqrt(yr))) ** 2;
  if (b < kde.mode || b > kde.last || a > kde.mode) return x.length * PENALTY * PENALTY;
  for (let j = 0; j < x.length; j++) {
    const xj = x[j]!;
    const r = finite((1 / (2 * Math.PI * sigma * sigma * xj * yr)) * Math.sqrt((b - xj) * (xj - a))) - y[j]!;
    ss += r * r;
  }
  return ss;
}

/** numpy's nan_to_num for the values these densities take: NaN → 0, ±∞ → ±max. */
function finite(v: number): number {
  if (Number.isNaN(v)) return 0;
  if (v === Number.POSITIVE_INFINITY) return Number.MAX_VALUE;
  if (v === Number.NEGATIVE_INFINITY) return -Number.MAX_VALUE;
  return v;
}

/**
 * scipy.optimize.fmin in one dimension (Nelder–Mead, ρ = 1, χ = 2, ψ = ½, shrink ½): initial
 * simplex {x₀, 1.05·x₀}, stops when both points and values agree to 1e-4 or after 200
 * evaluations or iterations; returns the best point.
 */
export function nelderMead1d(f: (x: number) => number, x0: number): number {
  const xtol = 1e-4;
  const ftol = 1e-4;
  const maxCalls = 200;
  let calls = 0;
  const fc = (x: number) => {
    calls++;
    return f(x);
  };
  let s0 = x0;
  let s1 = x0 !== 0 ? 1.05 * x0 : 0.00025;
  let f0 = fc(s0);
  let f1 = fc(s1);
  if (f1 < f0) [s0, s1, f0, f1] = [s1, s0, f1, f0];
  let iterations = 1;
  while (calls < maxCalls && iterations < maxCalls) {
    if (Math.abs(s1 - s0) <= xtol && Math.abs(f0 - f1) <= ftol) break;
    const xbar = s0;
    const xr = 2 * xbar - s1;
    const fxr = fc(xr);
    let shrink = false;
    if (fxr < f0) {
      const xe = 3 * xbar - 2 * s1;
      const fxe = fc(xe);
      if (fxe < fxr) [s1, f1] = [xe, fxe];
      else [s1, f1] = [xr, fxr];
    } else if (fxr < f1) {
      // (fmin's "fxr < fsim[-2]" branch is fsim[0] in one dimension: never taken here.)
      const xc = 1.5 * xbar - 0.5 * s1;
      const fxc = fc(xc);
      if (fxc <= fxr) [s1, f1] = [xc, fxc];
      else shrink = true;
    } else {
      const xcc = 0.5 * xbar + 0.5 * s1;
      const fxcc = fc(xcc);
      if (fxcc < f1) [s1, f1] = [xcc, fxcc];
      else shrink = true;
    }
    if (shrink) {
      s1 = s0 + 0.5 * (s1 - s0);
      f1 = fc(s1);
    }
    if (f1 < f0) [s0, s1, f0, f1] = [s1, s0, f1, f0];
    iterations++;
  }
  return s0;
}
