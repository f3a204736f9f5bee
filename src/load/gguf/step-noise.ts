/**
 * The rounding noise of ggml's block quantizations: Σ over a tensor's entries of step², for
 * the rank-collapse floor (TensorRef.stepNoise, src/phase.ts). A b-bit quant on a block
 * scale d rounds each weight to a grid of step d (the k-quants: d times the sub-block's own
 * scale), an error uniform in ±step/2, variance step²/12. The non-uniform grids (IQ4_NL,
 * IQ4_XS, MXFP4's E2M1) round to levels whose spacing depends on the level: each entry counts
 * the mean of the two gaps around the level it is stored at. Only the scales and (for the
 * non-uniform grids) the level indices are read; block layouts as in quants-32.ts and
 * quants-k.ts (ggml-common.h).
 */
import type { DType } from '../../types.js';
import { e8m0Half, half, KVALUES_IQ4NL } from './quants-32.js';
import { q3Scale, scaleMin } from './quants-k.js';

/** Σ step² over the entries of the first `blocks` blocks of `src`. */
export type StepSquares = (src: Uint8Array, blocks: number) => number;

/** The mean of the gaps either side of each level (the one gap at the ends). */
function localGaps(levels: readonly number[]): Float64Array {
  const sorted = [...levels].sort((a, b) => a - b);
  const gap = (v: number) => {
    const i = sorted.indexOf(v);
    const below = i > 0 ? v - sorted[i - 1]! : undefined;
    const above = i < sorted.length - 1 ? sorted[i + 1]! - v : undefined;
    if (below === undefined) return above ?? 0;
    if (above === undefined) return below;
    return (below + above) / 2;
  };
  return Float64Array.from(levels, gap);
}

const IQ4_GAPS = localGaps(KVALUES_IQ4NL);
/** E2M1 magnitudes doubled, as KVALUES_MXFP4 in quants-32.ts (index bit 3 is the sign). */
const MXFP4_GAPS = (() => {
  const magnitudes = [0, 1, 2, 3, 4, 6, 8, 12];
  const grid = [...magnitudes.slice(1).map((m) => -m), ...magnitudes];
  const gaps = localGaps(grid);
  return Float64Array.from([...magnitudes, ...magnitudes], (m) => gaps[grid.indexOf(m)]!);
})();

/** A 32-entry block of `size` bytes whose f16 step d is its first two bytes. */
const uniform32 =
  (size: number): StepSquares =>
  (src, blocks) => {
    let s = 0;
    for (let b = 0, o = 0; b < blocks; b++, o += size) {
      const d = half(src, o);
      s += 32 * d * d;
    }
    return s;
  };

/** Σ over the 32 nibble-indexed entries at `qs` of (d·gap[level])². */
function nibbleGaps(src: Uint8Array, qs: number, d: number, gaps: Float64Array): number {
  let g2 = 0;
  for (let j = 0; j < 16; j++) {
    const lo = gaps[src[qs + j]! & 0x0f]!;
    const hi = gaps[src[qs + j]! >> 4]!;
    g2 += lo * lo + hi * hi;
  }
  return d * d * g2;
}

const STEP_SQUARES: Readonly<Partial<Record<DType, StepSquares>>> = {
  Q4_0: uniform32(18),
  Q4_1: uniform32(20),
  Q5_0: uniform32(22),
  Q5_1: uniform32(24),
  Q8_0: uniform32(34),
  IQ4_NL: (src, blocks) => {
    let s = 0;
    for (let b = 0, o = 0; b < blocks; b++, o += 18) s += nibbleGaps(src, o + 2, half(src, o), IQ4_GAPS);
    return s;
  },
  MXFP4: (src, blocks) => {
    let s = 0;
    for (let b = 0, o = 0; b < blocks; b++, o += 17) s += nibbleGaps(src, o + 1, e8m0Half(src[o]!), MXFP4_GAPS);
    return s;
  },
  Q2_K: (src, blocks) => {
    let s = 0;
    for (let b = 0, o = 0; b < blocks; b++, o += 84) {
      const d = half(src, o + 80);
      for (let i = 0; i < 16; i++) s += 16 * (d * (src[o + i]! & 0x0f)) ** 2;
    }
    return s;
  },
  Q3_K: (src, blocks) => {
    let s = 0;
    for (let b = 0, o = 0; b < blocks; b++, o += 110) {
      const d = half(src, o + 108);
      for (let i = 0; i < 16; i++) s += 16 * (d * q3Scale(src, o + 96, i)) ** 2;
    }
    return s;
  },
  Q4_K: (src, blocks) => kQuant(src, blocks, 144),
  Q5_K: (src, blocks) => kQuant(src, blocks, 176),
  Q6_K: (src, blocks) => {
    let s = 0;
    for (let b = 0, o = 0; b < blocks; b++, o += 210) {
      const d = half(src, o + 208);
      for (let i = 0; i < 16; i++) {
        const sc = src[o + 192 + i]!;
        s += 16 * (d * (sc < 128 ? sc : sc - 256)) ** 2;
      }
    }
    return s;
  },
  IQ4_XS: (src, blocks) => {
    let s = 0;
    for (let b = 0, o = 0; b < blocks; b++, o += 136) {
      const d = half(src, o);
      const scalesH = src[o + 2]! | (src[o + 3]! << 8);
      for (let ib = 0; ib < 8; ib++) {
        const ls = ((src[o + 4 + (ib >> 1)]! >> (4 * (ib % 2))) & 0x0f) | (((scalesH >> (2 * ib)) & 3) << 4);
        s += nibbleGaps(src, o + 8 + 16 * ib, d * (ls - 32), IQ4_GAPS);
      }
    }
    return s;
  },
};

/** Q4_K and Q5_K: f16 d, then 8 sub-blocks of 32 with 6-bit scales; step d·scale. */
function kQuant(src: Uint8Array, blocks: number, size: number): number {
  let s = 0;
  for (let b = 0, o = 0; b < blocks; b++, o += size) {
    const d = half(src, o);
    for (let j = 0; j < 8; j++) s += 32 * (d * scaleMin(src, o + 4, j)[0]) ** 2;
  }
  return s;
}

export function stepSquares(dtype: DType): StepSquares | undefined {
  return STEP_SQUARES[dtype];
}
