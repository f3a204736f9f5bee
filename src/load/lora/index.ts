/**
 * PEFT LoRA adapters (huggingface/peft `save_pretrained`): a folder with `adapter_config.json`
 * and `adapter_model.safetensors` (or `adapter_model.bin`). Each adapted module is one layer
 * of kind 'lora', ΔW = s·B·A (pairs.ts), analysed from its r non-zero eigenvalues
 * (src/spectrum/low-rank.ts). Reached three ways: the folder (directory.ts), its
 * adapter_config.json, or its adapter_model file (this module's sniff, on the name: the
 * content alone is an ordinary safetensors or PyTorch file).
 */
import { basename, dirname, join } from 'node:path';
import type { LoadedModel, TensorRef } from '../../types.js';
import { FormatError } from '../../errors.js';
import type { ModelFormatModule } from '../format.js';
import { ModelFolder } from '../paths.js';
import { openPytorchFile } from '../pytorch/index.js';
import { openSafetensors } from '../safetensors.js';
import { MAX_CONFIG_BYTES, parseLoraConfig, unmatchedPatternKeys, type LoraConfig } from './config.js';
import { pairLoraTensors, type LoraModule } from './pairs.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
const ADAPTER_WEIGHTS = ['adapter_model.safetensors', 'adapter_model.bin'] as const;

/** An opened adapter: the model the pipeline reads, and its modules (for `--base`, base.ts). */
export interface LoraAdapter extends LoadedModel {
  readonly format: 'lora';
  readonly modules: readonly LoraModule[];
  readonly config: LoraConfig;
}

/** Opens the adapter in `folder` (a directory holding adapter_config.json). */
export async function openLoraAdapter(folderPath: string, shownAs = folderPath): Promise<LoraAdapter> {
  const folder = await ModelFolder.of(folderPath);
  const config = await readConfig(folder);
  const present = await Promise.all(
    ADAPTER_WEIGHTS.map((n) =>
      folder.resolve(n, 'adapter weights').then(
        () => true,
        () => false,
      ),
    ),
  );
  const name = ADAPTER_WEIGHTS.find((_, i) => present[i]);
  if (name === undefined) {
    throw new FormatError(`${ADAPTER_CONFIG} without adapter_model.safetensors or adapter_model.bin beside it`);
  }
  const path = join(folderPath, name);
  const source = await folder.open(name, 'adapter weights');
  let inner: LoadedModel;
  if (name.endsWith('.safetensors')) inner = await openSafetensors(path, source);
  else inner = await openPytorchFile(path, source);
  try {
    const { modules, others } = pairLoraTensors(inner.tensors, config);
    if (modules.length === 0) throw new FormatError(`${name} holds no lora_A/lora_B pairs`);
    const notes: string[] = [];
    if (present[0] && present[1]) notes.push(`reads ${ADAPTER_WEIGHTS[0]} (also present: ${ADAPTER_WEIGHTS[1]})`);
    if (config.dora) notes.push('a DoRA adapter: its magnitude vectors are not applied to ΔW = s·B·A');
    for (const key of unmatchedPatternKeys(
      config,
      modules.map((m) => m.module),
    )) {
      notes.push(`rank/alpha pattern '${key}' matches no module (patterns are matched as module paths)`);
    }
    const tensors: TensorRef[] = [...modules.map((m) => m.ref), ...others];
    return {
      path: shownAs,
      format: 'lora',
      tensors,
      bytes: inner.bytes,
      nonWeightTensors: inner.nonWeightTensors,
      ...(config.baseModel !== undefined ? { metadata: { name: config.baseModel } } : {}),
      ...(notes.length > 0 ? { notes } : {}),
      modules,
      config,
      close: () => inner.close(),
    };
  } catch (e) {
    await inner.close();
    throw e;
  }
}

async function readConfig(folder: ModelFolder): Promise<LoraConfig> {
  const source = await folder.open(ADAPTER_CONFIG, 'adapter config');
  try {
    if (source.size > MAX_CONFIG_BYTES) {
      throw new FormatError(`${ADAPTER_CONFIG} is ${source.size} bytes, above the ${MAX_CONFIG_BYTES}-byte cap`);
    }
    return parseLoraConfig(Buffer.from(await source.read(0, source.size, ADAPTER_CONFIG)).toString('utf8'));
  } finally {
    await source.close();
  }
}

/** True for a file that belongs to an adapter folder by its name. */
function isAdapterFileName(path: string): boolean {
  const name = basename(path);
  return name === ADAPTER_CONFIG || (ADAPTER_WEIGHTS as readonly string[]).includes(name);
}

export const loraFormat: ModelFormatModule = {
  name: 'lora',
  sniff: (_head, path) => isAdapterFileName(path),
  open: async (path, source) => {
    await source?.close();
    return openLoraAdapter(dirname(path), path);
  },
};
