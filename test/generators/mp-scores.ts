/**
 * The MP ground-truth comparison (issue 16): the grid of cases, the count-based scores of a
 * spike counter against a truth, and the side-by-side table `npm run calibrate` prints.
 *
 * Scores per matrix, with truth t and count f: TP = min(f, t), FP = max(0, f − t),
 * FN = max(0, t − f); recall = ΣTP/Σt, precision = ΣTP/Σf (1 when nothing was found), exact =
 * share of matrices with f = t, ±1 = share with |f − t| ≤ 1; σ error = median |σ/σ_true − 1|.
 * Against the `detectable` truth the count is right anywhere in [detectable, planted]: a
 * method must find the detectable spikes (recall on min(f, d)) and may find the planted
 * ones below the margin (precision on min(f, p); exact: d ≤ f ≤ p; ±1: d − 1 ≤ f ≤ p + 1).
 */
import type { EigenSolver } from '../../src/esd.js';
import { BULK_KINDS, SPIKE_MODES, runTruthCase, type TruthCase, type TruthOutcome } from './mp-truth.js';

export const TRUTH_RATIOS: readonly number[] = [1, 1.5, 2, 4, 8];
export const TRUTH_SIZES: readonly number[] = [64, 128, 256, 512, 1024, 2048];
/** N = Q·M is capped here (8192×2048 is the largest matrix), to keep the run in minutes. */
export const TRUTH_MAX_N = 8192;
/** Matrices per (Q, M) cell by default: every bulk × spike-mode combination once. */
export const DEFAULT_PER_CELL = 9;
/** First seed of the ground-truth cases. */
export const TRUTH_FIRST_SEED = 1;

/**
 * Matrices in a cell of size M when cells up to M = 256 get `perCell`: 2/3 of that at 512,
 * 1/3 at 1024, 1/9 at 2048 (at least one), so that each size costs about the same time.
 */
export function cellCount(M: number, perCell: number): number {
  const share = M <= 256 ? 1 : M === 512 ? 2 / 3 : M === 1024 ? 1 / 3 : 1 / 9;
  return Math.max(1, Math.ceil(perCell * share));
}

/** The cases: every (Q, M) with N ≤ TRUTH_MAX_N, cycling through bulk × spike mode. */
export function truthGrid(perCell: number = DEFAULT_PER_CELL, first: number = TRUTH_FIRST_SEED): TruthCase[] {
  const cases: TruthCase[] = [];
  let seed = first;
  let cell = 0;
  for (const M of TRUTH_SIZES) {
    for (const Q of TRUTH_RATIOS) {
      if (Math.round(Q * M) > TRUTH_MAX_N) continue;
      const count = cellCount(M, perCell);
      for (let i = 0; i < count; i++) {
        const combo = (i + cell) % (BULK_KINDS.length * SPIKE_MODES.length);
        const bulk = BULK_KINDS[combo % BULK_KINDS.length]!;
        const mode = SPIKE_MODES[Math.floor(combo / BULK_KINDS.length)]!;
        cases.push({ seed: seed++, Q, M, bulk, mode });
      }
      cell++;
    }
  }
  return cases;
}

/** Runs every case (eigenvalues by `solve`, default the in-thread solver), in order. */
export async function runTruth(cases: readonly TruthCase[], solve?: EigenSolver): Promise<TruthOutcome[]> {
  const out: TruthOutcome[] = [];
  for (const c of cases) {
    out.push(await runTruthCase(c, solve));
    // Let the event loop breathe (test-runner heartbeats) between matrices.
    await new Promise((resolve) => setImmediate(resolve));
  }
  return out;
}

export type Method = 'ours' | 'ww' | 'oracle';
export type Truth = 'planted' | 'detectable';

export interface Score {
  readonly matrices: number;
  readonly truth: number;
  readonly found: number;
  readonly recall: number;
  readonly precision: number;
  readonly exact: number;
  readonly within1: number;
  /** Median |σ/σ_true − 1|. */
  readonly sigmaError: number;
}

export function score(outcomes: readonly TruthOutcome[], method: Method, truth: Truth): Score {
  let t = 0;
  let f = 0;
  let tp = 0;
  let fpFree = 0;
  let exact = 0;
  let within1 = 0;
  const errors: number[] = [];
  for (const o of outcomes) {
    const lo = o[truth];
    const hi = o.planted;
    const got = o[method].found;
    t += lo;
    f += got;
    tp += Math.min(lo, got);
    fpFree += Math.min(hi, got);
    if (got >= lo && got <= hi) exact++;
    if (got >= lo - 1 && got <= hi + 1) within1++;
    errors.push(Math.abs(o[method].sigma / o.sigmaTrue - 1));
  }
  const n = outcomes.length;
  return {
    matrices: n,
    truth: t,
    found: f,
    recall: t > 0 ? tp / t : 1,
    precision: f > 0 ? fpFree / f : 1,
    exact: n > 0 ? exact / n : 0,
    within1: n > 0 ? within1 / n : 0,
    sigmaError: median(errors),
  };
}

function median(xs: number[]): number {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Groups of the breakdown: all, then by Q, M, bulk and spike mode. */
export function truthGroups(outcomes: readonly TruthOutcome[]): Array<[string, TruthOutcome[]]> {
  const groups: Array<[string, TruthOutcome[]]> = [['all', [...outcomes]]];
  const by = <K>(label: string, keys: readonly K[], pick: (o: TruthOutcome) => K) => {
    for (const k of keys) {
      const sel = outcomes.filter((o) => pick(o) === k);
      if (sel.length > 0) groups.push([`${label}${String(k)}`, sel]);
    }
  };
  by('Q=', TRUTH_RATIOS, (o) => o.Q);
  by('M=', TRUTH_SIZES, (o) => o.M);
  by('bulk ', BULK_KINDS, (o) => o.bulk);
  by('spikes ', SPIKE_MODES, (o) => o.mode);
  return groups;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}`.padStart(6);
const COLUMNS: ReadonlyArray<[Method, string]> = [
  ['ours', 'ours (src/fit/mp.ts)'],
  ['ww', 'WeightWatcher (reimpl.)'],
  ['oracle', 'true σ (the rule itself)'],
];
const WIDTH = 32;

/** Side-by-side table of both methods (and the count rule with the true σ) against one truth. */
export function truthTable(outcomes: readonly TruthOutcome[], truth: Truth): string {
  const head = 'recall  prec exact    ±1';
  const titles = COLUMNS.map(([, t]) => t.padStart(WIDTH)).join('');
  const lines = [
    `${`truth: ${truth}`.padEnd(20)}${'n'.padStart(5)} ${titles}  σ err ours/WW`,
    `${''.padEnd(25)} ${COLUMNS.map(() => head.padStart(WIDTH)).join('')}`,
  ];
  for (const [label, sel] of truthGroups(outcomes)) {
    const scores = COLUMNS.map(([m]) => score(sel, m, truth));
    const cells = scores.map((s) => `${pct(s.recall)}${pct(s.precision)}${pct(s.exact)}${pct(s.within1)}`);
    const sigma = `${pct(scores[0]!.sigmaError)}${pct(scores[1]!.sigmaError)}`;
    lines.push(
      `${label.padEnd(20)}${String(sel.length).padStart(5)} ${cells.map((c) => c.padStart(WIDTH)).join('')}${sigma}`,
    );
  }
  lines.push('(percentages; σ err = median |σ/σ_true − 1|)');
  return lines.join('\n');
}
