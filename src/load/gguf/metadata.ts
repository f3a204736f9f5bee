/**
 * GGUF metadata values (ggml docs/gguf.md, `gguf_metadata_value_type`): twelve scalar types
 * and arrays of any of them, arrays nested to any depth. Scalars are kept; arrays (a
 * tokenizer's hundreds of thousands of strings) are skipped over, never materialised: only
 * their element type and length are kept. Every length is checked against the bytes left in
 * the file before it is used.
 */
import { FormatError } from '../../errors.js';
import { type Cursor, shown } from './cursor.js';

/** gguf_metadata_value_type ids. */
export const VALUE_TYPES = [
  'uint8',
  'int8',
  'uint16',
  'int16',
  'uint32',
  'int32',
  'float32',
  'bool',
  'string',
  'array',
  'uint64',
  'int64',
  'float64',
] as const;
export type ValueTypeName = (typeof VALUE_TYPES)[number];

/** Bytes of each fixed-width value type (string and array: undefined). */
const FIXED_SIZE: Readonly<Partial<Record<ValueTypeName, number>>> = {
  uint8: 1,
  int8: 1,
  bool: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  uint64: 8,
  int64: 8,
  float64: 8,
};

/** A metadata value: scalars as read (64-bit integers as bigint), arrays by type and length. */
export type MetaValue =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'uint64' | 'int64'; readonly value: bigint }
  | { readonly type: Exclude<ValueTypeName, 'string' | 'bool' | 'uint64' | 'int64' | 'array'>; readonly value: number }
  | { readonly type: 'array'; readonly elementType: ValueTypeName; readonly length: number };

/** Longest key (gguf.cpp has no limit; real keys are under 100 bytes). */
export const MAX_KEY_BYTES = 65_536;
/** Longest string value (chat templates are tens of kB). */
export const MAX_STRING_BYTES = 64 * 1024 * 1024;
/** Deepest array nesting (gguf-py writes depth 1, rarely 2). */
export const MAX_ARRAY_DEPTH = 8;

/** The value type with this id, or FormatError. */
function valueType(id: number, what: string): ValueTypeName {
  const t = VALUE_TYPES[id];
  if (t === undefined) throw new FormatError(`${what} has an unknown value type ${id}`);
  return t;
}

/** One key/value pair: key string, value type, value. */
export function readKeyValue(c: Cursor, index: number): { key: string; value: MetaValue } {
  const key = c.string(`metadata key ${index}`, MAX_KEY_BYTES);
  if (key === '') throw new FormatError(`metadata key ${index} is empty`);
  const what = `metadata '${shown(key)}'`;
  return { key, value: readValue(c, valueType(c.u32(`the type of ${what}`), what), what) };
}

function readValue(c: Cursor, type: ValueTypeName, what: string): MetaValue {
  switch (type) {
    case 'uint8':
      return { type, value: c.u8(what) };
    case 'int8':
      return { type, value: c.i8(what) };
    case 'uint16':
      return { type, value: c.u16(what) };
    case 'int16':
      return { type, value: c.i16(what) };
    case 'uint32':
      return { type, value: c.u32(what) };
    case 'int32':
      return { type, value: c.i32(what) };
    case 'float32':
      return { type, value: c.f32(what) };
    case 'bool':
      return { type, value: c.u8(what) !== 0 };
    case 'uint64':
      return { type, value: c.u64(what) };
    case 'int64':
      return { type, value: c.i64(what) };
    case 'float64':
      return { type, value: c.f64(what) };
    case 'string':
      return { type, value: c.string(what, MAX_STRING_BYTES, false) };
    case 'array': {
      const { elementType, length } = skipArray(c, what, 1);
      return { type, elementType, length };
    }
  }
}

/**
 * Moves past an array (element type u32, length u64, elements) without keeping its values:
 * fixed-width elements in one step, strings by their lengths, nested arrays recursively up
 * to MAX_ARRAY_DEPTH. The length is checked against the smallest size an element can take
 * in the bytes left, so no loop runs longer than the file allows.
 */
function skipArray(c: Cursor, what: string, depth: number): { elementType: ValueTypeName; length: number } {
  if (depth > MAX_ARRAY_DEPTH) throw new FormatError(`${what} nests arrays deeper than ${MAX_ARRAY_DEPTH} levels`);
  const elementType = valueType(c.u32(`the element type of ${what}`), `an array in ${what}`);
  const n = c.u64(`the length of ${what}`);
  const fixed = FIXED_SIZE[elementType];
  // string: a u64 length each; array: a u32 type and a u64 length each.
  const least = fixed ?? (elementType === 'string' ? 8 : 12);
  const left = c.fileSize - c.pos;
  if (n > BigInt(Math.floor(left / least))) {
    throw new FormatError(
      `${what} is an array of ${n} ${elementType} values, more than the ${left} bytes left in the file hold`,
    );
  }
  const length = Number(n);
  if (fixed !== undefined) c.skip(length * fixed, what);
  else if (elementType === 'string') {
    for (let i = 0; i < length; i++) c.skipString(`a string in ${what}`, MAX_STRING_BYTES);
  } else for (let i = 0; i < length; i++) skipArray(c, what, depth + 1);
  return { elementType, length };
}

/** An integer scalar as a number (when exact), else undefined. */
export function integerValue(v: MetaValue | undefined): number | bigint | undefined {
  if (v === undefined) return undefined;
  switch (v.type) {
    case 'uint8':
    case 'int8':
    case 'uint16':
    case 'int16':
    case 'uint32':
    case 'int32':
      return v.value;
    case 'uint64':
    case 'int64':
      return v.value >= BigInt(Number.MIN_SAFE_INTEGER) && v.value <= BigInt(Number.MAX_SAFE_INTEGER)
        ? Number(v.value)
        : v.value;
    default:
      return undefined;
  }
}
