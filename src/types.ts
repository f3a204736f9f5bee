/**
 * The data that flows through the pipeline (DESIGN.md §2):
 *   file ──load──▶ TensorRef[] ──matrices──▶ MatrixPlan ──spectrum──▶ eigenvalues
 *        ──fit──▶ metrics, power law, MP ──phase──▶ LayerResult ──report──▶ stdout
 * Everything here is plain, readonly data so that results can cross worker threads and be
 * printed as JSON without conversion.
 */

/**
 * Element types met in model files: the ONNX/safetensors/PyTorch ones named as safetensors
 * names them, and GGUF's block quantizations named as ggml names them (GGML_TYPES).
 */
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
  | GgmlQuantType
  | 'OTHER';

/**
 * ggml's block-quantized types (ggml.h `enum ggml_type`), by their ggml names. GGUF files
 * store them; the loader dequantizes the ones in DEQUANTIZED_GGML_TYPES and lists the others
 * as skipped (`unsupported-quantization`) under their name.
 */
export const GGML_QUANT_TYPES = [
  'Q4_0',
  'Q4_1',
  'Q5_0',
  'Q5_1',
  'Q8_0',
  'Q8_1',
  'Q2_K',
  'Q3_K',
  'Q4_K',
  'Q5_K',
  'Q6_K',
  'Q8_K',
  'IQ2_XXS',
  'IQ2_XS',
  'IQ3_XXS',
  'IQ1_S',
  'IQ4_NL',
  'IQ3_S',
  'IQ2_S',
  'IQ4_XS',
  'IQ1_M',
  'TQ1_0',
  'TQ2_0',
  'MXFP4',
] as const;
export type GgmlQuantType = (typeof GGML_QUANT_TYPES)[number];

const GGML_QUANT_TYPE_SET: ReadonlySet<string> = new Set(GGML_QUANT_TYPES);

/** True for ggml's block-quantized types (whose element size is not fixed per element). */
export function isGgmlQuantType(d: DType): d is GgmlQuantType {
  return GGML_QUANT_TYPE_SET.has(d);
}

/** The block types the GGUF loader decodes (ggml-quants.c `dequantize_row_*`); the rest are skipped. */
export const DEQUANTIZED_GGML_TYPES: ReadonlySet<DType> = new Set<GgmlQuantType>([
  'Q4_0',
  'Q4_1',
  'Q5_0',
  'Q5_1',
  'Q8_0',
  'Q2_K',
  'Q3_K',
  'Q4_K',
  'Q5_K',
  'Q6_K',
  'IQ4_NL',
  'IQ4_XS',
  'MXFP4',
]);

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
  | 'lora' // a PEFT LoRA update ΔW = s·B·A (rank r by construction)
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

/** A factor pair of a LoRA update ΔW = s·B·A: `a` r×in and `b` out×r, both row-major float64. */
export interface LowRankFactors {
  readonly a: Float64Array;
  readonly b: Float64Array;
  readonly rank: number;
  readonly inDim: number;
  readonly outDim: number;
  /** lora_alpha / r (or / √r with rsLoRA). */
  readonly scale: number;
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
   * For values stored on a quantization grid (ONNX integer weights under a DequantizeLinear
   * scale, GGUF blocks): the mean over the tensor's entries of step²/12, the variance of the
   * rounding noise the grid adds (uniform rounding error within one step). The rank-collapse
   * test sets its zero floor from it (src/phase.ts). Absent for float storage, whose rounding
   * is relative to each value (UNIT_ROUNDOFF).
   */
  stepNoise?(): Promise<number>;
  /**
   * A tensor that is stored with the model but is not one of its weights: optimizer state
   * of a training checkpoint (Adam's exp_avg, SGD's momentum_buffer, …). Listed as skipped
   * (`optimizer-state`), never analysed.
   */
  readonly role?: 'optimizer-state';
  /**
   * A LoRA update ΔW = s·B·A (kind 'lora'): its r non-zero eigenvalues come from the factors
   * (src/spectrum/low-rank.ts), not from the dense Gram; `read()` still gives the dense ΔW
   * (for --randomize and --vectors).
   */
  readonly lowRank?: { readonly rank: number; factors(): Promise<LowRankFactors> };
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
  /**
   * read()'s values dealt into `positions` arrays, element e to array e mod positions at
   * index ⌊e / positions⌋ (a convolution's kernel-position slices, src/load/dealt.ts), read
   * without the row-major array: set where values are widened from fixed-width storage.
   * `visitor`, where the read can, is shown the values on the way (DealtVisitor).
   */
  readDealt?(positions: number, visitor?: DealtVisitor): Promise<Float64Array[]>;
}

/**
 * What a dealt read shows its caller on the way, when the tensor's stored bytes come in one
 * read (the tensor scan, src/tensor-scan.ts DealtScan): first the elements 0, step, 2·step, …
 * (sampled), then every row-major stretch in order (stretch), each widened (and dequantized,
 * for a DequantizeLinear weight) once. Otherwise it is shown nothing.
 */
export interface DealtVisitor {
  readonly sampleStep: number;
  sampled(picked: Float64Array): void;
  stretch(values: Float64Array, first: number): void;
}

/**
 * The container the weights were read from. `pytorch` covers torch.save zip files, the
 * pre-1.6 legacy stream and TorchScript archives (which one: ModelMetadata.variant); `lora`
 * is a PEFT adapter (its files are safetensors or PyTorch).
 */
export type ModelFormat = 'onnx' | 'safetensors' | 'pytorch' | 'gguf' | 'lora';

/**
 * What a file says about the model beyond its tensors (all optional, all model text: hostile,
 * escaped by every text reporter). GGUF: general.architecture, general.name, general.file_type;
 * PyTorch: which container variant; LoRA: the base model the adapter names.
 */
export interface ModelMetadata {
  /** Container variant: 'zip', 'legacy', 'torchscript' (PyTorch). */
  readonly variant?: string;
  /** GGUF general.architecture (e.g. 'llama'). */
  readonly architecture?: string;
  /** GGUF general.name, or a LoRA adapter's base_model_name_or_path. */
  readonly name?: string;
  /** GGUF general.file_type, by its llama.cpp name (e.g. 'MOSTLY_Q4_K_M'). */
  readonly fileType?: string;
}

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
  /** What the file says about the model (architecture, name, variant), when it says anything. */
  readonly metadata?: ModelMetadata;
  /**
   * What the loader chose that the user should know (one line each, for stderr): e.g. a
   * directory holding both safetensors and pytorch_model.bin weights is read from safetensors.
   */
  readonly notes?: readonly string[];
  /** Releases open file handles. */
  close(): Promise<void>;
}
