/**
 * `analyzeMatrix(values, rows, cols)`: one in-memory weight matrix through the same pipeline
 * as a file's tensor (value checks, ESD, fits, phase), for library users who already hold
 * the weights. The result is the layer row a safetensors file with this matrix would give.
 */
import { analyzeTensors, type AnalyzeOptions } from './analyze.js';
import { UsageError } from './errors.js';
import type { LayerResult } from './schema/index.js';
import type { DType, LayerKind, TensorRef } from './types.js';

export interface AnalyzeMatrixOptions
  extends Pick<AnalyzeOptions, 'minEvals' | 'eigenvalues' | 'randomize' | 'seed' | 'vectors' | 'jobs' | 'onWarning'> {
  /** The layer's name (and id); default `matrix`. */
  readonly name?: string;
  /** Its kind; default inferred from the name and shape, as for a safetensors file (a matrix: dense). */
  readonly kind?: LayerKind;
  /**
   * The precision the weights are stored in (rank-collapse is judged against it): default
   * `F32` for a Float32Array, `F64` for a Float64Array.
   */
  readonly dtype?: DType;
  /**
   * For weights stored on a quantization grid: the variance of its rounding noise per entry
   * (step²/12 for a uniform step; the mean over entries when the step varies), which sets the
   * rank-collapse floor as a file's quantized tensor does (TensorRef.stepNoise).
   */
  readonly stepNoise?: number;
}

let nextKey = 0;

/**
 * Analyses `values`, a `rows`×`cols` matrix in row-major order, and returns its layer result
 * (`analyzed`, or `skipped` / `failed` with the reason, `model: 0`).
 */
export async function analyzeMatrix(
  values: Float32Array | Float64Array,
  rows: number,
  cols: number,
  options: AnalyzeMatrixOptions = {},
): Promise<LayerResult> {
  for (const [what, n] of [
    ['rows', rows],
    ['cols', cols],
  ] as const)
    if (!Number.isSafeInteger(n) || n < 1)
      throw new UsageError(`analyzeMatrix: ${what} must be a positive integer, got ${n}`);
  if (values.length !== rows * cols)
    throw new UsageError(
      `analyzeMatrix: ${values.length} values for a ${rows}×${cols} matrix (${rows * cols} expected)`,
    );
  const name = options.name ?? 'matrix';
  const tensor: TensorRef = {
    name,
    shape: [rows, cols],
    dtype: options.dtype ?? (values instanceof Float32Array ? 'F32' : 'F64'),
    file: '<memory>',
    byteLength: values.byteLength,
    ...(options.kind !== undefined ? { kindHint: options.kind } : {}),
    storageKey: `memory:${nextKey++}`,
    ...(options.stepNoise !== undefined ? { stepNoise: async () => options.stepNoise! } : {}),
    // A fresh copy each time: the solver may take ownership of what it is given.
    read: async () => Float64Array.from(values),
  };
  const { name: _name, kind: _kind, dtype: _dtype, stepNoise: _stepNoise, ...pipeline } = options;
  const [layer] = await analyzeTensors([tensor], pipeline);
  if (layer === undefined) throw new Error('analyzeMatrix: the pipeline returned no layer');
  return layer;
}
