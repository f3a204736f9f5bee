/**
 * PyTorch storages as a checkpoint names them: the persistent id
 * `('storage', StorageType, key, location, numel)` that `torch.save` writes for every storage
 * (torch/serialization.py `persistent_id`; the legacy stream adds a sixth element, view
 * metadata), and the storage types and dtypes (torch/storage.py `_dtype_to_storage_type_map`,
 * torch/_utils.py `_element_size`) mapped to our DTypes. Every element is checked.
 */
import { FormatError } from '../../errors.js';
import { bytesPerElement } from '../dtype.js';
import type { DType } from '../../types.js';
import type { PickleValue } from '../pickle/values.js';

/** `torch.<Name>Storage` → element type. UntypedStorage holds bytes (numel counts bytes). */
const STORAGE_TYPES: Record<string, DType> = {
  DoubleStorage: 'F64',
  FloatStorage: 'F32',
  HalfStorage: 'F16',
  BFloat16Storage: 'BF16',
  LongStorage: 'I64',
  IntStorage: 'I32',
  ShortStorage: 'I16',
  CharStorage: 'I8',
  ByteStorage: 'U8',
  BoolStorage: 'BOOL',
  UntypedStorage: 'U8',
  ComplexFloatStorage: 'C64',
  ComplexDoubleStorage: 'C128',
};

/** Storage types that exist but whose values we do not read (quantized ints): their tensors are 'OTHER'. */
const OTHER_STORAGE_TYPES = new Set([
  'QInt8Storage',
  'QUInt8Storage',
  'QInt32Storage',
  'QUInt4x2Storage',
  'QUInt2x4Storage',
]);

/** `torch.<dtype>` globals (torch/_tensor_str and the dtype names of torch/__init__.py). */
const DTYPES: Record<string, DType> = {
  float64: 'F64',
  double: 'F64',
  float32: 'F32',
  float: 'F32',
  float16: 'F16',
  half: 'F16',
  bfloat16: 'BF16',
  int64: 'I64',
  long: 'I64',
  int32: 'I32',
  int: 'I32',
  int16: 'I16',
  short: 'I16',
  int8: 'I8',
  uint8: 'U8',
  bool: 'BOOL',
  uint16: 'U16',
  uint32: 'U32',
  uint64: 'U64',
  float8_e4m3fn: 'F8_E4M3',
  float8_e5m2: 'F8_E5M2',
  complex64: 'C64',
  cfloat: 'C64',
  complex128: 'C128',
  cdouble: 'C128',
};

/** Bytes per element of the storage dtypes (all fixed; 'OTHER' counts as 1 byte). */
export function storageElementSize(d: DType): number {
  const size = bytesPerElement(d);
  return size !== undefined && Number.isInteger(size) ? size : 1;
}

/** A storage named by a persistent id: its key (the record name), element type and count. */
export interface StorageSpec {
  readonly key: string;
  readonly dtype: DType;
  readonly numel: number;
  /** The storage's size in bytes. */
  readonly bytes: number;
}

/** Reads a torch dtype global (`torch.float16`), or undefined when `v` is not one. */
export function dtypeOf(v: PickleValue): DType | undefined {
  if (typeof v !== 'object' || v === null || !('kind' in v) || v.kind !== 'global' || v.module !== 'torch') return;
  return DTYPES[v.name] ?? 'OTHER';
}

/**
 * Parses a persistent id into a StorageSpec. `legacy`: the pre-1.6 stream's 6-tuple, whose
 * view metadata (storage views, gone since torch 0.4) is refused unless absent.
 */
export function parseStoragePid(pid: PickleValue, legacy: boolean): StorageSpec {
  if (typeof pid !== 'object' || pid === null || !('kind' in pid) || pid.kind !== 'tuple')
    throw new FormatError('a persistent id is not a tuple');
  const items = pid.items;
  if (items.length !== (legacy ? 6 : 5) || items[0] !== 'storage')
    throw new FormatError(`a persistent id is not ('storage', type, key, location, numel)`);
  const [, type, key, , numel] = items;
  const t = type as PickleValue;
  if (typeof t !== 'object' || t === null || !('kind' in t) || t.kind !== 'global' || !t.module.startsWith('torch'))
    throw new FormatError('a persistent id names no torch storage type');
  const dtype = STORAGE_TYPES[t.name] ?? (OTHER_STORAGE_TYPES.has(t.name) ? 'OTHER' : undefined);
  if (dtype === undefined) throw new FormatError(`unknown storage type ${t.module}.${t.name.slice(0, 60)}`);
  if (typeof key !== 'string' || key.length === 0 || key.length > 256)
    throw new FormatError('a persistent id has no storage key');
  const n = typeof numel === 'bigint' ? Number(numel) : numel;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0)
    throw new FormatError(`storage '${key}' has an invalid element count`);
  const bytes = n * storageElementSize(dtype);
  if (!Number.isSafeInteger(bytes)) throw new FormatError(`storage '${key}' is too large`);
  if (legacy && items[5] !== null)
    throw new FormatError(`storage '${key}' is a storage view (torch < 0.4): unsupported`);
  return { key, dtype, numel: n, bytes };
}
