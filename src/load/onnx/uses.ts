/**
 * What each use of a tensor in the graph says about it: the layer kind implied by the
 * consuming op and input position, combined over all uses into one summary.
 */
import type { LayerKind } from '../../types.js';

export interface Use {
  readonly op: string;
  readonly input: number;
  /** Value-preserving ops between the tensor and this use (Transpose, Cast, …). */
  readonly via: readonly string[];
  /** Conv `group` attribute, where the op has one. */
  readonly group?: number;
}

/** What one use says about the tensor: a kind, or undefined when the op says nothing. */
function kindOfUse(u: Use, rank: number): LayerKind | undefined {
  const convKind = (): LayerKind | undefined =>
    rank === 3 ? 'conv1d' : rank === 4 ? 'conv2d' : rank === 5 ? 'conv3d' : undefined;
  switch (u.op) {
    case 'Conv':
    case 'ConvTranspose':
    case 'ConvInteger':
      return u.input === 1 ? convKind() : u.input === 2 && u.op !== 'ConvInteger' ? 'bias' : undefined;
    case 'QLinearConv':
      return u.input === 3 ? convKind() : u.input === 8 ? 'bias' : undefined;
    case 'MatMul':
    case 'FusedMatMul':
    case 'MatMulInteger':
      return u.input <= 1 ? 'dense' : undefined;
    case 'QLinearMatMul':
      return u.input === 0 || u.input === 3 ? 'dense' : undefined;
    case 'Gemm':
      return u.input <= 1 ? 'dense' : u.input === 2 ? 'bias' : undefined;
    case 'LSTM':
    case 'GRU':
    case 'RNN':
      return u.input === 1 || u.input === 2 ? 'recurrent' : u.input === 3 ? 'bias' : undefined;
    case 'Gather':
      return u.input === 0 && rank === 2 ? 'embedding' : undefined;
    case 'MatMulNBits':
      return u.input === 1 ? 'dense' : undefined;
    case 'GatherBlockQuantized':
      return u.input === 0 ? 'embedding' : undefined;
    case 'Attention': // onnxruntime contrib: input, weights, bias
      return u.input === 1 ? 'dense' : u.input === 2 ? 'bias' : undefined;
    case 'EmbedLayerNormalization': // input_ids, segment_ids, word/position/segment embeddings, gamma, beta
      return u.input >= 2 && u.input <= 4 ? 'embedding' : u.input >= 5 ? 'norm' : undefined;
    case 'BatchNormalization':
    case 'LayerNormalization':
    case 'InstanceNormalization':
    case 'GroupNormalization':
    case 'RMSNormalization':
    case 'SimplifiedLayerNormalization':
      return u.input >= 1 ? 'norm' : undefined;
    case 'SkipLayerNormalization':
    case 'SkipSimplifiedLayerNormalization':
      // input, skip, gamma, beta, bias
      return u.input >= 2 ? 'norm' : undefined;
    case 'Add':
      return rank === 1 ? 'bias' : undefined;
  }
  return undefined;
}

export interface UsageSummary {
  readonly kindHint?: LayerKind;
  readonly consumer?: string;
  readonly groups?: number;
}

/**
 * Combines a tensor's uses: one kind when all informative uses agree; an embedding also
 * used as an output head (tied weights: Gather and MatMul) stays an embedding; anything
 * else is ambiguous and left undefined.
 */
export function summarizeUses(uses: readonly Use[], rank: number): UsageSummary {
  const kinds = new Set<LayerKind>();
  const ops: string[] = [];
  const groups = new Set<number>();
  for (const u of uses) {
    const k = kindOfUse(u, rank);
    if (k === undefined) continue;
    kinds.add(k);
    if (!ops.includes(u.op)) ops.push(u.op);
    if (u.group !== undefined && (k === 'conv1d' || k === 'conv2d' || k === 'conv3d')) groups.add(u.group);
  }
  let kindHint: LayerKind | undefined;
  if (kinds.size === 1) kindHint = [...kinds][0];
  else if (kinds.size === 2 && kinds.has('embedding') && kinds.has('dense')) kindHint = 'embedding';
  const allOps = ops.length > 0 ? ops : [...new Set(uses.map((u) => u.op))];
  return {
    kindHint,
    consumer: allOps.length > 0 ? allOps.join(', ') : undefined,
    groups: groups.size === 1 ? [...groups][0] : undefined,
  };
}
