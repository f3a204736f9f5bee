/**
 * GGUF reader (llama.cpp/ggml's model file, ggml docs/gguf.md), versions 2 and 3,
 * little-endian. header.ts reads the metadata and tensor infos from a bounded window,
 * layout.ts places each tensor in the data section, and the values are read per tensor:
 * F32/F16/BF16/F64 by the shared widening (src/load/dtype.ts), ggml's block quantizations
 * by blocks.ts (dequantized exactly as ggml does). Integer tensors are counted as non-weights;
 * every other type (the i-quants IQ1–IQ3, TQ1_0/TQ2_0, Q8_1, Q8_K, unknown ids) is listed
 * under its ggml name (unknown ids: OTHER) and skipped by planLayers, never dropped.
 * Hand-written (no dependency): every length from the file is capped before use, the header is
 * read through a bounded window, and the block decoding is checked value for value against ggml's.
 */
import type { LoadedModel, ModelMetadata, TensorRef } from '../../types.js';
import { FormatError } from '../../errors.js';
import { FileSource } from '../file.js';
import { readWidened, readWidenedRange } from '../dtype.js';
import type { ModelFormatModule } from '../format.js';
import { blockDecoder, blockStepNoise, readBlockRange, readBlocks } from './blocks.js';
import type { BlockDecoder } from './quants-32.js';
import { stepSquares } from './step-noise.js';
import { shown } from './cursor.js';
import { FLOAT_GGML_DTYPES, INTEGER_GGML_DTYPES, fileTypeName } from './ggml-types.js';
import { GGUF_MAGIC, type GgufHeader, readHeader } from './header.js';
import { type PlacedTensor, placeTensors } from './layout.js';
import { integerValue } from './metadata.js';
import { ggufKindHint } from './names.js';

/** general.architecture, general.name and general.file_type, when the file has them. */
export function ggufMetadata(header: GgufHeader): ModelMetadata {
  const text = (key: string) => {
    const v = header.metadata.get(key);
    return v?.type === 'string' ? v.value : undefined;
  };
  const fileType = integerValue(header.metadata.get('general.file_type'));
  const architecture = text('general.architecture');
  const name = text('general.name');
  return {
    ...(architecture !== undefined ? { architecture } : {}),
    ...(name !== undefined ? { name } : {}),
    ...(fileType !== undefined ? { fileType: fileTypeName(fileType) } : {}),
  };
}

function tensorRef(t: PlacedTensor, source: FileSource, path: string): TensorRef {
  const what = `tensor '${shown(t.name)}'`;
  const kindHint = ggufKindHint(t.name, t.shape.length);
  const base = {
    name: t.name,
    shape: t.shape,
    dtype: t.dtype,
    file: path,
    byteLength: t.byteLength,
    storageKey: `${path}@${t.start}+${t.byteLength}`,
    ...(kindHint !== undefined ? { kindHint } : {}),
  };
  if (FLOAT_GGML_DTYPES.has(t.dtype)) {
    return {
      ...base,
      read: () => readWidened(source, t.start, t.dtype, t.count, what),
      readRange: (first, n) => readWidenedRange(source, t.start, t.dtype, t.count, first, n, what),
    };
  }
  const decode = blockDecoder(t.dtype);
  const type = t.type;
  const steps = stepSquares(t.dtype);
  if (decode !== undefined && type !== undefined) {
    if (steps === undefined) {
      return {
        ...base,
        read: () => readBlocks(source, t.start, type, decode, t.count, what),
        readRange: (first, n) => readBlockRange(source, t.start, type, decode, t.count, first, n, what),
      };
    }
    // The step noise is summed from the same chunks read() decodes, so a whole read costs no
    // second pass over the file; only a tensor read by ranges (a MoE stack) walks it again.
    let noise: number | undefined;
    let stepSum = 0;
    const decodeSumming: BlockDecoder = (src, out) => {
      decode(src, out);
      stepSum += steps(src, out.length / type.blockSize);
    };
    return {
      ...base,
      read: async () => {
        stepSum = 0;
        const values = await readBlocks(source, t.start, type, decodeSumming, t.count, what);
        noise = t.count === 0 ? 0 : stepSum / (12 * t.count);
        return values;
      },
      stepNoise: async () => noise ?? blockStepNoise(source, t.start, type, steps, t.count, what),
      readRange: (first, n) => readBlockRange(source, t.start, type, decode, t.count, first, n, what),
    };
  }
  const typeName = t.type?.name ?? `unknown type ${t.typeId}`;
  return {
    ...base,
    read: async () => {
      throw new FormatError(`${what} is stored as ${typeName}, which rmt-analyze does not decode`);
    },
  };
}

/** Opens a GGUF file; `source` is the file the dispatcher opened (kept, closed on failure). */
export async function openGguf(path: string, source?: FileSource): Promise<LoadedModel> {
  const file = source ?? (await FileSource.open(path));
  try {
    const header = await readHeader(file);
    const { tensors } = placeTensors(header, file.size);
    const refs: TensorRef[] = [];
    let nonWeights = 0;
    for (const t of tensors) {
      if (INTEGER_GGML_DTYPES.has(t.dtype)) nonWeights++;
      else refs.push(tensorRef(t, file, path));
    }
    const metadata = ggufMetadata(header);
    return {
      path,
      format: 'gguf',
      tensors: refs,
      bytes: file.size,
      nonWeightTensors: nonWeights,
      ...(Object.keys(metadata).length > 0 ? { metadata } : {}),
      close: () => file.close(),
    };
  } catch (e) {
    await file.close();
    throw e;
  }
}

/** A GGUF file starts with the magic "GGUF"; the reader says what is wrong with the rest. */
function sniff(head: Uint8Array): boolean {
  return head.length >= 4 && new DataView(head.buffer, head.byteOffset, 4).getUint32(0, true) === GGUF_MAGIC;
}

export const ggufFormat: ModelFormatModule = {
  name: 'gguf',
  sniff,
  extension: /\.gguf$/i,
  open: openGguf,
};
