/**
 * The spectrum of a low-rank product ΔW = s·B·A (B: out×r, A: r×in), as PEFT's LoRA stores a
 * fine-tune (Hu et al., *LoRA: Low-Rank Adaptation of Large Language Models*, ICLR 2022):
 * ΔWᵀΔW has at most r non-zero eigenvalues, and they are exactly σᵢ² of the r×r core
 * s·R_B·R_Aᵀ, where B = Q_B·R_B and Aᵀ = Q_A·R_A are thin QR factorisations (orthonormal Q's
 * leave singular values unchanged; Golub & Van Loan, Matrix Computations, 4th ed., §5.2).
 * Cost O((out + in)·r²) instead of the O(out·in·min(out, in)) of the dense Gram route, and
 * the core's singular values come from the accurate bidiagonal route (singular-values.ts), so
 * small ones keep absolute accuracy ε·σ_max rather than the Gram's ε·λ_max.
 */
import type { LowRankFactors } from '../types.js';
import { panelQR } from './panel-qr.js';
import { accurateSquaredSingularValues } from './singular-values.js';

/** Ascending σᵢ² of s·B·A: `rank` values (fewer only when a factor is shorter than r). */
export function lowRankEigenvalues(f: LowRankFactors): Float64Array {
  const { rank: r, inDim, outDim } = f;
  if (inDim < r || outDim < r) {
    // A factor shorter than r: the product is small, take its spectrum directly.
    return accurateSquaredSingularValues(lowRankProduct(f), outDim, inDim);
  }
  // Aᵀ column-major is A row-major: column t of Aᵀ is row t of A.
  const ra = upperFactor(f.a.slice(), inDim, r);
  const bColumns = new Float64Array(outDim * r);
  for (let i = 0; i < outDim; i++) for (let t = 0; t < r; t++) bColumns[t * outDim + i] = f.b[i * r + t]!;
  const rb = upperFactor(bColumns, outDim, r);
  // core = s·R_B·R_Aᵀ (both r×r upper triangular, row-major).
  const core = new Float64Array(r * r);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j < r; j++) {
      let sum = 0;
      // (R_B)[i,k] is zero for k < i, (R_A)[j,k] for k < j.
      for (let k = Math.max(i, j); k < r; k++) sum += rb[i * r + k]! * ra[j * r + k]!;
      core[i * r + j] = f.scale * sum;
    }
  }
  return accurateSquaredSingularValues(core, r, r);
}

/** R (b×b, row-major) of the thin QR of the m×b matrix stored column-major in `columns` (overwritten). */
function upperFactor(columns: Float64Array, m: number, b: number): Float64Array {
  const R = new Float64Array(b * b);
  panelQR(columns, m, b, R, new Float64Array(b * b));
  return R;
}

/** The dense ΔW = s·B·A (out×in, row-major), for the value checks, --randomize and --vectors. */
export function lowRankProduct(f: LowRankFactors): Float64Array {
  const { rank: r, inDim, outDim, a, b, scale } = f;
  const out = new Float64Array(outDim * inDim);
  for (let i = 0; i < outDim; i++) {
    const row = out.subarray(i * inDim, (i + 1) * inDim);
    for (let k = 0; k < r; k++) {
      const c = scale * b[i * r + k]!;
      if (c === 0) continue;
      const ak = k * inDim;
      for (let j = 0; j < inDim; j++) row[j]! += c * a[ak + j]!;
    }
  }
  return out;
}
