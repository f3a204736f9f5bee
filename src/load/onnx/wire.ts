/**
 * A schema-driven protobuf wire-format walker that reads an ONNX file through a small
 * window, so that a model of any size is parsed in bounded memory (issue 2).
 *
 * Messages that can contain tensors (ModelProto → GraphProto → NodeProto → AttributeProto
 * → TensorProto …, see WALKED_TYPES) are walked field by field. Inside a TensorProto the
 * element data (raw_data, float_data, …) is not read: the walker records where it is
 * (file offset and length) and TensorRef.read() reads it later. All other fields of a
 * walked message are small; their bytes are gathered and decoded by protobufjs.
 *
 * Every number taken from the file is checked where it is read (DESIGN.md §5): tags,
 * wire types of known fields, varint lengths, lengths against the enclosing message,
 * nesting depth. Encoding reference: https://protobuf.dev/programming-guides/encoding/
 */
import protobuf from 'protobufjs';
import { FormatError } from '../../errors.js';
import type { FileSource } from '../file.js';
import {
  TENSOR_DATA_FIELDS,
  TensorProto,
  UNUSED_FIELDS,
  WALKED_TYPES,
  WIRE,
  allowedWireTypes,
} from './schema.js';

/** Messages nested deeper than this are refused (subgraphs of subgraphs …; real models use < 20). */
export const MAX_DEPTH = 64;
/** Cap on the small fields gathered from one walked message (names, attributes, shapes). */
export const MAX_GATHERED_BYTES = 64 * 1024 * 1024;
/** Highest field number protobuf allows (2^29 − 1). */
const MAX_FIELD_NUMBER = 536_870_911;
/** Bytes read at a time while walking. */
const WINDOW_BYTES = 64 * 1024;

/**
 * Where one occurrence of a tensor data field lies in the file. `packed`: the payload of
 * one length-delimited field (raw_data, a packed float_data, one string). Otherwise a run
 * of consecutive unpacked elements, each with its own tag, `count` of them.
 */
export interface DataPiece {
  readonly offset: number;
  length: number;
  readonly packed: boolean;
  count: number;
}

export interface DataField {
  readonly field: protobuf.Field;
  readonly pieces: DataPiece[];
}

export interface WalkedMessage {
  readonly type: protobuf.Type;
  /** File offset of the first byte of the message's payload. */
  readonly offset: number;
  readonly length: number;
  /** The message's small fields, decoded by protobufjs (walked and data fields absent). */
  readonly fields: Record<string, unknown>;
  /** Walked sub-messages by field name, in file order. */
  readonly children: ReadonlyMap<string, readonly WalkedMessage[]>;
  /** TensorProto data fields by name. */
  readonly data: ReadonlyMap<string, DataField>;
}

/** Sequential reads through a window over a FileSource. */
class WindowReader {
  pos = 0;
  private buf: Uint8Array = new Uint8Array(0);
  private bufStart = 0;

  constructor(private readonly source: FileSource) {}

  /** Makes at least `want` bytes at `pos` (fewer at the end of the file) available. */
  private async cover(pos: number, want: number): Promise<void> {
    const bufEnd = this.bufStart + this.buf.length;
    if (pos >= this.bufStart && pos + want <= bufEnd) return;
    if (pos >= this.bufStart && bufEnd >= this.source.size) return;
    const length = Math.min(Math.max(want, WINDOW_BYTES), this.source.size - pos);
    this.buf = await this.source.read(pos, Math.max(0, length), 'ONNX model');
    this.bufStart = pos;
  }

  /**
   * Reads a varint at `pos` that must end by `limit`. Returns its value, or Infinity when it
   * is above 2^53 (callers needing an exact number refuse it).
   */
  async varint(limit: number, ctx: Ctx): Promise<number> {
    await this.cover(this.pos, 10);
    const at = this.pos;
    const local = at - this.bufStart;
    const r = readVarint(this.buf, local, Math.min(this.buf.length, limit - this.bufStart));
    if (r.next < 0) {
      if (r.next === -1) throw ctx.error(`varint at byte ${at} runs past ${ctx.limitName(limit)}`);
      throw ctx.error(`malformed varint at byte ${at} (longer than 10 bytes or above 2^64)`);
    }
    this.pos = this.bufStart + r.next;
    return r.value;
  }

  async bytes(start: number, end: number): Promise<Uint8Array> {
    const bufEnd = this.bufStart + this.buf.length;
    if (start >= this.bufStart && end <= bufEnd) return this.buf.slice(start - this.bufStart, end - this.bufStart);
    if (end - start <= WINDOW_BYTES) {
      await this.cover(start, end - start);
      return this.buf.slice(start - this.bufStart, end - this.bufStart);
    }
    return this.source.read(start, end - start, 'ONNX model');
  }
}

/**
 * Decodes the varint at `pos` in `bytes`, which must end before `end`.
 * next = −1: ran past `end`; next = −2: malformed (more than 10 bytes, or above 2^64).
 * Values above 2^53 come back as Infinity.
 */
export function readVarint(bytes: Uint8Array, pos: number, end: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= end) return { value: 0, next: -1 };
    const b = bytes[pos + i]!;
    // The tenth byte may only carry bit 63.
    if (i === 9 && b > 1) return { value: 0, next: -2 };
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) return { value: value > Number.MAX_SAFE_INTEGER ? Infinity : value, next: pos + i + 1 };
  }
  return { value: 0, next: -2 };
}

/** Error context: which message is being read, named when its name is known. */
class Ctx {
  name: string | undefined;
  constructor(
    readonly type: protobuf.Type,
    readonly fileSize: number,
    readonly parent: Ctx | undefined,
  ) {}

  error(problem: string): FormatError {
    return new FormatError(`${this.describe()}: ${problem}`);
  }

  /** "tensor 'w'", or for an unnamed message, where it is: "tensor in node 'Constant_3'". */
  private describe(): string {
    const what = LABELS.get(this.type) ?? this.type.name;
    if (this.name !== undefined && this.name !== '') return `${what} '${this.name}'`;
    for (let p = this.parent; p !== undefined; p = p.parent) {
      if (p.name !== undefined && p.name !== '') return `${what} in ${p.describe()}`;
    }
    return what;
  }

  limitName(limit: number): string {
    return limit >= this.fileSize ? 'the end of the file (truncated?)' : `the end of its enclosing ${this.type.name}`;
  }
}

const LABELS = new Map<protobuf.Type, string>([[TensorProto, 'tensor']]);
for (const t of WALKED_TYPES) {
  if (t.name === 'NodeProto') LABELS.set(t, 'node');
  if (t.name === 'GraphProto') LABELS.set(t, 'graph');
  if (t.name === 'AttributeProto') LABELS.set(t, 'attribute');
  if (t.name === 'FunctionProto') LABELS.set(t, 'function');
  if (t.name === 'ModelProto') LABELS.set(t, 'ONNX model');
}

function wireName(wt: number): string {
  return ['varint', 'i64', 'length-delimited', 'group start', 'group end', 'i32'][wt] ?? `invalid (${wt})`;
}

/** Walks a whole file as one message of `type` (ModelProto). */
export async function walkFile(source: FileSource, type: protobuf.Type): Promise<WalkedMessage> {
  const reader = new WindowReader(source);
  return walk(reader, type, 0, source.size, source.size, 1, undefined);
}

async function walk(
  r: WindowReader,
  type: protobuf.Type,
  start: number,
  end: number,
  fileSize: number,
  depth: number,
  parent: Ctx | undefined,
): Promise<WalkedMessage> {
  const ctx = new Ctx(type, fileSize, parent);
  if (depth > MAX_DEPTH) throw ctx.error(`messages nested more than ${MAX_DEPTH} levels deep`);
  const gathered: Uint8Array[] = [];
  let gatheredBytes = 0;
  const children = new Map<string, WalkedMessage[]>();
  const data = new Map<string, DataField>();
  const seenSingular = new Set<number>();
  r.pos = start;
  while (r.pos < end) {
    const tagPos = r.pos;
    const tag = await r.varint(end, ctx);
    if (!Number.isSafeInteger(tag) || tag > 0xffffffff) throw ctx.error(`invalid field tag at byte ${tagPos}`);
    const wt = tag & 7;
    const fieldNo = Math.floor(tag / 8);
    if (fieldNo === 0 || fieldNo > MAX_FIELD_NUMBER) throw ctx.error(`invalid field number ${fieldNo} at byte ${tagPos}`);
    if (wt === WIRE.SGROUP || wt === WIRE.EGROUP) {
      throw ctx.error(`field ${fieldNo} at byte ${tagPos} uses the deprecated group encoding, which ONNX never uses`);
    }
    if (wt > WIRE.I32) throw ctx.error(`field ${fieldNo} at byte ${tagPos} has invalid wire type ${wt}`);
    const field = type.fieldsById[fieldNo];
    if (field !== undefined) {
      const allowed = allowedWireTypes(field);
      if (!allowed.includes(wt)) {
        throw ctx.error(
          `field '${field.name}' at byte ${tagPos} has wire type ${wireName(wt)}, expected ${allowed.map(wireName).join(' or ')}`,
        );
      }
    }
    // Find the payload and the end of the field, checked against the enclosing message.
    let payloadStart: number;
    let payloadEnd: number;
    if (wt === WIRE.LEN) {
      const lenPos = r.pos;
      const len = await r.varint(end, ctx);
      if (!Number.isSafeInteger(len)) throw ctx.error(`length at byte ${lenPos} is too large`);
      payloadStart = r.pos;
      payloadEnd = payloadStart + len;
      if (payloadEnd > end) {
        const name = field !== undefined ? `'${field.name}'` : `${fieldNo}`;
        throw ctx.error(`field ${name} at byte ${tagPos} claims ${len} bytes, past ${ctx.limitName(end)}`);
      }
    } else if (wt === WIRE.VARINT) {
      payloadStart = r.pos;
      await r.varint(end, ctx);
      payloadEnd = r.pos;
    } else {
      payloadStart = r.pos;
      payloadEnd = payloadStart + (wt === WIRE.I64 ? 8 : 4);
      if (payloadEnd > end) throw ctx.error(`field ${fieldNo} at byte ${tagPos} runs past ${ctx.limitName(end)}`);
    }

    if (field === undefined || UNUSED_FIELDS.has(field.name)) {
      // Unknown fields (a newer onnx.proto) and unused ones: skipped, already bounds-checked.
    } else if (field.resolvedType instanceof protobuf.Type && WALKED_TYPES.has(field.resolvedType)) {
      if (!field.repeated) {
        if (seenSingular.has(fieldNo)) throw ctx.error(`field '${field.name}' occurs more than once`);
        seenSingular.add(fieldNo);
      }
      const child = await walk(r, field.resolvedType, payloadStart, payloadEnd, fileSize, depth + 1, ctx);
      let list = children.get(field.name);
      if (list === undefined) children.set(field.name, (list = []));
      list.push(child);
    } else if (type === TensorProto && TENSOR_DATA_FIELDS.has(field.name)) {
      let df = data.get(field.name);
      if (df === undefined) data.set(field.name, (df = { field, pieces: [] }));
      else if (!field.repeated) throw ctx.error(`field '${field.name}' occurs more than once`);
      if (wt === WIRE.LEN) {
        df.pieces.push({ offset: payloadStart, length: payloadEnd - payloadStart, packed: true, count: -1 });
      } else {
        // One unpacked element: extend the current run when it directly follows it.
        const last = df.pieces[df.pieces.length - 1];
        if (last !== undefined && !last.packed && last.offset + last.length === tagPos) {
          last.length = payloadEnd - last.offset;
          last.count++;
        } else {
          df.pieces.push({ offset: tagPos, length: payloadEnd - tagPos, packed: false, count: 1 });
        }
      }
    } else {
      gatheredBytes += payloadEnd - tagPos;
      if (gatheredBytes > MAX_GATHERED_BYTES) {
        throw ctx.error(`metadata fields exceed ${MAX_GATHERED_BYTES} bytes (field '${field.name}' at byte ${tagPos})`);
      }
      const bytes = await r.bytes(tagPos, payloadEnd);
      if (field.resolvedType instanceof protobuf.Type) {
        validateMessage(field.resolvedType, bytes, payloadStart - tagPos, bytes.length, depth + 1, ctx);
      }
      if (field.name === 'name' && wt === WIRE.LEN) ctx.name = decodeName(bytes.subarray(payloadStart - tagPos));
      gathered.push(bytes);
    }
    r.pos = payloadEnd;
  }
  const fields = decodeGathered(type, gathered, ctx);
  return { type, offset: start, length: end - start, fields, children, data };
}

function decodeName(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes.subarray(0, 200));
}

function decodeGathered(type: protobuf.Type, parts: Uint8Array[], ctx: Ctx): Record<string, unknown> {
  let total = 0;
  for (const p of parts) total += p.length;
  const all = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  try {
    return type.decode(all) as unknown as Record<string, unknown>;
  } catch (e) {
    // validateMessage has checked the structure; this is a last line of defence.
    throw ctx.error(`malformed ${type.name}: ${(e as Error).message}`);
  }
}

/**
 * Checks an in-memory message before protobufjs decodes it: wire types of known fields,
 * lengths within the message, no groups, nesting depth (protobufjs would recurse without
 * limit on hostile nesting).
 */
function validateMessage(type: protobuf.Type, bytes: Uint8Array, start: number, end: number, depth: number, ctx: Ctx): void {
  if (depth > MAX_DEPTH) throw ctx.error(`messages nested more than ${MAX_DEPTH} levels deep`);
  let pos = start;
  while (pos < end) {
    const t = readVarint(bytes, pos, end);
    if (t.next < 0 || !Number.isSafeInteger(t.value) || t.value > 0xffffffff) throw ctx.error(`malformed ${type.name} (bad field tag)`);
    const wt = t.value & 7;
    const fieldNo = Math.floor(t.value / 8);
    if (fieldNo === 0) throw ctx.error(`malformed ${type.name} (field number 0)`);
    if (wt === WIRE.SGROUP || wt === WIRE.EGROUP) throw ctx.error(`${type.name} uses the deprecated group encoding`);
    if (wt > WIRE.I32) throw ctx.error(`malformed ${type.name} (invalid wire type ${wt})`);
    const field = type.fieldsById[fieldNo];
    if (field !== undefined && !allowedWireTypes(field).includes(wt)) {
      throw ctx.error(`field '${field.name}' of ${type.name} has wire type ${wireName(wt)}`);
    }
    pos = t.next;
    if (wt === WIRE.VARINT) {
      const v = readVarint(bytes, pos, end);
      if (v.next < 0) throw ctx.error(`malformed ${type.name} (bad varint)`);
      pos = v.next;
    } else if (wt === WIRE.I64 || wt === WIRE.I32) {
      pos += wt === WIRE.I64 ? 8 : 4;
      if (pos > end) throw ctx.error(`malformed ${type.name} (field ${fieldNo} runs past its message)`);
    } else {
      const l = readVarint(bytes, pos, end);
      if (l.next < 0 || !Number.isSafeInteger(l.value) || l.next + l.value > end) {
        throw ctx.error(`malformed ${type.name} (field ${fieldNo} runs past its message)`);
      }
      if (field?.resolvedType instanceof protobuf.Type) validateMessage(field.resolvedType, bytes, l.next, l.next + l.value, depth + 1, ctx);
      pos = l.next + l.value;
    }
  }
}
