/**
 * Eigenvalues of WᵀW for every weight matrix (DESIGN.md §3.2): λᵢ = σᵢ², ascending,
 * float64, no 1/N normalisation, min(rows, cols) of them.
 *
 * - `createSpectrumEngine({ jobs })` is what the pipeline uses: worker threads, the fast
 *   two-stage path through onnxruntime-node when it loads, bounded memory.
 * - `gramEigenvalues` / `symmetricEigenvalues` are synchronous, dependency-free
 *   TypeScript (one-stage Householder + QL), for small matrices and for tests.
 */
import { eigenvaluesTs, symmetricLowerEigenvalues } from './eigen.js';

export { createSpectrumEngine, QUEUED_MAX_BYTES } from './engine.js';
export type { EngineWorker, SpectrumEngine, SpectrumEngineOptions, WarmPlan } from './engine.js';
export { CoreBudget, EXCLUSIVE_N, PAIRED_MAX_BYTES, pairable, pairedUpTo } from './scheduler.js';
export { eigenvaluesWith, ONNXRUNTIME_START_MS, TWO_STAGE_MIN_N, twoStageSavingMs, usesTwoStage } from './eigen.js';
export { OrtBackend } from './ort.js';

/**
 * Eigenvalues λ = σ² of WᵀW for a row-major rows×cols matrix, ascending, float64,
 * no 1/N normalisation (DESIGN.md §3.2). There are min(rows, cols) of them. Pure
 * TypeScript on the calling thread: O(M³), use the engine for large matrices.
 */
export function gramEigenvalues(W: Float64Array, rows: number, cols: number): Float64Array {
  return eigenvaluesTs(W, rows, cols);
}

/** Eigenvalues (ascending) of the symmetric n×n matrix whose lower triangle is in A (overwritten). */
export function symmetricEigenvalues(A: Float64Array, n: number): Float64Array {
  return symmetricLowerEigenvalues(A, n);
}
