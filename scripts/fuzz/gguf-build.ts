/**
 * A byte-level GGUF builder for hostile headers (ggml docs/gguf.md layout): every field is
 * written as given, so tests and the fuzzer can state counts of 2^62, strings of 2^40 bytes,
 * seven dimensions or misaligned offsets that no real writer produces. The well-formed
 * fixtures come from gguf-py (scripts/fixtures/gguf.py).
 */

/** gguf_metadata_value_type ids. */
export const VT = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

/** Little-endian bytes, appended field by field. */
export class GgufBytes {
  private readonly parts: number[] = [];

  get length(): number {
    return this.parts.length;
  }
  u8(v: number): this {
    this.parts.push(v & 0xff);
    return this;
  }
  u32(v: number): this {
    for (let i = 0; i < 4; i++) this.parts.push((v >>> (8 * i)) & 0xff);
    return this;
  }
  u64(v: number | bigint): this {
    let b = BigInt.asUintN(64, BigInt(v));
    for (let i = 0; i < 8; i++, b >>= 8n) this.parts.push(Number(b & 0xffn));
    return this;
  }
  raw(bytes: ArrayLike<number>): this {
    for (let i = 0; i < bytes.length; i++) this.parts.push(bytes[i]!);
    return this;
  }
  /** A GGUF string: u64 length (the true one unless `length` is given), then the bytes. */
  str(s: string | Uint8Array, length?: number | bigint): this {
    const bytes = typeof s === 'string' ? new TextEncoder().encode(s) : s;
    return this.u64(length ?? bytes.length).raw(bytes);
  }
  /** Zero bytes up to a multiple of `alignment`. */
  pad(alignment: number): this {
    while (this.parts.length % alignment !== 0) this.parts.push(0);
    return this;
  }
  zeros(n: number): this {
    for (let i = 0; i < n; i++) this.parts.push(0);
    return this;
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export interface TensorSpec {
  readonly name: string;
  readonly ne: readonly (number | bigint)[];
  /** ggml type id (0 = F32, 12 = Q4_K, …). */
  readonly type: number;
  readonly offset: number | bigint;
  /** Written instead of ne.length. */
  readonly nDims?: number;
}

export interface GgufSpec {
  readonly magic?: number;
  readonly version?: number;
  /** Written instead of the true counts. */
  readonly tensorCount?: number | bigint;
  readonly kvCount?: number | bigint;
  /** Key/value pairs, each already encoded (key, type, value): see `kv`. */
  readonly kvs?: readonly Uint8Array[];
  readonly tensors?: readonly TensorSpec[];
  readonly alignment?: number;
  /** Bytes of data section after the aligned header (zeros unless `data` is given). */
  readonly dataBytes?: number;
  readonly data?: Uint8Array;
}

/** One encoded key/value pair: `write` appends the value after the type id. */
export function kv(key: string, type: number, write: (b: GgufBytes) => void): Uint8Array {
  const b = new GgufBytes().str(key).u32(type);
  write(b);
  return b.bytes();
}

/** A whole file from `spec`: header, padding to the alignment, data section. */
export function buildGguf(spec: GgufSpec): Uint8Array {
  const kvs = spec.kvs ?? [];
  const tensors = spec.tensors ?? [];
  const b = new GgufBytes()
    .u32(spec.magic ?? 0x46554747)
    .u32(spec.version ?? 3)
    .u64(spec.tensorCount ?? tensors.length)
    .u64(spec.kvCount ?? kvs.length);
  for (const pair of kvs) b.raw(pair);
  for (const t of tensors) {
    b.str(t.name).u32(t.nDims ?? t.ne.length);
    for (const d of t.ne) b.u64(d);
    b.u32(t.type).u64(t.offset);
  }
  b.pad(spec.alignment ?? 32);
  if (spec.data !== undefined) b.raw(spec.data);
  else b.zeros(spec.dataBytes ?? 0);
  return b.bytes();
}
