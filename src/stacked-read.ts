/**
 * A stack of matrices (mixture-of-experts weights [experts, rows, cols], recurrent weights
 * [directions, rows, cols]) read one matrix at a time (issue 14: memory within a small
 * multiple of the largest matrix analysed). Read whole, a 64×4096×14336 bf16 expert stack
 * is 30 GB of float64 while each matrix is 470 MB.
 *
 * The whole-tensor decisions must not change, and each needs every value before any layer
 * is reported: the non-finite / all-zero / overflow check and the tied-weight digest, then
 * the underflow check and the robust entry RMS, which depend on the largest magnitude and on
 * a sample of the whole tensor found in the first pass. So the tensor is read three times
 * (src/tensor-scan.ts scanBlocks): pass 1 (checks, digest, the RMS sample), pass 2 (Σw² and
 * the clipped squares, one loop), pass 3 one matrix per layer as it is analysed. Reading is
 * cheap beside the eigenvalues (a 1024×4096 matrix: ~10 ms to read, ~1 s to solve), and only
 * stacks above the threshold pay it; each pass holds one matrix at a time.
 */
import type { LayerPlan, MatrixPlan } from './matrices.js';
import type { RangeReader } from './tensor-scan.js';
import type { TensorRef } from './types.js';

/**
 * Tensors larger than this as float64 are read one matrix at a time. Below it the whole
 * copy is within the fixed budget a run has anyway (one 64 MiB read chunk, src/load/file.ts,
 * the engine's workers), and one read beats three.
 */
export const READ_BY_MATRIX_ABOVE = 64 * 2 ** 20;

/**
 * How to read the tensor one matrix at a time, or undefined to read it whole: when the loader
 * can read ranges, at least two matrices are analysed, each one contiguous run of elements,
 * and the tensor is larger than `above` bytes as float64.
 */
export function matrixReader(
  tensor: TensorRef,
  plans: readonly LayerPlan[],
  above = READ_BY_MATRIX_ABOVE,
): { read: RangeReader; piece: number } | undefined {
  const readRange = tensor.readRange;
  const analysed = plans.filter((p): p is MatrixPlan => p.status === 'analyze');
  if (readRange === undefined || analysed.length < 2 || !analysed.every((p) => p.block !== undefined)) return undefined;
  const count = tensor.shape.reduce((a, b) => a * b, 1);
  if (count * 8 <= above) return undefined;
  return { read: (first, n) => readRange.call(tensor, first, n), piece: analysed[0]!.block!.count };
}

/** The plan of one matrix of the stack, for its block read alone: the block is the matrix. */
export function blockPlan(plan: MatrixPlan): MatrixPlan {
  return { ...plan, extract: (v) => v };
}
