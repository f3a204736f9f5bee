/**
 * Protobuf wire-format primitives: varint decoding, allowed wire types per field, and the
 * validation and protobufjs decoding of messages already held in memory.
 */
import protobuf from 'protobufjs';
import type { Ctx } from './context.js';
import { WIRE, allowedWireTypes } from './schema.js';

/** Messages nested deeper than this are refused (subgraphs of subgraphs …; real models use < 20). */
export const MAX_DEPTH = 64;

/** allowedWireTypes per field, computed once (the walker asks for every field it meets). */
const ALLOWED = new Map<protobuf.Field, readonly number[]>();
export function allowed(field: protobuf.Field): readonly number[] {
  let a = ALLOWED.get(field);
  if (a === undefined) ALLOWED.set(field, (a = allowedWireTypes(field)));
  return a;
}

/** Value of the last varint decoded by scanVarint (a module-level slot: no allocation per varint). */
export let scanned = 0;

/**
 * Decodes the varint at `pos` in `bytes`, which must end before `end`, into `scanned`.
 * Returns the position after it, −1 if it runs past `end`, −2 if malformed (more than 10
 * bytes, or above 2^64). Values above 2^53 are stored as Infinity.
 */
export function scanVarint(bytes: Uint8Array, pos: number, end: number): number {
  let value = 0;
  let scale = 1;
  const stop = Math.min(end, bytes.length);
  for (let i = 0; i < 10; i++) {
    if (pos + i >= stop) return -1;
    const b = bytes[pos + i]!;
    // The tenth byte may only carry bit 63.
    if (i === 9 && b > 1) return -2;
    value += (b & 0x7f) * scale;
    scale *= 128;
    if ((b & 0x80) === 0) {
      scanned = value > Number.MAX_SAFE_INTEGER ? Infinity : value;
      return pos + i + 1;
    }
  }
  return -2;
}

/**
 * Decodes the varint at `pos` in `bytes`, which must end before `end`.
 * next = −1: ran past `end`; next = −2: malformed (more than 10 bytes, or above 2^64).
 * Values above 2^53 come back as Infinity.
 */
export function readVarint(bytes: Uint8Array, pos: number, end: number): { value: number; next: number } {
  const next = scanVarint(bytes, pos, end);
  return { value: next < 0 ? 0 : scanned, next };
}

export function wireName(wt: number): string {
  return ['varint', 'i64', 'length-delimited', 'group start', 'group end', 'i32'][wt] ?? `invalid (${wt})`;
}

export function decodeGathered(type: protobuf.Type, parts: Uint8Array[], ctx: Ctx): Record<string, unknown> {
  let all = parts[0]!;
  if (parts.length > 1) {
    all = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
    let o = 0;
    for (const p of parts) {
      all.set(p, o);
      o += p.length;
    }
  }
  try {
    // Keep unknown values of closed enums (proto2 data_location …) in $unknowns, so that
    // they are refused rather than silently read as the default.
    const reader = protobuf.Reader.create(all);
    reader.discardUnknown = false;
    const msg = type.decode(reader);
    // A plain object of the fields present only (no empty arrays for every repeated field):
    // a large graph keeps one per node. int64s stay Long (no silent rounding).
    const plain = type.toObject(msg) as Record<string, unknown>;
    const unknowns = (msg as { $unknowns?: unknown }).$unknowns;
    if (unknowns !== undefined) plain.$unknowns = unknowns;
    return plain;
  } catch (e) {
    // validateMessage has checked the structure; this is a last line of defence.
    throw ctx.error(`malformed ${type.name}: ${(e as Error).message}`);
  }
}

/**
 * Checks an in-memory message before protobufjs decodes it: wire types of known fields,
 * lengths within the message, no groups, nesting depth (protobufjs would otherwise
 * recurse as deep as the file says).
 */
export function validateMessage(
  type: protobuf.Type,
  bytes: Uint8Array,
  start: number,
  end: number,
  depth: number,
  ctx: Ctx,
): void {
  if (depth > MAX_DEPTH) throw ctx.error(`messages nested more than ${MAX_DEPTH} levels deep`);
  let pos = start;
  while (pos < end) {
    const t = scanVarint(bytes, pos, end);
    if (t < 0 || !Number.isSafeInteger(scanned) || scanned > 0xffffffff)
      throw ctx.error(`malformed ${type.name} (bad field tag)`);
    const wt = scanned & 7;
    const fieldNo = Math.floor(scanned / 8);
    if (fieldNo === 0) throw ctx.error(`malformed ${type.name} (field number 0)`);
    if (wt === WIRE.SGROUP || wt === WIRE.EGROUP) throw ctx.error(`${type.name} uses the deprecated group encoding`);
    if (wt > WIRE.I32) throw ctx.error(`malformed ${type.name} (invalid wire type ${wt})`);
    const field = type.fieldsById[fieldNo];
    if (field !== undefined && !allowed(field).includes(wt)) {
      throw ctx.error(`field '${field.name}' of ${type.name} has wire type ${wireName(wt)}`);
    }
    pos = t;
    if (wt === WIRE.VARINT) {
      pos = scanVarint(bytes, pos, end);
      if (pos < 0) throw ctx.error(`malformed ${type.name} (bad varint)`);
    } else if (wt === WIRE.I64 || wt === WIRE.I32) {
      pos += wt === WIRE.I64 ? 8 : 4;
      if (pos > end) throw ctx.error(`malformed ${type.name} (field ${fieldNo} runs past its message)`);
    } else {
      const l = scanVarint(bytes, pos, end);
      if (l < 0 || !Number.isSafeInteger(scanned) || l + scanned > end) {
        throw ctx.error(`malformed ${type.name} (field ${fieldNo} runs past its message)`);
      }
      const payloadEnd = l + scanned;
      if (field?.resolvedType instanceof protobuf.Type)
        validateMessage(field.resolvedType, bytes, l, payloadEnd, depth + 1, ctx);
      pos = payloadEnd;
    }
  }
}
