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

/** The six phase names of DESIGN.md §4, exactly. */
export const PHASE_NAMES = [
  'random-like',
  'bleeding-out',
  'bulk+spikes',
  'bulk-decay',
  'heavy-tailed',
  'rank-collapse',
] as const;
export type PhaseName = (typeof PHASE_NAMES)[number];

/** Metrics of DESIGN.md §3.3, computed from all eigenvalues (zeros included). */
export interface LayerMetrics {
  readonly lambdaMax: number;
  /** Σλ, the squared Frobenius norm. */
  readonly norm: number;
  readonly logNorm: number;
  readonly logSpectralNorm: number;
  readonly stableRank: number;
  readonly entropy: number;
  /** Numerical rank: #(σ > σ_max·N·ε₆₄), summed over slices. */
  readonly rank: number;
  readonly rankLoss: number;
  /** α·log₁₀ λ_max; null when the power-law fit failed. */
  readonly alphaWeighted: number | null;
  /** log₁₀ Σλᵢ^α; null when the power-law fit failed. */
  readonly logAlphaNorm: number | null;
}

export type BestFit = 'PL' | 'TPL' | 'EXP';

/** Likelihood-ratio comparison of two tail models (Vuong, or nested for PL vs TPL). */
export interface FitComparison {
  /** Log-likelihood ratio ℓ(first) − ℓ(second). */
  readonly R: number;
  /** Two-sided significance of R. */
  readonly p: number;
}

export interface PowerLawOk {
  readonly status: 'ok';
  readonly alpha: number;
  readonly xmin: number;
  readonly xmax: number;
  /** Kolmogorov–Smirnov distance of the fitted tail. */
  readonly D: number;
  /** Standard error of α: (α − 1)/√n. */
  readonly sigma: number;
  /** Tail size n (WeightWatcher's num_pl_spikes). */
  readonly numTail: number;
  readonly bestFit: BestFit;
  /** The alternatives fitted on the same tail (issue 8). */
  readonly alternatives?: {
    readonly truncatedPowerLaw: { readonly alpha: number; readonly lambda: number; readonly logLikelihood: number };
    readonly exponential: { readonly lambda: number; readonly logLikelihood: number };
    readonly powerLawLogLikelihood: number;
    readonly plVsTpl: FitComparison;
    readonly plVsExp: FitComparison;
  };
}
export type PowerLawResult = PowerLawOk | { readonly status: 'failed'; readonly reason: string };

export interface MpOk {
  readonly status: 'ok';
  /** σ of the eigenvalues rescaled to mean 1 (WeightWatcher's sigma_mp). */
  readonly sigma: number;
  /** Bulk edges in original units. */
  readonly lambdaPlus: number;
  readonly lambdaMinus: number;
  /** Tracy–Widom width at λ₊, in original units (Q^{−1/2} λ₊^{2/3} M^{−2/3} in rescaled units). */
  readonly twWidth: number;
  /** #(λ̃ > λ̃₊ + √TW̃) in rescaled units: the reference tool's spike count. */
  readonly numSpikes: number;
  /** λ₊ / λ_max. */
  readonly softRank: number;
  /** Kolmogorov–Smirnov distance between the bulk and the fitted MP law. */
  readonly bulkKS: number;
  /** W_scale²: multiplies λ to give the mean-1 eigenvalues σ refers to (n / Σλ). */
  readonly scale: number;
  /** Eigenvalues treated as the bulk (all but the numSpikes largest). */
  readonly bulkSize: number;
  /**
   * Set when σ sits at an end of the search range [0.05, 2]·σ_max: no MP bulk at any
   * admissible scale (rank collapse, very heavy tails). The reference tool returns the
   * same bound without saying so.
   */
  readonly atBound?: 'lower' | 'upper';
}
export type MpResult = MpOk | { readonly status: 'failed'; readonly reason: string };

export interface Phase {
  readonly name: PhaseName;
  /** One line naming the numbers that decided the phase. */
  readonly reason: string;
}

/** Fields every layer row carries. */
interface LayerBase {
  /** Unique within the document: the tensor name, with "[d]" per recurrent direction. */
  readonly id: string;
  /** Index into `models`. */
  readonly model: number;
  /** The tensor's own name. */
  readonly name: string;
  readonly kind: LayerKind;
  readonly shape: readonly number[];
  readonly dtype: DType;
}

export interface SkippedLayer extends LayerBase {
  readonly status: 'skipped';
  readonly skipReason: string;
}

export interface AnalyzedLayer extends LayerBase {
  readonly status: 'analyzed';
  /** One slice's dimensions: N = max, M = min, Q = N/M. */
  readonly N: number;
  readonly M: number;
  readonly Q: number;
  /** Number of matrices pooled into the ESD (kh·kw for conv2d, 1 for dense). */
  readonly slices: number;
  readonly numEvals: number;
  readonly metrics: LayerMetrics;
  readonly powerLaw: PowerLawResult;
  readonly mp: MpResult;
  readonly phase: Phase;
  /** Ascending, with --eigenvalues. */
  readonly eigenvalues?: readonly number[];
}

export type LayerResult = AnalyzedLayer | SkippedLayer;
