/**
 * `--base PATH`: a LoRA adapter together with the model it was trained on. For every adapted
 * module the report then holds three layers — ΔW (kind 'lora'), the base weight W, and the
 * fine-tuned weight W + ΔW (named `<W's name>+lora`) — so a user sees whether the fine-tune
 * moved the layer's phase or α. The base is read lazily like any model; W + ΔW is formed
 * per layer when it is analysed (one extra out×in float64 at a time).
 */
import type { LoadedModel, TensorRef } from '../../types.js';
import { FormatError } from '../../errors.js';
import { layerKind } from '../../matrices.js';
import { lowRankProduct } from '../../spectrum/low-rank.js';
import type { LoraAdapter } from './index.js';
import type { LoraModule } from './pairs.js';

/** Suffix of the fine-tuned weight's layer name. */
export const MERGED_SUFFIX = '+lora';

/** The adapter with, per module, the base weight and the merged weight added after ΔW. */
export function withBase(adapter: LoraAdapter, base: LoadedModel): LoadedModel {
  const byName = new Map(base.tensors.map((t) => [t.name, t]));
  const tensors: TensorRef[] = [];
  const notes = [...(adapter.notes ?? [])];
  const moduleOf = new Map(adapter.modules.map((m) => [m.ref, m]));
  for (const t of adapter.tensors) {
    tensors.push(t);
    const module = moduleOf.get(t);
    if (module === undefined) continue;
    const w = baseWeight(module, byName);
    if (w === undefined) {
      notes.push(`no weight for module '${module.module}' in the base model ${base.path}`);
      continue;
    }
    tensors.push(w, merged(module, w));
  }
  return {
    ...adapter,
    tensors,
    bytes: adapter.bytes + base.bytes,
    notes,
    close: async () => {
      await Promise.all([adapter.close(), base.close()]);
    },
  };
}

/** `<module>.weight`, else the one base weight whose name ends with it (or that it ends with). */
function baseWeight(module: LoraModule, byName: ReadonlyMap<string, TensorRef>): TensorRef | undefined {
  const name = `${module.module}.weight`;
  const exact = byName.get(name);
  if (exact !== undefined) return exact;
  const found = [...byName.values()].filter((t) => t.name.endsWith(`.${name}`) || name.endsWith(`.${t.name}`));
  return found.length === 1 ? found[0] : undefined;
}

/** W + ΔW in W's layout (a conv kernel [out, in, kh, kw] is ΔW's out × in·kh·kw row by row). */
function merged(module: LoraModule, w: TensorRef): TensorRef {
  const count = w.shape.reduce((a, b) => a * b, 1);
  if (w.shape[0] !== module.rows || count !== module.rows * module.cols) {
    throw new FormatError(
      `base weight '${w.name}' has shape [${w.shape.join(', ')}] but the adapter's ΔW for ` +
        `'${module.module}' is ${module.rows}×${module.cols}`,
    );
  }
  const lowRank = module.ref.lowRank!;
  return {
    name: `${w.name}${MERGED_SUFFIX}`,
    shape: w.shape,
    dtype: w.dtype,
    file: module.ref.file,
    byteLength: w.byteLength + module.ref.byteLength,
    kindHint: layerKind(w),
    ...(w.groups !== undefined ? { groups: w.groups } : {}),
    storageKey: `${w.storageKey}${MERGED_SUFFIX}:${module.ref.storageKey}`,
    read: async () => {
      const [values, factors] = await Promise.all([w.read(), lowRank.factors()]);
      const delta = lowRankProduct(factors);
      for (let i = 0; i < values.length; i++) values[i]! += delta[i]!;
      return values;
    },
  };
}
