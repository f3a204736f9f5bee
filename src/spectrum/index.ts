import { gramLower } from './gram.js';
import { tridiagonalize } from './tridiagonalize.js';
import { tridiagonalEigenvalues } from './tridiagonal-eigenvalues.js';

/**
 * Eigenvalues λᵢ = σᵢ² of WᵀW for a row-major rows×cols matrix, ascending, float64,
 * no 1/N normalisation (DESIGN.md §3.2). There are min(rows, cols) of them.
 */
export function gramEigenvalues(W: Float64Array, rows: number, cols: number): Float64Array {
  const { G, n } = gramLower(W, rows, cols);
  return symmetricEigenvalues(G, n);
}

/** Eigenvalues of the symmetric matrix whose lower triangle is in A (overwritten). */
export function symmetricEigenvalues(A: Float64Array, n: number): Float64Array {
  if (n === 0) return new Float64Array(0);
  const { d, e } = tridiagonalize(A, n);
  return tridiagonalEigenvalues(d, e);
}
