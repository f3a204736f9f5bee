/**
 * The data that flows through the pipeline (DESIGN.md §2):
 *   file ──load──▶ TensorRef[] ──matrices──▶ MatrixPlan ──spectrum──▶ eigenvalues
 *        ──fit──▶ metrics, power law, MP ──phase──▶ LayerResult ──report──▶ stdout
 * Everything here is plain, readonly data so that results can cross worker threads and be
 * printed as JSON without conversion.
 */

/** Element types met in ONNX and safetensors files, named as safetensors names them. */
export type DType =
  | 'F64'
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'F8_E4M3'
  | 'F8_E5M2'
  | 'I8'
  | 'U8'
  | 'I16'
  | 'U16'
  | 'I32'
  | 'U32'
  | 'I64'
  | 'U64'
  | 'I4'
  | 'U4'
  | 'BOOL'
  | 'STRING'
  | 'C64'
  | 'C128'
  | 'OTHER';

/** Float dtypes we widen to float64 and analyse directly. */
export const FLOAT_DTYPES: ReadonlySet<DType> = new Set(['F64', 'F32', 'F16', 'BF16', 'F8_E4M3', 'F8_E5M2']);

/**
 * What a tensor is used as. ONNX loaders know it from the consuming node; safetensors
 * loaders infer it from the name and shape. `undefined` means "no information".
 */
export type LayerKind =
  | 'dense' // MatMul, Gemm, Linear, HF Conv1D
  | 'embedding' // Gather on a table, *embed* names
  | 'conv1d'
  | 'conv2d'
  | 'conv3d'
  | 'recurrent' // ONNX LSTM / GRU / RNN W and R inputs
  | 'bias'
  | 'norm'
  | 'other';

/** How an int8/uint8 tensor maps back to real values: x = (q − zeroPoint) · scale. */
export interface QuantInfo {
  /** Where the scheme was found: an ONNX DequantizeLinear node, or dynamic quantization's naming. */
  readonly scheme: 'DequantizeLinear' | 'dynamic';
  /** Names of the scale and zero-point tensors (for messages and the report). */
  readonly scaleName: string;
  readonly zeroPointName?: string;
  /** Per-axis quantization axis (normalised to be non-negative), absent for per-tensor. */
  readonly axis?: number;
  /** Block quantization block size along `axis` (ONNX opset 21), absent otherwise. */
  readonly blockSize?: number;
}

/**
 * A tensor found in a model file, its data not yet read. Loaders are lazy: `read()` is
 * called once per analysed tensor, one at a time, so a model larger than memory can be
 * analysed (issue 2, item 5).
 */
export interface TensorRef {
  /** The tensor's own name: ONNX initializer or Constant output, safetensors key. */
  readonly name: string;
  readonly shape: readonly number[];
  /** Storage element type (I8/U8 for quantized weights, which read() dequantizes). */
  readonly dtype: DType;
  /** The model file the tensor was declared in (external data may live elsewhere). */
  readonly file: string;
  /** Number of bytes the tensor's data occupies where it is stored. */
  readonly byteLength: number;
  /** What the graph (ONNX) or the name (safetensors) says the tensor is used as. */
  readonly kindHint?: LayerKind;
  /** The ONNX op that consumes it (Conv, MatMul, Gemm, LSTM, …), for display. */
  readonly consumer?: string;
  /** For ONNX Conv: the `group` attribute. */
  readonly groups?: number;
  readonly quantization?: QuantInfo;
  /**
   * Key identifying where the bytes are stored (file, offset, length). Two refs with the
   * same key are the same tensor reached twice and are analysed once.
   */
  readonly storageKey: string;
  /** Values widened to float64 and dequantized, row-major in `shape` order. */
  read(): Promise<Float64Array>;
  /**
   * Elements [first, first + count) of read()'s values, read without the rest: set only where
   * that is cheap and exact (fixed-width stored values), so that a stack of matrices can be
   * read one matrix at a time (src/stacked-read.ts). Absent: read() is the only way.
   */
  readRange?(first: number, count: number): Promise<Float64Array>;
}

export type ModelFormat = 'onnx' | 'safetensors';

/** A model opened by a loader. Tensors are listed in file order. */
export interface LoadedModel {
  /** The path as the user gave it. */
  readonly path: string;
  readonly format: ModelFormat;
  readonly tensors: readonly TensorRef[];
  /** Bytes on disk: the model file(s) and any external data / shards. */
  readonly bytes: number;
  /** Tensors that are present but are not candidate weights (integer shape constants …). */
  readonly nonWeightTensors: number;
  /** Releases open file handles. */
  close(): Promise<void>;
}
