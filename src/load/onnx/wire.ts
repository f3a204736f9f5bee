/**
 * A schema-driven protobuf wire-format walker that reads an ONNX file through a small
 * window, so that a model of any size is parsed in bounded memory (issue 2).
 *
 * Messages that can contain tensors (ModelProto → GraphProto → NodeProto → AttributeProto
 * → TensorProto …, see WALKED_TYPES) are walked field by field. Inside a TensorProto the
 * element data (raw_data, float_data, …) is not read: the walker records where it is
 * (file offset and length) and TensorRef.read() reads it later. All other fields of a
 * walked message are small; their bytes are gathered and decoded by protobuf.ts.
 *
 * The walk of one message is a resumable synchronous loop (MessageWalk.run) over the
 * window; it stops only to ask for I/O: a window refill, or an asynchronous walk of a
 * sub-message larger than the window. Messages that fit in the window (nodes, attributes,
 * small tensors: nearly all of a graph) are walked without any await.
 *
 * Every number taken from the file is checked where it is read (DESIGN.md §5): tags,
 * wire types of known fields, varint lengths, lengths against the enclosing message,
 * nesting depth. Encoding reference: https://protobuf.dev/programming-guides/encoding/
 */
import type { FormatError } from '../../errors.js';
import type { FileSource } from '../file.js';
import { Ctx, WINDOW_BYTES, Window } from './context.js';
import {
  MAX_DEPTH,
  decodeGathered,
  validateMessage,
  validatePacked,
  varintEnd,
  varintValue,
  wireName,
} from './protobuf.js';
import {
  type FieldType,
  type MessageType,
  SparseTensorProto,
  TENSOR_DATA_FIELDS,
  TensorProto,
  UNUSED_FIELDS,
  WALKED_TYPES,
  WIRE,
} from './schema.js';

export { MAX_DEPTH, readVarint, varintEnd } from './protobuf.js';
/** Cap on the small fields gathered from one walked message (names, attributes, shapes). */
export const MAX_GATHERED_BYTES = 64 * 1024 * 1024;
/** Highest field number protobuf allows (2^29 − 1). */
const MAX_FIELD_NUMBER = 536_870_911;
/** A field's tag and length prefix take at most 10 + 10 bytes. */
const MAX_HEADER_BYTES = 20;

/**
 * Graph messages (nodes, attributes, tensors, graphs, functions) kept per file. Each costs a
 * few hundred bytes once walked, so a 20 MB file of tiny nodes (5 bytes each) would
 * otherwise take about a gigabyte and a minute (issue 12); at this cap the structure stays
 * within a fixed budget of ~300 MB. Real graphs are far below it: a 7B-parameter LLM export
 * has tens of thousands of nodes.
 */
export const MAX_WALKED_MESSAGES = 1_000_000;

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
  readonly field: FieldType;
  readonly pieces: DataPiece[];
}

export interface WalkedMessage {
  readonly type: MessageType;
  /** File offset of the first byte of the message's payload. */
  readonly offset: number;
  readonly length: number;
  /** The message's small fields, decoded (protobuf.ts; walked and data fields absent). */
  readonly fields: Record<string, unknown>;
  /** Walked sub-messages by field name, in file order. */
  readonly children: ReadonlyMap<string, readonly WalkedMessage[]>;
  /** TensorProto data fields by name. */
  readonly data: ReadonlyMap<string, DataField>;
}

/** Walks a whole file as one message of `type` (ModelProto). */
export async function walkFile(source: FileSource, type: MessageType): Promise<WalkedMessage> {
  return walk(new Window(source), type, 0, source.size, 1, undefined);
}

/** What a paused walk needs before it can continue. */
type Need =
  | { readonly kind: 'load'; readonly pos: number; readonly want: number }
  | { readonly kind: 'child'; readonly field: FieldType; readonly start: number; readonly end: number };

async function walk(
  w: Window,
  type: MessageType,
  start: number,
  end: number,
  depth: number,
  parent: Ctx | undefined,
): Promise<WalkedMessage> {
  const m = new MessageWalk(w, type, start, end, depth, parent);
  for (;;) {
    const need = m.run();
    if (need === undefined) return m.finish();
    if (need.kind === 'load') await w.load(need.pos, need.want);
    else m.addChild(need.field, await walk(w, need.field.message!, need.start, need.end, depth + 1, m.ctx));
  }
}

/** Messages that stand for a tensor even when empty. */
const TENSOR_TYPES: ReadonlySet<MessageType> = new Set([TensorProto, SparseTensorProto]);
const EMPTY_CHILDREN: ReadonlyMap<string, readonly WalkedMessage[]> = new Map();
const EMPTY_DATA: ReadonlyMap<string, DataField> = new Map();
const EMPTY_FIELDS: Record<string, unknown> = Object.freeze({});

/** The state of one message being walked; `run` resumes where the last call stopped. */
class MessageWalk {
  readonly ctx: Ctx;
  private pos: number;
  /** Where this walk's gathered ranges start in w.pending. */
  private pendingBase = 0;
  private gathered: Uint8Array[] | undefined;
  private gatheredBytes = 0;
  private children: Map<string, WalkedMessage[]> | undefined;
  private data: Map<string, DataField> | undefined;
  private seenSingular: Set<number> | undefined;

  constructor(
    private readonly w: Window,
    private readonly type: MessageType,
    private readonly start: number,
    private readonly end: number,
    private readonly depth: number,
    parent: Ctx | undefined,
  ) {
    this.ctx = new Ctx(type, w, parent);
    if (depth > MAX_DEPTH) throw this.ctx.error(`messages nested more than ${MAX_DEPTH} levels deep`);
    if (++w.messages > MAX_WALKED_MESSAGES) {
      throw this.ctx.error(
        `more than ${MAX_WALKED_MESSAGES} graph messages (nodes, attributes, tensors): refused to bound memory`,
      );
    }
    this.pos = start;
  }

  /** Walks fields until the end of the message (undefined) or until I/O is needed. */
  run(): Need | undefined {
    const { w, ctx, end } = this;
    // Every run leaves w.pending as it found it (flush before pausing, finish right after
    // the last run), so this walk's ranges start at the current top.
    this.pendingBase = w.pending.length;
    while (this.pos < end) {
      const tagPos = this.pos;
      // The whole field header must be in the window; else load it and come back here.
      if (!w.covers(tagPos, Math.min(end, tagPos + MAX_HEADER_BYTES))) return this.pause(tagPos, MAX_HEADER_BYTES);
      const buf = w.buf;
      const base = w.start;
      const limit = end - base;
      let next = varintEnd(buf, tagPos - base, limit);
      if (next < 0) throw this.varintError(next, tagPos);
      const tag = varintValue(buf, tagPos - base, next);
      if (!Number.isSafeInteger(tag) || tag > 0xffffffff) throw ctx.error(`invalid field tag at byte ${tagPos}`);
      const wt = tag & 7;
      const fieldNo = Math.floor(tag / 8);
      if (fieldNo === 0 || fieldNo > MAX_FIELD_NUMBER)
        throw ctx.error(`invalid field number ${fieldNo} at byte ${tagPos}`);
      if (wt === WIRE.SGROUP || wt === WIRE.EGROUP) {
        throw ctx.error(`field ${fieldNo} at byte ${tagPos} uses the deprecated group encoding, which ONNX never uses`);
      }
      if (wt > WIRE.I32) throw ctx.error(`field ${fieldNo} at byte ${tagPos} has invalid wire type ${wt}`);
      const field = this.type.fieldsById.get(fieldNo);
      if (field !== undefined && !field.wireTypes.includes(wt)) {
        throw ctx.error(
          `field '${field.name}' at byte ${tagPos} has wire type ${wireName(wt)}, ` +
            `expected ${field.wireTypes.map(wireName).join(' or ')}`,
        );
      }
      // The payload and the end of the field, checked against the enclosing message.
      let payloadStart: number;
      let payloadEnd: number;
      if (wt === WIRE.LEN) {
        const lenPos = base + next;
        const lenEnd = varintEnd(buf, next, limit);
        if (lenEnd < 0) throw this.varintError(lenEnd, lenPos);
        const len = varintValue(buf, next, lenEnd);
        next = lenEnd;
        if (!Number.isSafeInteger(len)) throw ctx.error(`length at byte ${lenPos} is too large`);
        payloadStart = base + next;
        payloadEnd = payloadStart + len;
        if (payloadEnd > end) {
          const name = field !== undefined ? `'${field.name}'` : `${fieldNo}`;
          throw ctx.error(`field ${name} at byte ${tagPos} claims ${len} bytes, past ${ctx.limitName(end)}`);
        }
      } else {
        payloadStart = base + next;
        if (wt === WIRE.VARINT) {
          next = varintEnd(buf, next, limit);
          if (next < 0) throw this.varintError(next, payloadStart);
          payloadEnd = base + next;
        } else {
          payloadEnd = payloadStart + (wt === WIRE.I64 ? 8 : 4);
          if (payloadEnd > end) throw ctx.error(`field ${fieldNo} at byte ${tagPos} runs past ${ctx.limitName(end)}`);
        }
      }

      if (field === undefined || UNUSED_FIELDS.has(field.name)) {
        // Unknown fields (a newer onnx.proto) and unused ones: skipped, already bounds-checked.
      } else if (field.message !== undefined && WALKED_TYPES.has(field.message)) {
        // A sub-message that fits in a window is loaded whole, then walked synchronously.
        if (payloadEnd - tagPos <= WINDOW_BYTES && !w.covers(tagPos, payloadEnd))
          return this.pause(tagPos, payloadEnd - tagPos);
        if (!field.repeated) {
          this.seenSingular ??= new Set();
          if (this.seenSingular.has(fieldNo)) throw ctx.error(`field '${field.name}' occurs more than once`);
          this.seenSingular.add(fieldNo);
        }
        this.pos = payloadEnd;
        // An empty entry of a repeated field (a node, attribute, graph with no fields) says
        // nothing and is not kept: ten million of them in 20 MB would otherwise cost
        // gigabytes (issue 12). Empty tensors are kept, to be refused with their reason.
        if (payloadEnd === payloadStart && field.repeated && !TENSOR_TYPES.has(field.message)) continue;
        if (!w.covers(tagPos, payloadEnd)) {
          this.flush();
          ctx.keepName();
          return { kind: 'child', field, start: payloadStart, end: payloadEnd };
        }
        // In the window: walked synchronously, without leaving this loop.
        const child = new MessageWalk(w, field.message, payloadStart, payloadEnd, this.depth + 1, ctx);
        if (child.run() !== undefined) throw new Error('unreachable: a message inside the window needed I/O');
        this.addChild(field, child.finish());
        continue;
      } else if (this.type === TensorProto && TENSOR_DATA_FIELDS.has(field.name)) {
        this.addData(field, wt, tagPos, payloadStart, payloadEnd);
      } else {
        if (this.gatheredBytes + payloadEnd - tagPos > MAX_GATHERED_BYTES) {
          throw ctx.error(
            `metadata fields exceed ${MAX_GATHERED_BYTES} bytes (field '${field.name}' at byte ${tagPos})`,
          );
        }
        if (!w.covers(tagPos, payloadEnd)) return this.pause(tagPos, payloadEnd - tagPos);
        this.gatheredBytes += payloadEnd - tagPos;
        if (field.message !== undefined) {
          validateMessage(field.message, buf, payloadStart - base, payloadEnd - base, this.depth + 1, ctx);
        } else if (wt === WIRE.LEN) {
          validatePacked(this.type, field, buf, payloadStart - base, payloadEnd - base, ctx);
        }
        if (field.name === 'name' && wt === WIRE.LEN) ctx.nameAt(payloadStart, payloadEnd);
        w.pending.push(tagPos, payloadEnd);
      }
      this.pos = payloadEnd;
    }
    return undefined;
  }

  addChild(field: FieldType, child: WalkedMessage): void {
    this.children ??= new Map();
    const list = this.children.get(field.name);
    if (list === undefined) this.children.set(field.name, [child]);
    else list.push(child);
  }

  private addData(field: FieldType, wt: number, tagPos: number, payloadStart: number, payloadEnd: number): void {
    this.data ??= new Map();
    let df = this.data.get(field.name);
    if (df === undefined) this.data.set(field.name, (df = { field, pieces: [] }));
    else if (!field.repeated) throw this.ctx.error(`field '${field.name}' occurs more than once`);
    if (wt === WIRE.LEN) {
      df.pieces.push({ offset: payloadStart, length: payloadEnd - payloadStart, packed: true, count: -1 });
      return;
    }
    // One unpacked element: extend the current run when it directly follows it.
    const last = df.pieces[df.pieces.length - 1];
    if (last !== undefined && !last.packed && last.offset + last.length === tagPos) {
      last.length = payloadEnd - last.offset;
      last.count++;
    } else {
      df.pieces.push({ offset: tagPos, length: payloadEnd - tagPos, packed: false, count: 1 });
    }
  }

  /** Stops at `pos` (re-read from there once [pos, pos + want) is loaded). */
  private pause(pos: number, want: number): Need {
    this.flush();
    this.ctx.keepName();
    this.pos = pos;
    return { kind: 'load', pos, want };
  }

  /** Copies the pending gathered ranges out of the window before it moves: one allocation. */
  private flush(): void {
    const p = this.w.pending;
    const from = this.pendingBase;
    if (p.length === from) return;
    let total = 0;
    for (let i = from; i < p.length; i += 2) total += p[i + 1]! - p[i]!;
    const out = new Uint8Array(total);
    let o = 0;
    for (let i = from; i < p.length; i += 2) {
      out.set(this.w.buf.subarray(p[i]! - this.w.start, p[i + 1]! - this.w.start), o);
      o += p[i + 1]! - p[i]!;
    }
    (this.gathered ??= []).push(out);
    p.length = from;
  }

  finish(): WalkedMessage {
    this.flush();
    return {
      type: this.type,
      offset: this.start,
      length: this.end - this.start,
      fields: this.gathered === undefined ? EMPTY_FIELDS : decodeGathered(this.type, this.gathered),
      children: this.children ?? EMPTY_CHILDREN,
      data: this.data ?? EMPTY_DATA,
    };
  }

  private varintError(code: number, at: number): FormatError {
    return code === -1
      ? this.ctx.error(`varint at byte ${at} runs past ${this.ctx.limitName(this.end)}`)
      : this.ctx.error(`malformed varint at byte ${at} (longer than 10 bytes or above 2^64)`);
  }
}
