/**
 * Tensors → matrices (DESIGN.md §3.1): which tensors are analysed, as which matrices, and
 * why the others are not. A plan is decided from the shape, dtype and kind alone, before
 * any data is read, so skipped tensors cost nothing.
 */
import { DEQUANTIZED_GGML_TYPES, isGgmlQuantType, type LayerKind, type TensorRef } from './types.js';
import type { SkipDetail } from './schema/words.js';

/** Default --min-evals: a layer is analysed when M·slices ≥ this. */
export const DEFAULT_MIN_EVALS = 10;

/** Conv slices are scaled by 1/√2 (WeightWatcher's conv2d_norm), i.e. eigenvalues by 1/2. */
export const CONV_EIGEN_SCALE = 0.5;

/** Trailing dimensions whose product is at most this are read as a convolution kernel. */
export const MAX_KERNEL_SIZE = 4096;

/** One row of the report: a set of equally-shaped matrices pooled into one ESD. */
export interface MatrixPlan {
  readonly status: 'analyze';
  /** Appended to the tensor name to make the layer id ("" or "[d]"). */
  readonly idSuffix: string;
  readonly kind: LayerKind;
  /** One slice as a row-major rows×cols matrix. */
  readonly rows: number;
  readonly cols: number;
  readonly slices: number;
  /** Multiplies every eigenvalue (CONV_EIGEN_SCALE for kernels, 1 otherwise). */
  readonly eigenScale: number;
  /** Copies slice `s` (0 ≤ s < slices) out of the tensor's row-major values. */
  extract(values: Float64Array, s: number): Float64Array;
  /**
   * Set when the matrix is one contiguous run of the tensor's elements, [first, first + count)
   * (one matrix of a stack, one direction of a recurrent weight): it can then be read alone.
   */
  readonly block?: { readonly first: number; readonly count: number };
  /**
   * Set when slice s is elements s, s + slices, s + 2·slices, … of the tensor in order (a
   * kernel position): the tensor's values read dealt by slice are its slices (load/dealt.ts).
   */
  readonly dealable?: true;
}

export interface SkipPlan {
  readonly status: 'skipped';
  readonly idSuffix: string;
  readonly kind: LayerKind;
  /** Why: its code and the numbers of its sentence (schema/words.ts). */
  readonly detail: SkipDetail;
}

export type LayerPlan = MatrixPlan | SkipPlan;

/** What a tensor is, from the graph's hint or, failing that, its name and shape. */
export function layerKind(t: Pick<TensorRef, 'name' | 'shape' | 'kindHint'>): LayerKind {
  if (t.kindHint !== undefined) return t.kindHint;
  const rank = t.shape.length;
  const name = t.name.toLowerCase();
  if (rank <= 1) {
    if (/(^|[._/])bias(_[a-z]+)?$|_bias$|\.b$/.test(name)) return 'bias';
    if (/norm|(^|[._/])ln(_?\d+|_f)?([._/]|$)|layer_?norm|rms_?norm|batch_?norm|(^|[._/])bn\d*([._/]|$)/.test(name))
      return 'norm';
    return 'other';
  }
  if (rank === 2) {
    if (/embed|(^|[._/])(wte|wpe)([._/]|$)|word_embeddings|position_embeddings|shared\.weight/.test(name))
      return 'embedding';
    return 'dense';
  }
  // [out, in, k] conv1d kernels vs stacks of matrices ([experts, out, in]): kernels are
  // named so or have a short last dimension.
  if (rank === 3) return /conv|kernel/.test(name) || t.shape[2]! <= 16 ? 'conv1d' : 'dense';
  if (rank === 4) return 'conv2d';
  if (rank === 5) return 'conv3d';
  return 'other';
}

/**
 * The layer plans for one tensor: usually one; one per direction for recurrent weights and
 * one per matrix for stacks of matrices; none is ever dropped without a SkipPlan.
 */
export function planLayers(t: TensorRef, minEvals: number = DEFAULT_MIN_EVALS): LayerPlan[] {
  const kind = layerKind(t);
  const shape = t.shape;
  const rank = shape.length;
  const skip = (detail: SkipDetail, idSuffix = ''): SkipPlan => ({ status: 'skipped', idSuffix, kind, detail });

  if (t.role === 'optimizer-state') return [skip({ code: 'optimizer-state' })];
  if (t.dtype === 'OTHER') return [skip({ code: 'unsupported-dtype' })];
  if (isGgmlQuantType(t.dtype) && !DEQUANTIZED_GGML_TYPES.has(t.dtype)) {
    return [skip({ code: 'unsupported-quantization', type: t.dtype })];
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count === 0) return [skip({ code: 'empty', shape })];
  if (rank === 0) return [skip({ code: 'scalar' })];
  if (rank === 1) {
    if (kind === 'bias') return [skip({ code: 'bias' })];
    if (kind === 'norm') return [skip({ code: 'norm' })];
    return [skip({ code: 'vector' })];
  }

  const checked = (plan: MatrixPlan): LayerPlan => {
    const { rows, cols, slices } = plan;
    const M = Math.min(rows, cols);
    if (M === 1) {
      return skip(
        slices > 1 ? { code: 'depthwise', slices, rows, cols } : { code: 'no-spectrum', rows, cols },
        plan.idSuffix,
      );
    }
    if (M * slices < minEvals) {
      return skip({ code: 'too-few-eigenvalues', numEvals: M * slices, minEvals }, plan.idSuffix);
    }
    return plan;
  };

  if (rank === 2) {
    const [rows, cols] = shape as [number, number];
    return [checked(matrixPlan(kind, rows, cols, 1, 1, '', (v) => v))];
  }

  if (kind === 'recurrent' && rank === 3) {
    // ONNX LSTM/GRU/RNN W and R: [num_directions, gates·hidden, input|hidden], one matrix per direction.
    const [dirs, rows, cols] = shape as [number, number, number];
    const size = rows * cols;
    const plans: LayerPlan[] = [];
    for (let d = 0; d < dirs; d++) {
      const suffix = dirs > 1 ? `[${d}]` : '';
      const block = { first: d * size, count: size };
      plans.push(checked(matrixPlan(kind, rows, cols, 1, 1, suffix, (v) => v.slice(d * size, (d + 1) * size), block)));
    }
    return plans;
  }

  // Kernels [out, in/groups, k…] (ONNX Conv is OIHW; ConvTranspose's [in, out/groups, k…]
  // gives the same singular values): one out×in slice per kernel position.
  const [rows, cols, ...spatial] = shape as [number, number, ...number[]];
  const positions = spatial.reduce((a, b) => a * b, 1);
  const isKernelKind = kind === 'conv1d' || kind === 'conv2d' || kind === 'conv3d';
  if (isKernelKind && positions <= MAX_KERNEL_SIZE) {
    // A 1×1 kernel is its one slice, as a dense layer is: no copy (the pipeline keeps the
    // values when it needs them afterwards, esd.ts keepValues).
    const extract =
      positions === 1
        ? (v: Float64Array) => v
        : (v: Float64Array, s: number) => {
            const out = new Float64Array(rows * cols);
            for (let i = 0, o = 0; i < rows * cols; i++, o++) out[o] = v[i * positions + s]!;
            return out;
          };
    const plan = matrixPlan(kind, rows, cols, positions, CONV_EIGEN_SCALE, '', extract);
    return [checked(positions > 1 ? { ...plan, dealable: true } : plan)];
  }
  if (rank === 3) {
    // A stack of matrices (e.g. mixture-of-experts weights [experts, out, in]): one layer each.
    const [stack, r, c] = shape as [number, number, number];
    const size = r * c;
    const plans: LayerPlan[] = [];
    for (let s = 0; s < stack; s++) {
      const block = { first: s * size, count: size };
      plans.push(checked(matrixPlan('dense', r, c, 1, 1, `[${s}]`, (v) => v.slice(s * size, (s + 1) * size), block)));
    }
    return plans;
  }
  return [skip({ code: 'unsupported-rank', shape })];
}

function matrixPlan(
  kind: LayerKind,
  rows: number,
  cols: number,
  slices: number,
  eigenScale: number,
  idSuffix: string,
  extract: (v: Float64Array, s: number) => Float64Array,
  block?: MatrixPlan['block'],
): MatrixPlan {
  return { status: 'analyze', idSuffix, kind, rows, cols, slices, eigenScale, extract, ...(block ? { block } : {}) };
}

/**
 * How many arrays to read the tensor dealt into (TensorRef.readDealt) so that they are the
 * slices of its one analysed plan; undefined when its plans are not one dealable matrix.
 */
export function dealtPositions(plans: readonly LayerPlan[]): number | undefined {
  const [plan, ...others] = plans;
  return plan?.status === 'analyze' && plan.dealable && others.length === 0 ? plan.slices : undefined;
}

/**
 * The plan with its slices taken from `dealt` (the tensor read dealt into plan.slices
 * arrays) instead of gathered from row-major values, which the caller does not hold (it
 * passes an empty array). Each is handed over once (the solver may take it); the values read
 * again whole (esd.ts, reload) are gathered from as before.
 */
export function onDealt(plan: MatrixPlan, dealt: Float64Array[]): MatrixPlan {
  return {
    ...plan,
    extract: (values, s) => {
      if (values.length > 0) return plan.extract(values, s);
      const W = dealt[s];
      if (W === undefined || W.length !== plan.rows * plan.cols) throw new Error(`slice ${s} was handed over already`);
      dealt[s] = new Float64Array(0);
      return W;
    },
  };
}
