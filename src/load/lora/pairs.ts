/**
 * The LoRA pairs of a PEFT adapter's weights: `<prefix>.<module>.lora_A[.<adapter>].weight`
 * (r×in, or r×in×kh×kw for a conv) with its `lora_B` (out×r, or out×r×1×1), and for
 * embeddings `lora_embedding_A` (r×vocab) with `lora_embedding_B` (dim×r) (huggingface/peft,
 * `tuners/lora/layer.py`: Linear, Conv2d, Embedding). Each pair becomes one TensorRef of
 * kind 'lora': ΔW in the orientation of the base weight it updates, so that W + ΔW is an
 * elementwise sum (fan_in_fan_out and embeddings store ΔW transposed: B·A's transpose is
 * Aᵀ·Bᵀ, so the factors swap and transpose). Every other tensor of the file (modules_to_save,
 * DoRA magnitudes, …) is passed through unchanged.
 */
import type { LowRankFactors, TensorRef } from '../../types.js';
import { FormatError } from '../../errors.js';
import { lowRankProduct } from '../../spectrum/low-rank.js';
import { transposeInto } from '../../spectrum/transpose.js';
import { moduleScaling, type LoraConfig } from './config.js';

/** One adapted module: ΔW's factors as stored, and how to orient them like the base weight. */
export interface LoraModule {
  /** The module path, without peft's `base_model.model.` prefix (e.g. `model.layers.0.self_attn.q_proj`). */
  readonly module: string;
  readonly ref: TensorRef;
  /** ΔW's shape in the base weight's orientation, flattened to 2-D (a conv's out × in·kh·kw). */
  readonly rows: number;
  readonly cols: number;
}

const PAIR = /^(.*)\.(lora_A|lora_B)(?:\.([^.]+))?\.weight$|^(.*)\.(lora_embedding_A|lora_embedding_B)(?:\.([^.]+))?$/;
const PEFT_PREFIX = 'base_model.model.';

interface Half {
  a?: TensorRef;
  b?: TensorRef;
  embedding: boolean;
}

/** Splits `tensors` into LoRA modules and the rest. */
export function pairLoraTensors(
  tensors: readonly TensorRef[],
  config: LoraConfig,
): { modules: LoraModule[]; others: TensorRef[] } {
  const halves = new Map<string, Half>();
  const others: TensorRef[] = [];
  for (const t of tensors) {
    const m = PAIR.exec(t.name);
    if (m === null) {
      others.push(t);
      continue;
    }
    const embedding = m[4] !== undefined;
    const path = (embedding ? m[4] : m[1])!;
    const which = (embedding ? m[5] : m[2])!.endsWith('A') ? 'a' : 'b';
    const adapter = embedding ? m[6] : m[3];
    const key = adapter === undefined ? path : `${path}\u0000${adapter}`;
    const half = halves.get(key) ?? { embedding };
    if (half[which] !== undefined) throw new FormatError(`tensor '${t.name}' appears twice`);
    half[which] = t;
    halves.set(key, half);
  }
  const modules: LoraModule[] = [];
  for (const [key, half] of halves) {
    const [path, adapter] = key.split('\u0000') as [string, string | undefined];
    const module =
      (path.startsWith(PEFT_PREFIX) ? path.slice(PEFT_PREFIX.length) : path) + (adapter ? `[${adapter}]` : '');
    if (half.a === undefined || half.b === undefined) {
      const present = (half.a ?? half.b)!.name;
      throw new FormatError(`'${present}' has no ${half.a === undefined ? 'lora_A' : 'lora_B'} to pair with`);
    }
    modules.push(loraModule(module, half.a, half.b, half.embedding, config));
  }
  return { modules, others };
}

function loraModule(module: string, a: TensorRef, b: TensorRef, embedding: boolean, config: LoraConfig): LoraModule {
  const r = a.shape[0];
  const bOut = b.shape[0];
  const bRank = b.shape[1];
  if (a.shape.length < 2 || b.shape.length < 2 || r === undefined || bOut === undefined || bRank === undefined) {
    throw new FormatError(`LoRA pair of '${module}': shapes [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  // Conv B is out×r×1×1; its trailing dimensions must be 1.
  if (b.shape.slice(2).some((d) => d !== 1) || bRank !== r) {
    throw new FormatError(
      `LoRA pair of '${module}': lora_A [${a.shape.join(', ')}] and lora_B [${b.shape.join(', ')}] do not multiply`,
    );
  }
  const aCols = a.shape.slice(1).reduce((x, y) => x * y, 1);
  const { rank, scale } = moduleScaling(config, module);
  if (rank !== r) {
    throw new FormatError(`LoRA pair of '${module}' has rank ${r} but adapter_config.json says r = ${rank}`);
  }
  // B·A is out×aCols. Embedding weights are vocab×dim and B·A is dim×vocab; fan_in_fan_out
  // weights are in×out: both take the transpose.
  const transpose = embedding || config.fanInFanOut;
  const rows = transpose ? aCols : bOut;
  const cols = transpose ? bOut : aCols;
  const factors = async (): Promise<LowRankFactors> => {
    const [av, bv] = await Promise.all([a.read(), b.read()]);
    if (!transpose) return { a: av, b: bv, rank: r, inDim: aCols, outDim: bOut, scale };
    // (s·B·A)ᵀ = s·Aᵀ·Bᵀ: the new left factor is Aᵀ (aCols×r), the new right one Bᵀ (r×out).
    return { a: transposed(bv, bOut, r), b: transposed(av, r, aCols), rank: r, inDim: bOut, outDim: aCols, scale };
  };
  const ref: TensorRef = {
    name: module,
    shape: [rows, cols],
    dtype: a.dtype,
    file: a.file,
    byteLength: a.byteLength + b.byteLength,
    kindHint: 'lora',
    storageKey: `lora:${a.storageKey}|${b.storageKey}`,
    read: async () => lowRankProduct(await factors()),
    lowRank: { rank: r, factors },
  };
  return { module, ref, rows, cols };
}

/** The transpose of the row-major rows×cols matrix `m`. */
function transposed(m: Float64Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows * cols);
  transposeInto(m, rows, cols, out);
  return out;
}
