/**
 * Reading a block-quantized GGUF tensor into float64: whole blocks at a time, chunk by chunk
 * (≤ CHUNK_BYTES of raw bytes beside the float64 output, src/load/file.ts), and ranges of
 * elements (one expert of a MoE stack) by the blocks that hold them. The decoders are
 * quants-32.ts and quants-k.ts.
 */
import type { DType } from '../../types.js';
import { CHUNK_BYTES, type FileSource } from '../file.js';
import { allocateFloat64, checkElementRange } from '../dtype.js';
import type { GgmlType } from './ggml-types.js';
import type { StepSquares } from './step-noise.js';
import {
  type BlockDecoder,
  decodeIQ4_NL,
  decodeMXFP4,
  decodeQ4_0,
  decodeQ4_1,
  decodeQ5_0,
  decodeQ5_1,
  decodeQ8_0,
} from './quants-32.js';
import { decodeIQ4_XS, decodeQ2_K, decodeQ3_K, decodeQ4_K, decodeQ5_K, decodeQ6_K } from './quants-k.js';

/** The decoder of each block type rmt-analyze reads (DEQUANTIZED_GGML_TYPES in types.ts). */
const DECODERS: Readonly<Partial<Record<DType, BlockDecoder>>> = {
  Q4_0: decodeQ4_0,
  Q4_1: decodeQ4_1,
  Q5_0: decodeQ5_0,
  Q5_1: decodeQ5_1,
  Q8_0: decodeQ8_0,
  Q2_K: decodeQ2_K,
  Q3_K: decodeQ3_K,
  Q4_K: decodeQ4_K,
  Q5_K: decodeQ5_K,
  Q6_K: decodeQ6_K,
  IQ4_NL: decodeIQ4_NL,
  IQ4_XS: decodeIQ4_XS,
  MXFP4: decodeMXFP4,
};

export function blockDecoder(dtype: DType): BlockDecoder | undefined {
  return DECODERS[dtype];
}

/**
 * Decodes the `count` elements (whole blocks) stored at `offset`: each chunk read holds
 * whole blocks and is decoded into its place in the output before the next is read.
 */
export async function readBlocks(
  source: FileSource,
  offset: number,
  type: GgmlType,
  decode: BlockDecoder,
  count: number,
  what: string,
  chunkBytes = CHUNK_BYTES,
): Promise<Float64Array> {
  const out = allocateFloat64(count, what);
  await forEachChunk(source, offset, type, count, what, chunkBytes, (chunk, first, n) => {
    decode(chunk, out.subarray(first, first + n));
  });
  return out;
}

/**
 * Reads the `count` elements (whole blocks) at `offset` in chunks of whole blocks of at most
 * `chunkBytes`; `take` gets each chunk with the index of its first element and its length.
 */
async function forEachChunk(
  source: FileSource,
  offset: number,
  type: GgmlType,
  count: number,
  what: string,
  chunkBytes: number,
  take: (chunk: Uint8Array, first: number, elements: number) => void,
): Promise<void> {
  const { blockSize, typeSize } = type;
  const perChunk = Math.max(1, Math.floor(chunkBytes / typeSize)) * typeSize;
  await source.readChunks(
    offset,
    (count / blockSize) * typeSize,
    what,
    (chunk, at) => take(chunk, (at / typeSize) * blockSize, (chunk.length / typeSize) * blockSize),
    perChunk,
  );
}

/**
 * Elements [first, first + count) of a block tensor of `total` elements: the blocks that
 * hold them are read and decoded (a matrix of a MoE stack is whole rows, hence whole
 * blocks), and the range is cut out.
 */
export async function readBlockRange(
  source: FileSource,
  offset: number,
  type: GgmlType,
  decode: BlockDecoder,
  total: number,
  first: number,
  count: number,
  what: string,
): Promise<Float64Array> {
  checkElementRange(first, count, total, what);
  const { blockSize, typeSize } = type;
  const b0 = Math.floor(first / blockSize);
  const b1 = Math.ceil((first + count) / blockSize);
  const values = await readBlocks(source, offset + b0 * typeSize, type, decode, (b1 - b0) * blockSize, what);
  const skip = first - b0 * blockSize;
  return skip === 0 && count === values.length ? values : values.slice(skip, skip + count);
}

/** The mean of step²/12 over the `count` elements stored at `offset` (TensorRef.stepNoise). */
export async function blockStepNoise(
  source: FileSource,
  offset: number,
  type: GgmlType,
  steps: StepSquares,
  count: number,
  what: string,
  chunkBytes = CHUNK_BYTES,
): Promise<number> {
  let sum = 0;
  await forEachChunk(source, offset, type, count, what, chunkBytes, (chunk) => {
    sum += steps(chunk, chunk.length / type.typeSize);
  });
  return count === 0 ? 0 : sum / (12 * count);
}
