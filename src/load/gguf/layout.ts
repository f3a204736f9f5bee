/**
 * Where each GGUF tensor's bytes are (ggml docs/gguf.md "File Structure"): the data section
 * starts at the first multiple of `general.alignment` (default 32, a power of two) after the
 * tensor infos; each tensor's offset inside it is a multiple of the alignment; its size
 * follows from its ggml type (block size, bytes per block) and ne, whose ne[0] must be a
 * whole number of blocks. Tensors must lie inside the file and must not overlap. The
 * shape rmt-analyze uses is ne reversed: ggml's ne[0] is the row length, so ne = [in, out]
 * is the row-major matrix [out, in], and a MoE stack ne = [in, out, experts] is
 * [experts, out, in].
 */
import type { DType } from '../../types.js';
import { FormatError } from '../../errors.js';
import { type GgmlType, ggmlType } from './ggml-types.js';
import type { GgufHeader, TensorInfo } from './header.js';
import { shown } from './cursor.js';

/** ggml's GGUF_DEFAULT_ALIGNMENT. */
export const DEFAULT_ALIGNMENT = 32;
/** Largest alignment accepted (real files: 32, sometimes 64 or 4096). */
export const MAX_ALIGNMENT = 1 << 30;

/** A tensor placed in the file: its shape (ne reversed), type and absolute byte range. */
export interface PlacedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  /** ne[0]: elements per row (a whole number of blocks). */
  readonly rowLength: number;
  readonly count: number;
  /** The ggml type, or undefined for an id ggml does not define (size then unknown). */
  readonly type: GgmlType | undefined;
  readonly typeId: number;
  readonly dtype: DType;
  /** Absolute offset in the file. */
  readonly start: number;
  /** Bytes it occupies; for an unknown type, the bytes up to the next tensor or the end. */
  readonly byteLength: number;
}

/** general.alignment, checked (ggml: a uint32 power of two). */
export function alignmentOf(header: GgufHeader): number {
  const v = header.metadata.get('general.alignment');
  if (v === undefined) return DEFAULT_ALIGNMENT;
  if (v.type !== 'uint32') throw new FormatError(`general.alignment is a ${v.type}, not a uint32`);
  const a = v.value;
  if (a === 0 || (a & (a - 1)) !== 0) throw new FormatError(`general.alignment ${a} is not a power of two`);
  if (a > MAX_ALIGNMENT) throw new FormatError(`general.alignment ${a} is above the cap of ${MAX_ALIGNMENT}`);
  return a;
}

/** The byte range and type of every tensor, checked against the file; in header order. */
export function placeTensors(header: GgufHeader, fileSize: number): { dataStart: number; tensors: PlacedTensor[] } {
  const alignment = alignmentOf(header);
  const dataStart = Math.ceil(header.headerEnd / alignment) * alignment;
  if (header.tensors.length > 0 && dataStart > fileSize) {
    throw new FormatError(`the data section would start at byte ${dataStart}, past the end of the file (${fileSize})`);
  }
  const placed = header.tensors.map((t) => place(t, dataStart, alignment, fileSize));
  return { dataStart, tensors: checkOverlaps(placed, fileSize) };
}

function place(t: TensorInfo, dataStart: number, alignment: number, fileSize: number): PlacedTensor {
  const what = `tensor '${shown(t.name)}'`;
  const type = ggmlType(t.typeId);
  const rowLength = t.ne[0] ?? 1;
  const count = t.ne.reduce((a, b) => a * b, 1);
  if (t.offset % alignment !== 0) {
    throw new FormatError(`${what} starts at data offset ${t.offset}, not a multiple of the alignment ${alignment}`);
  }
  const start = dataStart + t.offset;
  let byteLength = -1; // unknown type: settled by checkOverlaps
  if (type !== undefined) {
    if (rowLength % type.blockSize !== 0) {
      throw new FormatError(
        `${what} has rows of ${rowLength} elements, not a whole number of ${type.name} blocks of ${type.blockSize}`,
      );
    }
    byteLength = (count / type.blockSize) * type.typeSize;
    if (!Number.isSafeInteger(byteLength)) throw new FormatError(`${what} is too large (${count} elements)`);
  }
  if (start + Math.max(byteLength, 0) > fileSize) {
    const end = start + Math.max(byteLength, 0);
    throw new FormatError(`${what} (bytes ${start}–${end}) extends past the end of the file (${fileSize} bytes)`);
  }
  return {
    name: t.name,
    shape: [...t.ne].reverse(),
    rowLength,
    count,
    type,
    typeId: t.typeId,
    dtype: type?.dtype ?? 'OTHER',
    start,
    byteLength,
  };
}

/**
 * Refuses overlapping tensors (in offset order, empty ones first at equal offsets); a
 * tensor of unknown type is given the bytes up to the next tensor (or the end of the file).
 */
function checkOverlaps(placed: PlacedTensor[], fileSize: number): PlacedTensor[] {
  const order = placed.map((_, i) => i);
  // Unknown sizes (−1) last among equal starts, so that they take the bytes up to the next start.
  const size = (i: number) => (placed[i]!.byteLength < 0 ? Number.MAX_SAFE_INTEGER : placed[i]!.byteLength);
  order.sort((a, b) => placed[a]!.start - placed[b]!.start || size(a) - size(b));
  const out = [...placed];
  for (let k = 0; k < order.length; k++) {
    const t = placed[order[k]!]!;
    const next = k + 1 < order.length ? placed[order[k + 1]!]!.start : fileSize;
    if (t.byteLength < 0) out[order[k]!] = { ...t, byteLength: next - t.start };
    else if (t.start + t.byteLength > next) {
      const other = placed[order[k + 1]!]!;
      throw new FormatError(`tensors '${shown(t.name)}' and '${shown(other.name)}' overlap (at byte ${other.start})`);
    }
  }
  return out;
}
