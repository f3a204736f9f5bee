/**
 * The English of every finding, in one place: a finding is a stable code plus the numbers it
 * rests on (publint's `{ code, args }` messages and their one `formatMessage`), and these
 * functions are the only code that turns one into a sentence. The pipeline stores the code
 * and, where a user may want them, the numbers (`skipCode`, `failure.code`, `phase.rule` with
 * `phase.evidence`); the sentence beside them (`skipReason`, `reason`) is made here.
 *
 * Why here and not in report/: the sentences are fields of the v1 document the core owns
 * (`skipReason`, `phase.reason`, …), so the core must be able to write them without importing
 * the reporters (ARCHITECTURE.md's layering rule). Reporters never build a finding's English
 * themselves; they print these fields or call these functions.
 */
import type { DType } from '../types.js';
import type {
  FitFailure,
  FitFailureCode,
  MpResult,
  PhaseEvidence,
  PhaseRule,
  SkipCode,
  TailModels,
} from './layer-result.js';
import {
  CONTINUUM_WEIGHT,
  HEAVY_ALPHA,
  OUTLIER_TW,
  SEPARATED_STRENGTH,
  VERY_HEAVY_ALPHA,
} from '../phase-thresholds.js';

// ── Skipped layers ──────────────────────────────────────────────────────────────────────

/** Why a layer was not analysed: its code and the numbers (or names) the sentence needs. */
export type SkipDetail =
  | { readonly code: 'unsupported-dtype' | 'scalar' | 'bias' | 'norm' | 'vector' | 'all-zero' | 'optimizer-state' }
  /** `type`: the ggml type name (e.g. IQ2_XXS). */
  | { readonly code: 'unsupported-quantization'; readonly type: string }
  | { readonly code: 'empty' | 'unsupported-rank'; readonly shape: readonly number[] }
  | { readonly code: 'depthwise'; readonly slices: number; readonly rows: number; readonly cols: number }
  | { readonly code: 'no-spectrum'; readonly rows: number; readonly cols: number }
  | { readonly code: 'too-few-eigenvalues'; readonly numEvals: number; readonly minEvals: number }
  /** `original`: the tensor analysed in its place (model text: escaped by every reporter). */
  | { readonly code: 'shared-storage' | 'tied'; readonly original: string }
  | { readonly code: 'non-finite'; readonly count: number }
  | { readonly code: 'overflow' | 'underflow'; readonly maxAbs: number };

export function skipReason(d: SkipDetail): string {
  switch (d.code) {
    case 'unsupported-dtype':
      return 'stored in a format rmt-analyze cannot decode';
    case 'empty':
      return `empty tensor (shape [${d.shape.join(', ')}])`;
    case 'scalar':
      return 'scalar';
    case 'bias':
      return 'bias vector';
    case 'norm':
      return 'normalization parameters (1-D)';
    case 'vector':
      return '1-D tensor';
    case 'depthwise':
      return `each of its ${d.slices} kernel slices is ${d.rows}×${d.cols} (M = 1, no spectrum)`;
    case 'no-spectrum':
      return `${d.rows}×${d.cols} matrix (M = 1, no spectrum)`;
    case 'too-few-eigenvalues':
      return `${d.numEvals} eigenvalues (M·slices), fewer than --min-evals ${d.minEvals}`;
    case 'unsupported-rank':
      return `rank-${d.shape.length} tensor [${d.shape.join(', ')}] is neither a matrix nor a convolution kernel`;
    case 'shared-storage':
      return `same stored tensor as '${d.original}' (analysed once)`;
    case 'tied':
      return `same values as '${d.original}' (tied weights, analysed once)`;
    case 'non-finite':
      return `contains ${d.count} non-finite value${d.count === 1 ? '' : 's'} (NaN or Inf)`;
    case 'all-zero':
      return 'all entries are zero';
    case 'overflow':
      return `entries too large for float64 spectra (max |w| = ${d.maxAbs.toExponential(2)})`;
    case 'underflow':
      return `entries too small for float64 spectra (max |w| = ${d.maxAbs.toExponential(2)}, Σw² below 2^-1044)`;
    case 'optimizer-state':
      return 'optimizer state of a training checkpoint, not a weight';
    case 'unsupported-quantization':
      return `stored as ${d.type}, a quantization rmt-analyze does not decode`;
  }
}

/** Every SkipCode has a detail and a sentence (a compile error here means one is missing). */
const _everySkipCodeHasWords: Record<SkipCode, true> = {
  'unsupported-dtype': true,
  empty: true,
  scalar: true,
  bias: true,
  norm: true,
  vector: true,
  depthwise: true,
  'no-spectrum': true,
  'too-few-eigenvalues': true,
  'unsupported-rank': true,
  'shared-storage': true,
  tied: true,
  'non-finite': true,
  'all-zero': true,
  overflow: true,
  underflow: true,
  'optimizer-state': true,
  'unsupported-quantization': true,
} satisfies Record<SkipDetail['code'], true>;
void _everySkipCodeHasWords;

// ── Failed fits ─────────────────────────────────────────────────────────────────────────

/** Why the power-law or MP fit failed: its code and numbers. */
export type FitFailureDetail =
  | { readonly code: 'invalid-shape'; readonly M: number; readonly Q: number }
  /** Power law: fewer than it needs `above` the zero floor; MP: fewer than `need` in all. */
  | { readonly code: 'too-few-eigenvalues'; readonly count: number; readonly above: number }
  | { readonly code: 'too-few-eigenvalues'; readonly count: number; readonly need: number }
  | { readonly code: Exclude<FitFailureCode, 'invalid-shape' | 'too-few-eigenvalues'> };

export function fitFailureReason(d: FitFailureDetail): string {
  switch (d.code) {
    case 'invalid-shape':
      return `invalid shape (M = ${d.M}, Q = ${d.Q})`;
    case 'too-few-eigenvalues':
      return 'above' in d
        ? `only ${d.count} eigenvalue(s) above ${d.above}`
        : `only ${d.count} eigenvalues (need ${d.need})`;
    case 'non-finite':
      return 'eigenvalues are not finite';
    case 'no-finite-alpha':
      return 'no xmin candidate gives a finite α';
    case 'all-zero':
      return 'all eigenvalues are zero';
    case 'underflow':
      return 'eigenvalues too small for float64 (the mean-1 rescaling n/Σλ overflows)';
    case 'low-rank':
      return 'a LoRA update is low-rank by construction: no Marchenko–Pastur bulk';
  }
}

/** The failed-fit result for `d`: its code and its sentence. */
export function fitFailed(d: FitFailureDetail): FitFailure {
  return { status: 'failed', code: d.code, reason: fitFailureReason(d) };
}

// ── Tail-model comparison (PL vs TPL vs EXP, Clauset et al. 2009 §6) ────────────────────

/** Which branch of the comparison chose `bestFit` (fit/best-fit.ts). */
export type TailComparisonRule =
  | 'exp-better-than-pl'
  | 'pl-not-worse-than-exp'
  | 'exp-rejected'
  | 'pl-rejected'
  | 'tpl-better';

export function tailComparisonReason(
  rule: TailComparisonRule,
  t: Pick<TailModels, 'plVsTpl' | 'expVsTpl' | 'plVsExp'>,
): string {
  const p = (x: number) => (x < 1e-4 ? x.toExponential(1) : x.toPrecision(2));
  switch (rule) {
    case 'exp-better-than-pl':
      return (
        `PL and EXP both adequate vs TPL (p = ${p(t.plVsTpl.p)}, ${p(t.expVsTpl.p)}); ` +
        `EXP better than PL (Vuong p = ${p(t.plVsExp.p)})`
      );
    case 'pl-not-worse-than-exp':
      return (
        `PL adequate vs TPL (p = ${p(t.plVsTpl.p)}) and not worse than EXP ` +
        `(Vuong R = ${t.plVsExp.R.toPrecision(3)}, p = ${p(t.plVsExp.p)})`
      );
    case 'exp-rejected':
      return `PL adequate vs TPL (p = ${p(t.plVsTpl.p)}); EXP rejected (p = ${p(t.expVsTpl.p)})`;
    case 'pl-rejected':
      return `PL rejected vs TPL (p = ${p(t.plVsTpl.p)}); EXP adequate (p = ${p(t.expVsTpl.p)})`;
    case 'tpl-better':
      return `TPL significantly better than PL (p = ${p(t.plVsTpl.p)}) and EXP (p = ${p(t.expVsTpl.p)})`;
  }
}

/** Why the alternatives to the power law could not be fitted on a tail. */
export type TailComparisonFailure =
  | { readonly code: 'short-tail'; readonly size: number; readonly min: number }
  | { readonly code: 'alpha-not-normalisable'; readonly alpha: number }
  | { readonly code: 'exponential-failed' | 'truncated-power-law-failed'; readonly cause: TailFitFailure };

/** Why the exponential or truncated power law could not be fitted. */
export type TailFitFailure =
  | { readonly code: 'short-tail'; readonly size: number }
  | { readonly code: 'xmin-not-positive' | 'all-equal-xmin' | 'all-equal' | 'likelihood-not-finite' };

export function tailFitFailureReason(d: TailFitFailure): string {
  switch (d.code) {
    case 'short-tail':
      return d.size === 0 ? 'empty tail' : `tail of ${d.size} point(s)`;
    case 'xmin-not-positive':
      return 'xmin is not positive';
    case 'all-equal-xmin':
      return 'all tail values equal xmin';
    case 'all-equal':
      return 'all tail values are equal';
    case 'likelihood-not-finite':
      return 'the likelihood is not finite';
  }
}

export function tailComparisonFailureReason(d: TailComparisonFailure): string {
  switch (d.code) {
    case 'short-tail':
      return `tail of ${d.size} point(s), fewer than ${d.min}: no test has power`;
    case 'alpha-not-normalisable':
      return `power-law α = ${d.alpha} is not a normalisable exponent`;
    case 'exponential-failed':
      return `exponential: ${tailFitFailureReason(d.cause)}`;
    case 'truncated-power-law-failed':
      return `truncated power law: ${tailFitFailureReason(d.cause)}`;
  }
}

// ── Phases (phase.ts decides; this says why, from the rule and its evidence) ────────────

/**
 * The one-line reason of a phase decision: the branch that fired (`rule`), stated with the
 * numbers it compared (`evidence`). `dtype` names the storage precision of the zero floor;
 * `mp` supplies the MP fit's own failure reason when there is no MP edge.
 */
export function phaseReason(rule: PhaseRule, f: PhaseEvidence, dtype: DType, mp: MpResult): string {
  const reason = ruleReason(rule, f, dtype, mp);
  // Many eigenvalues under the floor but not counted as zero: say so, and at which precision.
  const below = f.belowFloor ?? 0;
  if (rule === 'excess-zero-mass' || below < 0.1 * f.numEvals) return reason;
  return (
    `${reason}; ${pct(below / f.numEvals)} of the eigenvalues lie below the ${floorName(f, dtype)} ` +
    `but run on into the ${f.aboveFloor ?? 0} just above it: a continuous spectrum, not a collapse`
  );
}

/** "uint8 floor (σ ≤ 0.017)" or, for a quantization grid, its rounding noise too. */
function floorName(f: PhaseEvidence, dtype: DType): string {
  const noise = f.stepNoise !== undefined ? `, grid noise ${fmt(f.stepNoise, 2)} per entry` : '';
  return `${precisionName(dtype)} floor (σ ≤ ${fmt(f.zeroFloor, 2)}${noise})`;
}

function ruleReason(rule: PhaseRule, f: PhaseEvidence, dtype: DType, mp: MpResult): string {
  const join = (...parts: string[]) => parts.filter((p) => p !== '').join('; ');
  const alphaText =
    f.alpha === undefined ? 'no power-law fit' : `α ${fmt(f.alpha)} (D ${fmt(f.D!, 2)}, ${f.numTail} in tail)`;

  if (rule === 'excess-zero-mass') {
    const grid = f.stepNoise !== undefined ? ` from its grid noise ${fmt(f.stepNoise, 2)} per entry` : '';
    return join(
      `${f.zeroCount} of ${f.numEvals} eigenvalues (${pct(f.zeroFraction)}) ` +
        `are zero at ${precisionName(dtype)} precision ` +
        `(σ ≤ ${fmt(f.zeroFloor, 2)}${grid}, ` +
        `σ_max ${fmt(Math.sqrt(f.lambdaMax), 3)})`,
      (f.aboveFloor ?? 0) > 0 && f.belowFloor !== undefined && f.belowFloor > f.zeroCount
        ? `${f.belowFloor} below the floor less ${CONTINUUM_WEIGHT}× the ${f.aboveFloor} just above it`
        : '',
      f.rankLoss < f.zeroCount ? `rank loss at float64 precision only ${f.rankLoss}` : '',
      f.expectedZeroFraction < 0.001 ? 'MP predicts none' : `MP predicts ${pct(f.expectedZeroFraction)}`,
    );
  }
  if (rule === 'low-rank-random' || rule === 'low-rank-power-law' || rule === 'low-rank-no-heavy-tail') {
    const lr = f.lowRank;
    const what = `rank ${lr?.rank ?? f.numEvals} by construction (LoRA): its non-zero eigenvalues only, no MP test`;
    const spread = lr && lr.lambdaMin > 0 ? `λ_max/λ_min ${fmt(f.lambdaMax / lr.lambdaMin)}` : 'λ_min 0';
    const random = lr?.randomSpread == null ? 'no random-factor bound (r not below both dimensions)' : '';
    if (rule === 'low-rank-random') return join(what, `${spread}, within random factors' ${fmt(lr!.randomSpread!)}`);
    const beyond = random || `${spread}, beyond random factors' ${fmt(lr!.randomSpread!)}`;
    if (rule === 'low-rank-power-law') return join(what, beyond, `power law ${alphaText}`);
    const steep = f.alpha === undefined ? alphaText : `too steep for a heavy tail (${alphaText})`;
    return join(what, beyond, steep);
  }
  const e = f.edge;
  if (rule === 'mp-failed-power-law' || rule === 'mp-failed' || e === undefined) {
    const why = mp.status === 'failed' ? mp.reason : 'no MP fit';
    if (rule === 'mp-failed-power-law') return join(`MP fit failed (${why})`, `power law ${alphaText}`);
    return join(`MP fit failed (${why}), no evidence of structure`, alphaText);
  }

  const fitText =
    e.atBound === 'lower'
      ? 'no MP bulk at any admissible scale (σ at the fit’s lower bound)'
      : e.bulkFitsMp
        ? `bulk fits MP (KS ${fmt(e.bulkKS, 2)})`
        : `bulk does not fit MP (KS ${fmt(e.bulkKS, 2)} ≥ ${fmt(e.ksLimit, 2)})`;
  const top = `largest ${fmt(e.topRatio)}× λ₊`;
  const count = `${e.outliers} eigenvalue${e.outliers === 1 ? '' : 's'} above λ₊+${OUTLIER_TW}·TW`;
  const notMp =
    e.scaleFree && e.bulkFitsMp ? `${count} spanning ${fmt(e.topRatio)}× λ₊: scale-free, not an MP edge` : fitText;

  switch (rule) {
    case 'no-outliers':
      return join(`no eigenvalue above λ₊+${OUTLIER_TW}·TW (λ_max ${signed(e.topTW)} TW from λ₊)`, fitText);
    case 'outliers-not-separated':
      return join(
        `${count}, none separated (${top}, ${fmt(e.topStrength)}× the BBP threshold < ${SEPARATED_STRENGTH}×)`,
        fitText,
      );
    case 'separated-spikes':
      return join(`${count} (${e.far} separated, ${top}, ${fmt(e.topStrength)}× the BBP threshold)`, fitText);
    case 'outlier-continuum':
      return join(
        `${count} (more than ${e.few}: the edge decays into a continuum, ${top}, ${pct(e.outlierMass)} of Σλ)`,
        fitText,
        alphaText,
      );
    case 'power-law-tail': {
      const heavy =
        f.alpha !== undefined && f.alpha < VERY_HEAVY_ALPHA ? 'very heavy power-law tail' : 'power-law tail';
      return join(`${heavy} ${alphaText}`, notMp, e.scaleFree && e.bulkFitsMp ? '' : `${count}, ${top}`);
    }
    case 'not-heavy-tail': {
      const notHeavy =
        f.alpha !== undefined && f.alpha < HEAVY_ALPHA
          ? `only ${e.outliers} outlier${e.outliers === 1 ? '' : 's'}, not a heavy tail (${alphaText})`
          : `too steep for a heavy tail (${alphaText})`;
      return join(notMp, `${count}, ${top}`, notHeavy);
    }
  }
}

/** The name of a storage precision in a sentence (`float32`, `int8`, …). */
export function precisionName(dtype: DType): string {
  const names: Partial<Record<DType, string>> = {
    F64: 'float64',
    F32: 'float32',
    F16: 'float16',
    BF16: 'bfloat16',
    I8: 'int8',
    U8: 'uint8',
  };
  return names[dtype] ?? dtype;
}

/** Compact number: 3 significant digits (or `digits`), exponent form when very large/small. */
function fmt(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return x.toExponential(Math.max(0, digits - 1)).replace('e+', 'e');
  return Number(x.toPrecision(digits)).toString();
}

function signed(x: number): string {
  return (x >= 0 ? '+' : '') + fmt(x, 2);
}

function pct(x: number): string {
  return `${x >= 0.1 ? Math.round(x * 100) : Number((x * 100).toPrecision(2))}%`;
}
