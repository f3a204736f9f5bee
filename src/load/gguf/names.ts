/**
 * What a GGUF tensor is, from its name: llama.cpp names tensors by a fixed scheme
 * (gguf-py/gguf/constants.py TENSOR_NAMES: `token_embd`, `blk.N.attn_q`, `blk.N.ffn_up_exps`,
 * `output_norm`, …) that the safetensors name rules in src/matrices.ts do not know.
 * Undefined: no hint, the default rules decide.
 */
import type { LayerKind } from '../../types.js';

/** Weight matrices of a block: attention and feed-forward projections (and their MoE stacks). */
const DENSE_IN_BLOCK = new RegExp(
  String.raw`^blk\.\d+\.(attn_(q|k|v|qkv|output|q_a|q_b|kv_a_mqa|kv_b|k_b|v_b)` +
    String.raw`|ffn_(up|gate|down)(_exps|_shexp|_chexps)?)\.weight$`,
);

export function ggufKindHint(name: string, rank: number): LayerKind | undefined {
  if (/(^|\.)bias$/.test(name)) return 'bias';
  if (/_norm(\.\w+)?$|_norm_\w+\.weight$/.test(name) || /(^|\.)norm\.weight$/.test(name)) return 'norm';
  if (rank < 2) return undefined;
  if (/^(token_embd|token_types|position_embd)\.weight$/.test(name)) return 'embedding';
  if (name === 'output.weight' || DENSE_IN_BLOCK.test(name)) return 'dense';
  return undefined;
}
