/**
 * Decodes a protobuf message held in memory into a plain object of the fields present,
 * driven by its descriptor (descriptors.ts). The walker (wire.ts) gathers each walked
 * message's small fields (names, op types, dims, attributes, shapes) and decodes them here;
 * tensor data never comes this way.
 *
 * The input has passed validateMessage (protobuf.ts) first: tags, wire types of known
 * fields, lengths within their message, varints of at most 10 bytes, nesting depth. So this
 * loop does not re-check bounds; it reads values as the encoding spec defines them
 * (https://protobuf.dev/programming-guides/encoding/):
 *   - a repeated scalar may come packed or one element per tag, both accepted;
 *   - a singular field that occurs twice keeps the last value (a message too: not merged —
 *     the loader never relies on merging, and the walker refuses repeated walked messages);
 *   - 64-bit integers are numbers when they are safe integers and decimal strings beyond
 *     (decode.ts toSafeInt refuses those), never silently rounded;
 *   - an unknown value of a closed (proto2) enum is not stored in its field: its raw bytes
 *     (tag and value) are kept in `$unknowns`, so that a caller can refuse it by name;
 *   - strings are UTF-8 (invalid sequences become U+FFFD, as TextDecoder does); bytes fields
 *     are views into the input;
 *   - unknown fields (a newer onnx.proto) are skipped.
 */
import type { FieldType, MessageType } from './descriptors.js';

/** The fields of a decoded message by name (repeated ones as arrays), and any kept-aside values. */
export type DecodedMessage = Record<string, unknown> & { $unknowns?: Uint8Array[] };

const UTF8 = new TextDecoder();

/** Decodes the message of `type` in b[start, end) (already validated). */
export function decodeMessage(type: MessageType, b: Uint8Array, start: number, end: number): DecodedMessage {
  return new MessageReader(b).decode(type, start, end);
}

/**
 * One decoding pass over one buffer. The last varint's low and high 32 bits live in the
 * reader (not in module state: binary readers share nothing between calls, ARCHITECTURE.md),
 * so that reading one allocates nothing.
 */
class MessageReader {
  private lo = 0;
  private hi = 0;
  private readonly view: DataView;

  constructor(private readonly b: Uint8Array) {
    this.view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  decode(type: MessageType, start: number, end: number): DecodedMessage {
    const b = this.b;
    const out: DecodedMessage = {};
    let pos = start;
    while (pos < end) {
      const tagPos = pos;
      pos = this.varint64(pos);
      const wt = this.lo & 7;
      const field = type.fieldsById.get(this.lo >>> 3); // validated: tags fit in 32 bits
      if (field === undefined) {
        pos = this.skip(wt, pos);
        continue;
      }
      if (wt === 2 && field.message === undefined && field.type !== 'string' && field.type !== 'bytes') {
        // A packed run of scalars; an element kept aside is kept alone.
        pos = this.varint64(pos);
        const stop = pos + this.lo;
        const elementWire = field.wireTypes[field.wireTypes.length - 1]!;
        while (pos < stop) pos = this.scalar(field, out, pos, elementWire, pos);
        continue;
      }
      if (wt === 2) {
        pos = this.varint64(pos);
        const payloadEnd = pos + this.lo;
        let value: unknown;
        if (field.message !== undefined) value = this.decode(field.message, pos, payloadEnd);
        else if (field.type === 'string') value = utf8(b, pos, payloadEnd);
        else value = b.subarray(pos, payloadEnd);
        store(out, field, value);
        pos = payloadEnd;
        continue;
      }
      pos = this.scalar(field, out, pos, wt, tagPos);
    }
    return out;
  }

  /**
   * Reads one scalar element of `field` with wire type `wt` at `pos` and stores it; an unknown
   * closed-enum value is kept aside as the bytes from `keepFrom` (its tag, or the element).
   */
  private scalar(field: FieldType, out: DecodedMessage, pos: number, wt: number, keepFrom: number): number {
    let value: unknown;
    if (wt === 0) {
      pos = this.varint64(pos);
      const lo = this.lo;
      const e = field.enumType;
      if (e !== undefined) {
        value = lo | 0;
        if (e.closed && !e.numbers.has(value as number)) {
          // Kept aside, as protobuf implementations keep unknown values of closed enums as
          // unknown fields.
          (out.$unknowns ??= []).push(this.b.subarray(keepFrom, pos));
          return pos;
        }
      } else {
        switch (field.type) {
          case 'int32':
            value = lo | 0;
            break;
          case 'uint32':
            value = lo;
            break;
          case 'sint32':
            value = ((lo >>> 1) ^ -(lo & 1)) | 0;
            break;
          case 'bool':
            value = lo !== 0 || this.hi !== 0;
            break;
          case 'int64':
            value = this.int64(true);
            break;
          case 'uint64':
            value = this.int64(false);
            break;
          default: // sint64
            value = this.zigzag64();
        }
      }
    } else if (wt === 5) {
      const v = this.view;
      value =
        field.type === 'float'
          ? v.getFloat32(pos, true)
          : field.type === 'sfixed32'
            ? v.getInt32(pos, true)
            : v.getUint32(pos, true);
      pos += 4;
    } else {
      if (field.type === 'double') value = this.view.getFloat64(pos, true);
      else {
        this.lo = this.view.getUint32(pos, true);
        this.hi = this.view.getUint32(pos + 4, true);
        value = this.int64(field.type === 'sfixed64');
      }
      pos += 8;
    }
    store(out, field, value);
    return pos;
  }

  /** Reads the varint at `pos` into lo/hi; returns the position after it. */
  private varint64(pos: number): number {
    const b = this.b;
    let lo = 0;
    let hi = 0;
    let x = 128;
    for (let shift = 0; shift < 28 && x >= 128; shift += 7) {
      x = b[pos++]!;
      lo |= (x & 127) << shift;
    }
    if (x >= 128) {
      x = b[pos++]!;
      lo |= (x & 15) << 28;
      hi = (x & 127) >> 4;
      for (let shift = 3; shift < 32 && x >= 128; shift += 7) {
        x = b[pos++]!;
        hi |= (x & 127) << shift;
      }
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return pos;
  }

  /** lo/hi as a signed (or unsigned) 64-bit integer: a number when safe, else its decimal string. */
  private int64(signed: boolean): number | string {
    const { lo, hi } = this;
    if (hi === 0) return lo;
    if (signed && hi === 0xffffffff && lo >= 0x80000000) return lo | 0;
    let big = (BigInt(hi) << 32n) | BigInt(lo);
    if (signed && hi >= 0x80000000) big -= 1n << 64n;
    return safeOrString(big);
  }

  private zigzag64(): number | string {
    const { lo, hi } = this;
    if (hi === 0) return lo % 2 === 0 ? lo / 2 : -(lo - 1) / 2 - 1;
    const big = (BigInt(hi) << 32n) | BigInt(lo);
    return safeOrString((big >> 1n) ^ -(big & 1n));
  }

  /** The position after a field of wire type `wt` whose payload starts at `pos`. */
  private skip(wt: number, pos: number): number {
    if (wt === 0) return this.varint64(pos);
    if (wt === 1) return pos + 8;
    if (wt === 5) return pos + 4;
    return this.varint64(pos) + this.lo;
  }
}

function store(out: DecodedMessage, field: FieldType, value: unknown): void {
  if (!field.repeated) out[field.name] = value;
  else {
    const list = out[field.name] as unknown[] | undefined;
    if (list === undefined) out[field.name] = [value];
    else list.push(value);
  }
}

function safeOrString(big: bigint): number | string {
  return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(big)
    : big.toString();
}

/** Short ASCII strings (nearly every name) without TextDecoder's per-call cost. */
function utf8(b: Uint8Array, start: number, end: number): string {
  if (end - start <= 64) {
    let s = '';
    for (let i = start; i < end; i++) {
      const c = b[i]!;
      if (c >= 128) return UTF8.decode(b.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return UTF8.decode(b.subarray(start, end));
}
