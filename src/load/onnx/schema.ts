/**
 * The ONNX protobuf schema, as descriptors (descriptors.ts), and what the lazy walker needs
 * to know about it. The schema JSON is generated from the official onnx.proto (ONNX 1.20,
 * via the pinned npm package onnx-buf) by scripts/gen-onnx-schema.ts; nothing here is
 * hand-written protobuf.
 */
import type { DType } from '../../types.js';
import { buildDescriptors, type MessageType } from './descriptors.js';
// Imported (not read from disk at a computed path) so that tsc copies it into dist/.
import SCHEMA_JSON from './onnx.schema.json' with { type: 'json' };

export { WIRE } from './descriptors.js';
export type { FieldType, MessageType } from './descriptors.js';

const SCHEMA = buildDescriptors(SCHEMA_JSON);

function type(name: string): MessageType {
  return SCHEMA.messages.get(`.onnx.${name}`)!;
}

export const ModelProto = type('ModelProto');
export const GraphProto = type('GraphProto');
export const NodeProto = type('NodeProto');
export const AttributeProto = type('AttributeProto');
export const TensorProto = type('TensorProto');
export const SparseTensorProto = type('SparseTensorProto');
export const FunctionProto = type('FunctionProto');

/**
 * Message types that can (transitively) contain a TensorProto. The walker goes through
 * these field by field, so that tensor data is never loaded to parse the structure
 * around it; every other message is small and is decoded whole (protobuf.ts).
 * Computed from the schema (a fixpoint over message-typed fields), so a future
 * onnx.proto that adds a path to tensors is followed without code changes.
 */
export const WALKED_TYPES: ReadonlySet<MessageType> = computeWalkedTypes();

function computeWalkedTypes(): Set<MessageType> {
  const all = [...SCHEMA.messages.values()];
  const walked = new Set<MessageType>([TensorProto]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const t of all) {
      if (walked.has(t)) continue;
      if (t.fieldsArray.some((f) => f.message !== undefined && walked.has(f.message))) {
        walked.add(t);
        changed = true;
      }
    }
  }
  return walked;
}

/**
 * TensorProto fields that hold element data (raw_data, float_data, int32_data, …): the
 * `bytes` fields and the packed repeated numeric fields. They can be gigabytes, so the
 * walker records where they are instead of reading them. `dims` is repeated but not
 * packed in onnx.proto (proto2), and is small: it is decoded normally.
 */
export const TENSOR_DATA_FIELDS: ReadonlySet<string> = new Set(
  TensorProto.fieldsArray.filter((f) => f.type === 'bytes' || (f.repeated && f.packed)).map((f) => f.name),
);

/**
 * Fields never used by the loader and possibly large (documentation, shape annotations of
 * every intermediate value): their bytes are bounds-checked and skipped, not decoded.
 */
export const UNUSED_FIELDS: ReadonlySet<string> = new Set(['doc_string', 'value_info', 'metadata_props']);

/** TensorProto.DataType values (onnx.proto) and how rmt-analyze treats each. */
export interface OnnxElementType {
  readonly name: string;
  /** Our dtype; 'OTHER' for types whose values we cannot decode. */
  readonly dtype: DType;
  /** Bits per element; undefined for strings. */
  readonly bits?: number;
  /** The typed field that holds values when raw_data is not used (onnx.proto comments). */
  readonly field?: 'float_data' | 'int32_data' | 'int64_data' | 'double_data' | 'uint64_data' | 'string_data';
  /** Floating-point weights we widen and analyse. */
  readonly float?: boolean;
}

/** onnx.proto enum value → element type. Built from the enum names in the schema. */
export const ELEMENT_TYPES: ReadonlyMap<number, OnnxElementType> = buildElementTypes();

function buildElementTypes(): Map<number, OnnxElementType> {
  // Our handling of each ONNX name; a name the schema has but this table lacks is
  // treated as an unknown type (refused), never guessed.
  const known: Record<string, Omit<OnnxElementType, 'name'>> = {
    FLOAT: { dtype: 'F32', bits: 32, field: 'float_data', float: true },
    DOUBLE: { dtype: 'F64', bits: 64, field: 'double_data', float: true },
    FLOAT16: { dtype: 'F16', bits: 16, field: 'int32_data', float: true },
    BFLOAT16: { dtype: 'BF16', bits: 16, field: 'int32_data', float: true },
    FLOAT8E4M3FN: { dtype: 'F8_E4M3', bits: 8, field: 'int32_data', float: true },
    FLOAT8E5M2: { dtype: 'F8_E5M2', bits: 8, field: 'int32_data', float: true },
    UINT8: { dtype: 'U8', bits: 8, field: 'int32_data' },
    INT8: { dtype: 'I8', bits: 8, field: 'int32_data' },
    UINT16: { dtype: 'U16', bits: 16, field: 'int32_data' },
    INT16: { dtype: 'I16', bits: 16, field: 'int32_data' },
    INT32: { dtype: 'I32', bits: 32, field: 'int32_data' },
    INT64: { dtype: 'I64', bits: 64, field: 'int64_data' },
    UINT32: { dtype: 'U32', bits: 32, field: 'uint64_data' },
    UINT64: { dtype: 'U64', bits: 64, field: 'uint64_data' },
    BOOL: { dtype: 'BOOL', bits: 8, field: 'int32_data' },
    UINT4: { dtype: 'U4', bits: 4, field: 'int32_data' },
    INT4: { dtype: 'I4', bits: 4, field: 'int32_data' },
    // Listed but not decoded: no widening for these (yet).
    STRING: { dtype: 'OTHER', field: 'string_data' },
    COMPLEX64: { dtype: 'OTHER', bits: 64, field: 'float_data' },
    COMPLEX128: { dtype: 'OTHER', bits: 128, field: 'double_data' },
    FLOAT8E4M3FNUZ: { dtype: 'OTHER', bits: 8, field: 'int32_data' },
    FLOAT8E5M2FNUZ: { dtype: 'OTHER', bits: 8, field: 'int32_data' },
    FLOAT4E2M1: { dtype: 'OTHER', bits: 4, field: 'int32_data' },
    FLOAT8E8M0: { dtype: 'OTHER', bits: 8, field: 'int32_data' },
    UINT2: { dtype: 'OTHER', bits: 2, field: 'int32_data' },
    INT2: { dtype: 'OTHER', bits: 2, field: 'int32_data' },
  };
  const values = SCHEMA.enums.get('.onnx.TensorProto.DataType')!.values;
  const out = new Map<number, OnnxElementType>();
  for (const [name, value] of Object.entries(values)) {
    const k = known[name];
    if (k !== undefined) out.set(value, { name, ...k });
  }
  return out;
}

/** Bytes that `count` elements of `bits` bits occupy when packed (sub-byte types round up). */
export function packedBytes(count: number, bits: number): number {
  return bits >= 8 ? count * (bits / 8) : Math.ceil((count * bits) / 8);
}
