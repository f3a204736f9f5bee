/**
 * ONNX loader: opens a .onnx model (inline, or with external data files), lists its
 * weight tensors with what the graph says about each, and reads one tensor's values at a
 * time. Parsing reads the graph structure only; tensor data stays on disk until read().
 */
import type { DealtVisitor, LoadedModel, QuantInfo, TensorRef } from '../../types.js';
import { FormatError } from '../../errors.js';
import { FileSource } from '../file.js';
import type { ModelFormatModule } from '../format.js';
import {
  dealtReadable,
  describeTensor,
  rangeReadable,
  readValueRange,
  readValues,
  readValuesDealt,
  toSafeInt,
  type TensorInfo,
} from './decode.js';
import { ExternalFiles } from './external.js';
import {
  dequantizePicked,
  dequantizeRange,
  quantLayout,
  QUANTIZED_DTYPES,
  STEP_GRID_DTYPES,
  stepNoiseVariance,
} from './quant.js';
import { ModelProto } from './schema.js';
import { looksLikeProtobufModel } from './sniff.js';
import { discover, elementType, summarizeUses, type FoundTensor, type Use } from './tensors.js';
import { walkFile } from './wire.js';
import { appendAll } from '../../arrays.js';

/** A listed tensor before references to the same storage are merged. */
interface Entry {
  readonly position: number;
  readonly storageKey: string;
  readonly uses: Use[];
  /** Builds the TensorRef once all uses of this storage are known. */
  readonly make: (uses: readonly Use[]) => TensorRef;
}

/**
 * Opens an ONNX model: walks its structure, checks every listed tensor's storage (external
 * files resolved under the model's symlink policy and kept open: external.ts), and returns
 * refs whose read() loads one tensor. `opened`: the model file already opened by the
 * caller, then owned here. Bad input throws FormatError; the dispatcher (src/load/index.ts)
 * names the file.
 */
export async function openOnnx(path: string, opened?: FileSource): Promise<LoadedModel> {
  const source = opened ?? (await FileSource.open(path));
  const external = new ExternalFiles(path);
  const close = async () => {
    await Promise.all([source.close(), external.close()]);
  };
  try {
    const model = await walkFile(source, ModelProto);
    const found = discover(model);
    if (!found.hasGraph) throw new FormatError('the ONNX model has no graph');
    const infos = new Map<FoundTensor, Promise<TensorInfo>>();
    const describe = (t: FoundTensor): Promise<TensorInfo> => {
      let p = infos.get(t);
      if (p === undefined) infos.set(t, (p = describeTensor(t.msg, t.name, path, external)));
      return p;
    };

    const entries: Entry[] = [];
    let nonWeights = found.otherTensors;
    for (const t of found.tensors) {
      if (t.sparse) {
        entries.push(sparseEntry(t, path));
        continue;
      }
      const elem = elementType(t);
      if (elem === undefined) {
        await describe(t); // throws the specific error (no / unknown data_type)
        continue;
      }
      if (t.quant !== undefined && QUANTIZED_DTYPES.has(elem.dtype)) {
        entries.push(await quantizedEntry(t, describe, path, source));
      } else if (t.packedFor !== undefined && elem.float !== true) {
        entries.push(
          plainEntry(t, await describe(t), path, source, `is packed in ${t.packedFor}'s own format (not supported)`),
        );
      } else if (t.quantParam) {
        nonWeights++; // scales and zero points: bookkeeping of quantized tensors
      } else if (elem.float || elem.dtype === 'OTHER' || elem.dtype === 'I4' || elem.dtype === 'U4') {
        entries.push(plainEntry(t, await describe(t), path, source));
      } else {
        nonWeights++; // integer and boolean tensors: shapes, indices, masks
      }
    }

    refuseOverlaps(await Promise.all(infos.values()));
    const tensors = mergeByStorage(entries);
    if (tensors.length === 0) throw new FormatError('no weight tensors (no float or quantized tensors in the model)');
    const bytes = source.size + (await external.bytes());
    return {
      path,
      format: 'onnx',
      tensors,
      bytes,
      nonWeightTensors: nonWeights,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}

/**
 * External data ranges must not overlap (as safetensors requires of its buffer): else a
 * small model can name the same gigabytes many times over, each read and analysed anew
 * (issue 12). The same range named twice is one tensor reached twice, merged below.
 */
function refuseOverlaps(infos: readonly TensorInfo[]): void {
  const ranges: Extract<TensorInfo['storage'], { kind: 'external' }>[] = [];
  const names = new Map<object, string>();
  for (const info of infos) {
    if (info.storage.kind !== 'external' || info.storage.length === 0) continue;
    ranges.push(info.storage);
    names.set(info.storage, info.name);
  }
  ranges.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.offset - b.offset || a.length - b.length));
  for (let i = 1; i < ranges.length; i++) {
    const [a, b] = [ranges[i - 1]!, ranges[i]!];
    if (a.path !== b.path || b.offset >= a.offset + a.length) continue;
    if (a.offset === b.offset && a.length === b.length) continue;
    throw new FormatError(
      `tensor '${names.get(b)}' overlaps tensor '${names.get(a)}' in external data file '${b.location}' ` +
        `(bytes ${b.offset}–${b.offset + b.length} and ${a.offset}–${a.offset + a.length})`,
    );
  }
}

/** One TensorRef per distinct storage (tied weights, the same bytes named twice), in file order. */
function mergeByStorage(entries: Entry[]): TensorRef[] {
  entries.sort((a, b) => a.position - b.position);
  const byKey = new Map<string, { first: Entry; uses: Use[] }>();
  for (const e of entries) {
    const g = byKey.get(e.storageKey);
    if (g === undefined) byKey.set(e.storageKey, { first: e, uses: [...e.uses] });
    else appendAll(g.uses, e.uses);
  }
  return [...byKey.values()].map((g) => g.first.make(g.uses));
}

function usage(uses: readonly Use[], rank: number): Pick<TensorRef, 'kindHint' | 'consumer' | 'groups'> {
  const s = summarizeUses(uses, rank);
  const out: { kindHint?: TensorRef['kindHint']; consumer?: string; groups?: number } = {};
  if (s.kindHint !== undefined) out.kindHint = s.kindHint;
  if (s.consumer !== undefined) out.consumer = s.consumer;
  if (s.groups !== undefined) out.groups = s.groups;
  return out;
}

/** A float tensor (read and widened), or one we list but cannot decode (dtype 'OTHER'). */
function plainEntry(t: FoundTensor, info: TensorInfo, path: string, source: FileSource, unreadable?: string): Entry {
  const readable = info.elem.float === true && info.unsupported === undefined && unreadable === undefined;
  const why =
    unreadable ??
    info.unsupported ??
    (info.elem.dtype === 'I4' || info.elem.dtype === 'U4'
      ? `is a 4-bit ${info.elem.name} tensor with no DequantizeLinear scale`
      : `has type ${info.elem.name}, which rmt-analyze cannot decode`);
  return {
    position: info.position,
    storageKey: info.storageKey,
    uses: t.uses,
    make: (uses) => ({
      name: info.name,
      shape: info.shape,
      dtype: readable ? info.elem.dtype : 'OTHER',
      file: path,
      byteLength: info.byteLength,
      ...usage(uses, info.shape.length),
      storageKey: info.storageKey,
      read: readable
        ? () => readValues(info, source)
        : async () => {
            throw new FormatError(`tensor '${info.name}' ${why}`);
          },
      ...(readable && rangeReadable(info)
        ? { readRange: (first: number, count: number) => readValueRange(info, source, first, count) }
        : {}),
      ...(readable && dealtReadable(info)
        ? {
            readDealt: (positions: number, visitor?: DealtVisitor) =>
              readValuesDealt(info, source, positions, undefined, visitor),
          }
        : {}),
    }),
  };
}

async function quantizedEntry(
  t: FoundTensor,
  describe: (t: FoundTensor) => Promise<TensorInfo>,
  path: string,
  source: FileSource,
): Promise<Entry> {
  const q = t.quant!;
  const w = await describe(t);
  const scale = await describe(q.scale);
  const zp = q.zeroPoint !== undefined ? await describe(q.zeroPoint) : undefined;
  const layout = quantLayout(w, scale, zp, q);
  const quantization: QuantInfo = {
    scheme: q.scheme,
    scaleName: scale.name,
    ...(zp !== undefined ? { zeroPointName: zp.name } : {}),
    ...(layout.kind !== 'tensor' ? { axis: layout.axis } : {}),
    ...(layout.kind === 'block' ? { blockSize: layout.blockSize } : {}),
  };
  // The scale is part of the identity: the same int8 bytes under another scale are another weight.
  const storageKey = `${w.storageKey}|scale:${scale.storageKey}|zp:${zp?.storageKey ?? ''}`;
  return {
    position: w.position,
    storageKey,
    uses: t.uses,
    make: (uses) => ({
      name: q.reportAs,
      shape: w.shape,
      dtype: w.elem.dtype,
      file: path,
      byteLength: w.byteLength,
      ...usage(uses, w.shape.length),
      quantization,
      storageKey,
      ...(STEP_GRID_DTYPES.has(w.elem.dtype)
        ? { stepNoise: async () => stepNoiseVariance(w.shape, layout, await readValues(scale, source)) }
        : {}),
      read: async () => {
        const s = await readValues(scale, source);
        const z = zp !== undefined ? await readValues(zp, source) : undefined;
        // Dequantized piece by piece as the values are widened (quant.ts dequantizeRange).
        return readValues(w, source, (q, from, to) => dequantizeRange(q, from, to, w.shape, layout, s, z));
      },
      ...(dealtReadable(w)
        ? {
            readDealt: async (positions: number, visitor?: DealtVisitor) => {
              const s = await readValues(scale, source);
              const z = zp !== undefined ? await readValues(zp, source) : undefined;
              const piece = {
                stretch: (q: Float64Array, from: number, to: number, base?: number) =>
                  dequantizeRange(q, from, to, w.shape, layout, s, z, base),
                picked: (values: Float64Array, step: number) => dequantizePicked(values, step, w.shape, layout, s, z),
              };
              return readValuesDealt(w, source, positions, piece, visitor);
            },
          }
        : {}),
    }),
  };
}

/** Sparse tensors are listed (and skipped downstream), never silently dropped. */
function sparseEntry(t: FoundTensor, path: string): Entry {
  const who = `sparse tensor '${t.name}'`;
  const dims = (t.msg.fields.dims ?? []) as unknown[];
  const shape = dims.map((d, i) => {
    const n = toSafeInt(d, () => `${who} dimension ${i}`);
    if (n < 0) throw new FormatError(`${who} has a negative dimension ${n}`);
    return n;
  });
  const storageKey = `${path}#sparse@${t.msg.offset}`;
  return {
    position: t.msg.offset,
    storageKey,
    uses: t.uses,
    make: (uses) => ({
      name: t.name,
      shape,
      dtype: 'OTHER',
      file: path,
      byteLength: t.msg.length,
      ...usage(uses, shape.length),
      storageKey,
      read: async () => {
        throw new FormatError(`tensor '${t.name}' is a sparse tensor (not supported)`);
      },
    }),
  };
}

export const onnxFormat: ModelFormatModule = {
  name: 'onnx',
  sniff: (head, _path, size) => looksLikeProtobufModel(head, size),
  extension: /\.onnx$/i,
  open: openOnnx,
};
