/**
 * Every threshold the phase classifier uses (DESIGN.md §3.6), in one place. Chosen on the
 * seeded families of test/generators with the tuning seeds only (`npm run calibrate --
 * --tuning`); the tests and `npm run calibrate` check them on disjoint seeds. Units are
 * stated per constant: "TW" is the Tracy–Widom width at the fitted edge λ₊, "strength" is a
 * spike's signal strength θ/θ_c implied by its position (BBP inversion, see phase.ts).
 */
import type { DType } from './types.js';

// ── Rank collapse ─────────────────────────────────────────────────────────────────────────

/**
 * Unit roundoff u of each storage format: rounding moves a value x by at most u·|x|
 * (2^−p for p significand bits), an error of RMS ≈ u·|x|/√3. Quantized integers round to
 * a fixed step, range/levels: for int8 with the range at ~4.5× the RMS of the entries the
 * error RMS is ≈ 1 % of it, the same as u = 2^−6; int4 likewise ≈ 2^−2.
 */
export const UNIT_ROUNDOFF: Readonly<Partial<Record<DType, number>>> = {
  F64: 2 ** -53,
  F32: 2 ** -24,
  F16: 2 ** -11,
  BF16: 2 ** -8,
  F8_E4M3: 2 ** -4,
  F8_E5M2: 2 ** -3,
  I16: 2 ** -14,
  U16: 2 ** -14,
  I8: 2 ** -6,
  U8: 2 ** -6,
  I4: 2 ** -2,
  U4: 2 ** -2,
  // ggml's block types (GGUF): b-bit quants on a scale fitted to each block's own range (±max
  // for the symmetric _0 types, [min, max] for the affine _1 and k-quants). For Gaussian-like
  // weights a 32-entry block's max is ≈ 2.2·RMS, so its range ≈ 4.4·RMS, the 4.5·RMS assumed
  // above for int8; a step of range/(2^b − 1) rounds with error RMS step/√12, i.e.
  // u = √3·error/RMS ≈ 2.2/(2^b − 1) ≈ 2^−(b−2): the I8/I4 rule, by the bits per quant (not
  // per weight: the scale overhead buys the per-block range, it adds no resolution). The
  // k-quants' 16- and 32-entry sub-blocks have ranges like a 32-entry block, their 4–8-bit
  // sub-block scales cost a little resolution (rounded into the power of two). IQ4's
  // non-uniform levels (denser near 0) do a little better than uniform 4-bit: kept at 2^−2.
  // MXFP4 stores E2M1 values (one mantissa bit: u = 2^−2 per entry) under a power-of-two scale.
  // Pass-through only: the quantization-aware rank test is a later issue.
  Q8_0: 2 ** -6,
  Q6_K: 2 ** -4,
  Q5_0: 2 ** -3,
  Q5_1: 2 ** -3,
  Q5_K: 2 ** -3,
  Q4_0: 2 ** -2,
  Q4_1: 2 ** -2,
  Q4_K: 2 ** -2,
  IQ4_NL: 2 ** -2,
  IQ4_XS: 2 ** -2,
  MXFP4: 2 ** -2,
  Q3_K: 2 ** -1,
  Q2_K: 1,
};

/**
 * Rounding every entry to storage precision adds a noise matrix E whose largest singular
 * value is ≲ u·RMS(W)·(√N + √M)/√3. A singular value below ROUNDING_FLOOR_FACTOR times
 * u·RMS(W)·(√N + √M) is indistinguishable from zero in that format (a margin of 5× over
 * E's edge). RMS(W) is taken robustly (robustEntryRms) so that a few huge entries do not
 * raise the floor; singular values below float64 resolution (metrics.rankLoss) are zero too.
 */
export const ROUNDING_FLOOR_FACTOR = 3;

/**
 * Weights stored on a quantization grid (TensorRef.stepNoise) carry a rounding noise E of
 * known variance v = step²/12 per entry, nearly white; E's singular values fill the
 * Marchenko–Pastur support up to √v·(√N + √M) (plus a Tracy–Widom fluctuation). A singular
 * value below STEP_FLOOR_FACTOR times that edge is within what the grid itself adds: zero
 * at that precision. The floor follows the actual step (per tensor, channel or block), not
 * a bound from the bit count, so an 8-bit grid over a wide range gets its wide step.
 */
export const STEP_FLOOR_FACTOR = 1.25;

/**
 * A trained spectrum runs through any floor: heavy-tailed ESDs hold many small eigenvalues,
 * spread over many octaves, and at a coarse precision (uint8, 4-bit blocks, even bf16) a
 * share of them lies below the floor without any rank lost in training (ISNet stored as fp16
 * and as uint8: the same 20–50 % below the uint8 floor in both; silero-vad's reparametrised
 * convolutions up to 78 %). Collapse is a cluster at zero, apart from the rest: the rounding
 * of a low-rank product, or a grid's noise over a null space, leaves the octave above the
 * floor, (floor, CONTINUUM_SPAN·floor] in σ, nearly empty. So the zero count is what lies
 * below the floor beyond CONTINUUM_WEIGHT times what lies in that octave: a spectrum that
 * runs on through the floor (here ≤ 8 of its eigenvalues below per one just above, on every
 * real layer and scheme of scripts/precision-pairs.ts) is not a collapse, a separated
 * cluster is. Exact zeros (float64 rank loss) always count in float storage.
 */
export const CONTINUUM_SPAN = 2;
export const CONTINUUM_WEIGHT = 10;

/**
 * Rank collapse when the share of zero eigenvalues exceeds what Marchenko–Pastur predicts
 * below the floor by at least this much. MP predicts none for Q > 1 (λ₋ > 0); for Q = 1 its
 * density ∝ 1/√λ near 0 puts ≈ 1.3·(floor/σ_max) of the singular values below the floor,
 * which is not negligible for 8-bit formats.
 */
export const RANK_COLLAPSE_MIN_ZERO_FRACTION = 0.1;

// ── Outliers beyond the bulk edge ─────────────────────────────────────────────────────────

/**
 * An eigenvalue is an outlier when it lies above λ₊ + OUTLIER_TW·TW. The largest
 * eigenvalue of pure noise sits at λ₊ + s·TW with s Tracy–Widom(β = 1) distributed
 * (mean −1.2, P(s > 2) ≈ 1 %, P(s > 4) ≈ 2e-4); with the quantile fit's λ₊ the observed
 * maximum over 300 pure-noise matrices was 1.7.
 */
export const OUTLIER_TW = 4;

/**
 * A spike is "well separated" when its position implies a signal strength θ ≥ this many
 * times the BBP threshold θ_c. At θ = 2.5θ_c the outlier sits at ≈ 2·λ₊ for every Q; below
 * it the outlier is still emerging from the edge (bleeding-out). Near-critical outliers
 * fluctuate upwards: spikes planted at θ ≤ 1.75θ_c were estimated at up to 2.0θ_c.
 */
export const SEPARATED_STRENGTH = 2.5;

/** "Few" outliers: at most max(FEW_OUTLIERS_MIN, FEW_OUTLIERS_FRACTION·M·slices). */
export const FEW_OUTLIERS_MIN = 5;
export const FEW_OUTLIERS_FRACTION = 0.01;

// ── Goodness of the MP description ────────────────────────────────────────────────────────

/**
 * The bulk fits MP when its Kolmogorov–Smirnov distance to the fitted law is below
 * max(KS_POOR, KS_POOR_SMALL_SAMPLE/√n). Pure noise gives 0.005–0.03 at M = 100…1000;
 * bulks with spikes or a fading continuum stay below 0.1; heavy-tailed ESDs give 0.2–1.
 */
export const KS_POOR = 0.15;
export const KS_POOR_SMALL_SAMPLE = 1;

/**
 * A tail spanning more than this factor above λ₊ (λ_max/λ₊), made of more than "few"
 * outliers, is scale-free rather than a decaying edge: MP does not describe the ESD.
 */
export const HEAVY_SPAN = 10;

// ── Power law ─────────────────────────────────────────────────────────────────────────────

/** Heavy-tailed needs a power-law tail with α below this (DESIGN.md §3.6). */
export const HEAVY_ALPHA = 4;

/**
 * When MP fails with only a few outliers, the ESD is heavy-tailed if its power-law tail
 * covers at least this share of the eigenvalues (a power-law spectrum with no bulk at all:
 * 65–99 % on the generators); otherwise the poor fit is a smeared edge (bulk-decay).
 */
export const HEAVY_TAIL_MIN_FRACTION = 0.25;

/** Below this α the reason says "very heavy-tailed". */
export const VERY_HEAVY_ALPHA = 2;

/**
 * A LoRA update ΔW = s·B·A with random Gaussian factors (A r×in, B out×r) has r non-zero
 * eigenvalues whose spread λ_max/λ_min is at most cond(AAᵀ)·cond(BᵀB), and by the
 * Marchenko–Pastur edges cond(AAᵀ) → ((1 + √(r/in)) / (1 − √(r/in)))² (likewise for B).
 * A spread within this factor of that bound (finite-size fluctuations of the edges) is what
 * random factors give: the update is random-like. Heuristic, for r ≪ in, out.
 */
export const LORA_RANDOM_SPREAD_MARGIN = 2;
