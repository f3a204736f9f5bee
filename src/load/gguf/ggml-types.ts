/**
 * ggml's tensor types as GGUF files number them (ggml/include/ggml.h `enum ggml_type`), with
 * each type's block size and bytes per block (ggml.c `type_traits`, mirrored by llama.cpp's
 * gguf-py/gguf/constants.py GGML_QUANT_SIZES), and llama.cpp's `general.file_type` names
 * (constants.py LlamaFileType). Learned from those MIT-licensed sources; a table of facts.
 */
import { GGML_QUANT_TYPES, type DType } from '../../types.js';

/** One ggml type: `blockSize` elements are stored in `typeSize` bytes. */
export interface GgmlType {
  /** The id stored in the file. */
  readonly id: number;
  /** ggml's name for it (GGML_TYPE_<name>). */
  readonly name: string;
  readonly blockSize: number;
  readonly typeSize: number;
  /**
   * How rmt-analyze names it: the float and integer types by their safetensors names, the
   * block types by their ggml names; 'OTHER' for ggml types that DType does not list.
   */
  readonly dtype: DType;
}

/** QK_K: elements per super-block of the k-quants and most i-quants. */
export const QK_K = 256;

/** [id, name, block size, bytes per block]; ids 4, 5, 31–33 and 36–38 were removed from ggml. */
const TABLE: readonly (readonly [number, string, number, number])[] = [
  [0, 'F32', 1, 4],
  [1, 'F16', 1, 2],
  [2, 'Q4_0', 32, 2 + 16],
  [3, 'Q4_1', 32, 2 + 2 + 16],
  [6, 'Q5_0', 32, 2 + 4 + 16],
  [7, 'Q5_1', 32, 2 + 2 + 4 + 16],
  [8, 'Q8_0', 32, 2 + 32],
  [9, 'Q8_1', 32, 2 + 2 + 32],
  [10, 'Q2_K', QK_K, 2 + 2 + QK_K / 16 + QK_K / 4],
  [11, 'Q3_K', QK_K, 2 + QK_K / 4 + QK_K / 8 + 12],
  [12, 'Q4_K', QK_K, 2 + 2 + QK_K / 2 + 12],
  [13, 'Q5_K', QK_K, 2 + 2 + QK_K / 2 + QK_K / 8 + 12],
  [14, 'Q6_K', QK_K, 2 + QK_K / 2 + QK_K / 4 + QK_K / 16],
  [15, 'Q8_K', QK_K, 4 + QK_K + QK_K / 8],
  [16, 'IQ2_XXS', QK_K, 2 + QK_K / 4],
  [17, 'IQ2_XS', QK_K, 2 + QK_K / 4 + QK_K / 32],
  [18, 'IQ3_XXS', QK_K, 2 + QK_K / 4 + QK_K / 8],
  [19, 'IQ1_S', QK_K, 2 + QK_K / 8 + QK_K / 16],
  [20, 'IQ4_NL', 32, 2 + 16],
  [21, 'IQ3_S', QK_K, 2 + QK_K / 4 + QK_K / 8 + QK_K / 32 + 4],
  [22, 'IQ2_S', QK_K, 2 + QK_K / 4 + QK_K / 16],
  [23, 'IQ4_XS', QK_K, 2 + 2 + QK_K / 2 + QK_K / 64],
  [24, 'I8', 1, 1],
  [25, 'I16', 1, 2],
  [26, 'I32', 1, 4],
  [27, 'I64', 1, 8],
  [28, 'F64', 1, 8],
  [29, 'IQ1_M', QK_K, QK_K / 8 + QK_K / 16 + QK_K / 32],
  [30, 'BF16', 1, 2],
  [34, 'TQ1_0', QK_K, 2 + 4 * 13],
  [35, 'TQ2_0', QK_K, 2 + 64],
  [39, 'MXFP4', 32, 1 + 16],
  [40, 'NVFP4', 64, 4 + 32],
  [41, 'Q1_0', 128, 2 + 16],
  [42, 'Q2_0', 64, 2 + 16],
];

const NAMED_DTYPES: ReadonlySet<string> = new Set<string>([
  ...GGML_QUANT_TYPES,
  'F32',
  'F16',
  'BF16',
  'F64',
  'I8',
  'I16',
  'I32',
  'I64',
]);

const BY_ID: ReadonlyMap<number, GgmlType> = new Map(
  TABLE.map(([id, name, blockSize, typeSize]) => [
    id,
    { id, name, blockSize, typeSize, dtype: (NAMED_DTYPES.has(name) ? name : 'OTHER') as DType },
  ]),
);

/** The ggml type with this id, or undefined for an id ggml does not (or no longer) define. */
export function ggmlType(id: number): GgmlType | undefined {
  return BY_ID.get(id);
}

/** The integer types: index and bookkeeping tensors, not weights. */
export const INTEGER_GGML_DTYPES: ReadonlySet<DType> = new Set<DType>(['I8', 'I16', 'I32', 'I64']);

/** The float types, read by widening (src/load/dtype.ts). */
export const FLOAT_GGML_DTYPES: ReadonlySet<DType> = new Set<DType>(['F32', 'F16', 'BF16', 'F64']);

/** llama.cpp's LlamaFileType (general.file_type) names; 4–6 and 33–35 are retired. */
const FILE_TYPES: Readonly<Record<number, string>> = {
  0: 'ALL_F32',
  1: 'MOSTLY_F16',
  2: 'MOSTLY_Q4_0',
  3: 'MOSTLY_Q4_1',
  4: 'MOSTLY_Q4_1_SOME_F16',
  7: 'MOSTLY_Q8_0',
  8: 'MOSTLY_Q5_0',
  9: 'MOSTLY_Q5_1',
  10: 'MOSTLY_Q2_K',
  11: 'MOSTLY_Q3_K_S',
  12: 'MOSTLY_Q3_K_M',
  13: 'MOSTLY_Q3_K_L',
  14: 'MOSTLY_Q4_K_S',
  15: 'MOSTLY_Q4_K_M',
  16: 'MOSTLY_Q5_K_S',
  17: 'MOSTLY_Q5_K_M',
  18: 'MOSTLY_Q6_K',
  19: 'MOSTLY_IQ2_XXS',
  20: 'MOSTLY_IQ2_XS',
  21: 'MOSTLY_Q2_K_S',
  22: 'MOSTLY_IQ3_XS',
  23: 'MOSTLY_IQ3_XXS',
  24: 'MOSTLY_IQ1_S',
  25: 'MOSTLY_IQ4_NL',
  26: 'MOSTLY_IQ3_S',
  27: 'MOSTLY_IQ3_M',
  28: 'MOSTLY_IQ2_S',
  29: 'MOSTLY_IQ2_M',
  30: 'MOSTLY_IQ4_XS',
  31: 'MOSTLY_IQ1_M',
  32: 'MOSTLY_BF16',
  36: 'MOSTLY_TQ1_0',
  37: 'MOSTLY_TQ2_0',
  38: 'MOSTLY_MXFP4_MOE',
  39: 'MOSTLY_NVFP4',
  40: 'MOSTLY_Q1_0',
  41: 'MOSTLY_Q2_0',
  1024: 'GUESSED',
};

/** general.file_type by its llama.cpp name; an unknown number as its decimal text. */
export function fileTypeName(value: number | bigint): string {
  return (typeof value === 'number' ? FILE_TYPES[value] : undefined) ?? String(value);
}
