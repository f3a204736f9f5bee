/**
 * Protobuf wire-format primitives: varint decoding, and the validation and decoding
 * (message.ts) of messages already held in memory.
 */
import type { Ctx } from './context.js';
import { type DecodedMessage, decodeMessage } from './message.js';
import { type FieldType, type MessageType, WIRE } from './schema.js';

/** Messages nested deeper than this are refused (subgraphs of subgraphs …; real models use < 20). */
export const MAX_DEPTH = 64;

/** A varint's value and the position after it. */
export interface Varint {
  readonly value: number;
  /** −1: the varint runs past `end`; −2: malformed (more than 10 bytes, or above 2^64). */
  readonly next: number;
}

/*
 * Varints (protobuf encoding spec, "Base 128 Varints") are read by pure functions of their
 * arguments, like huggingface.js's gguf readers: no state is shared between calls. The
 * walkers' hot loops use the pair varintEnd + varintValue, which allocate nothing (an
 * object per varint made opening a 100k-node graph ~20% slower); readVarint is the pair
 * as one value for everyone else.
 */

/**
 * The position after the varint at `pos` in `bytes`, which must end before `end`:
 * −1 if it runs past `end`, −2 if malformed (more than 10 bytes, or above 2^64).
 */
export function varintEnd(bytes: Uint8Array, pos: number, end: number): number {
  const stop = Math.min(end, bytes.length);
  for (let i = 0; i < 10; i++) {
    if (pos + i >= stop) return -1;
    const b = bytes[pos + i]!;
    // The tenth byte may only carry bit 63.
    if (i === 9 && b > 1) return -2;
    if ((b & 0x80) === 0) return pos + i + 1;
  }
  return -2;
}

/** The value of the varint in bytes[pos, next), `next` as varintEnd found it; above 2^53 it is Infinity. */
export function varintValue(bytes: Uint8Array, pos: number, next: number): number {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < next; i++) {
    value += (bytes[i]! & 0x7f) * scale;
    scale *= 128;
  }
  return value > Number.MAX_SAFE_INTEGER ? Infinity : value;
}

/** The varint at `pos` in `bytes`, which must end before `end`; see Varint for `next` < 0. */
export function readVarint(bytes: Uint8Array, pos: number, end: number): Varint {
  const next = varintEnd(bytes, pos, end);
  return { value: next < 0 ? 0 : varintValue(bytes, pos, next), next };
}

export function wireName(wt: number): string {
  return ['varint', 'i64', 'length-delimited', 'group start', 'group end', 'i32'][wt] ?? `invalid (${wt})`;
}

/** Decodes a walked message's gathered fields (validated as they were gathered). */
export function decodeGathered(type: MessageType, parts: Uint8Array[]): DecodedMessage {
  let all = parts[0]!;
  if (parts.length > 1) {
    all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
  }
  return decodeMessage(type, all, 0, all.length);
}

/**
 * Checks the payload of a length-delimited occurrence of a scalar field: for a repeated
 * number it is a packed run, whole elements that end exactly at its end (message.ts reads
 * them without bounds checks). Strings and bytes need nothing.
 */
export function validatePacked(
  type: MessageType,
  field: FieldType,
  bytes: Uint8Array,
  start: number,
  end: number,
  ctx: Ctx,
): void {
  const element = field.wireTypes[field.wireTypes.length - 1]!;
  if (element === WIRE.LEN) return;
  const bad = () => ctx.error(`malformed ${type.name} (packed field '${field.name}' ends inside an element)`);
  if (element !== WIRE.VARINT) {
    if ((end - start) % (element === WIRE.I64 ? 8 : 4) !== 0) throw bad();
    return;
  }
  for (let pos = start; pos < end; ) {
    pos = varintEnd(bytes, pos, end);
    if (pos < 0) throw bad();
  }
}

/**
 * Checks an in-memory message before it is decoded (message.ts, which trusts what is
 * checked here): tags, wire types of known fields, varints, lengths within the message, no
 * groups, nesting depth (a decoder would otherwise recurse as deep as the file says).
 */
export function validateMessage(
  type: MessageType,
  bytes: Uint8Array,
  start: number,
  end: number,
  depth: number,
  ctx: Ctx,
): void {
  if (depth > MAX_DEPTH) throw ctx.error(`messages nested more than ${MAX_DEPTH} levels deep`);
  let pos = start;
  while (pos < end) {
    const t = varintEnd(bytes, pos, end);
    const tag = t < 0 ? -1 : varintValue(bytes, pos, t);
    if (t < 0 || !Number.isSafeInteger(tag) || tag > 0xffffffff)
      throw ctx.error(`malformed ${type.name} (bad field tag)`);
    const wt = tag & 7;
    const fieldNo = Math.floor(tag / 8);
    if (fieldNo === 0) throw ctx.error(`malformed ${type.name} (field number 0)`);
    if (wt === WIRE.SGROUP || wt === WIRE.EGROUP) throw ctx.error(`${type.name} uses the deprecated group encoding`);
    if (wt > WIRE.I32) throw ctx.error(`malformed ${type.name} (invalid wire type ${wt})`);
    const field = type.fieldsById.get(fieldNo);
    if (field !== undefined && !field.wireTypes.includes(wt)) {
      throw ctx.error(`field '${field.name}' of ${type.name} has wire type ${wireName(wt)}`);
    }
    pos = t;
    if (wt === WIRE.VARINT) {
      pos = varintEnd(bytes, pos, end);
      if (pos < 0) throw ctx.error(`malformed ${type.name} (bad varint)`);
    } else if (wt === WIRE.I64 || wt === WIRE.I32) {
      pos += wt === WIRE.I64 ? 8 : 4;
      if (pos > end) throw ctx.error(`malformed ${type.name} (field ${fieldNo} runs past its message)`);
    } else {
      const l = varintEnd(bytes, pos, end);
      const len = l < 0 ? -1 : varintValue(bytes, pos, l);
      if (l < 0 || !Number.isSafeInteger(len) || l + len > end) {
        throw ctx.error(`malformed ${type.name} (field ${fieldNo} runs past its message)`);
      }
      const payloadEnd = l + len;
      if (field?.message !== undefined) validateMessage(field.message, bytes, l, payloadEnd, depth + 1, ctx);
      else if (field !== undefined) validatePacked(type, field, bytes, l, payloadEnd, ctx);
      pos = payloadEnd;
    }
  }
}
