/**
 * The in-memory window over an ONNX file and the error context of the message being walked,
 * shared by the wire walker (wire.ts) and the in-memory validation and decoding (protobuf.ts).
 */
import { FormatError } from '../../errors.js';
import type { FileSource } from '../file.js';
import { type MessageType, TensorProto, WALKED_TYPES } from './schema.js';

/** Bytes read at a time while walking; messages up to this size are walked without awaiting. */
export const WINDOW_BYTES = 64 * 1024;

/** The bytes of the file currently in memory: at most a window, or one gathered field. */
export class Window {
  buf: Uint8Array = new Uint8Array(0);
  start = 0;
  /**
   * [start, end) file ranges of gathered fields not yet copied out of the window, for all
   * walks of this file in progress: a stack, each walk owning the top part from its base
   * (nested synchronous walks finish before their parent continues). One scratch array per
   * file instead of one per message (wire.ts MessageWalk).
   */
  readonly pending: number[] = [];
  /** Messages walked and kept so far (capped by MAX_WALKED_MESSAGES, wire.ts). */
  messages = 0;

  constructor(readonly source: FileSource) {}

  get fileSize(): number {
    return this.source.size;
  }

  covers(from: number, to: number): boolean {
    return from >= this.start && to <= this.start + this.buf.length;
  }

  /** Loads [pos, pos + want) (clipped to the file) and more, up to a window. */
  async load(pos: number, want: number): Promise<void> {
    const length = Math.min(Math.max(want, WINDOW_BYTES), this.source.size - pos);
    this.buf = await this.source.read(pos, Math.max(0, length), 'ONNX model');
    this.start = pos;
  }
}

/** Error context: which message is being read, named when its name is known. */
export class Ctx {
  private name: string | undefined;
  private nameStart = -1;
  private nameEnd = -1;
  readonly fileSize: number;
  constructor(
    readonly type: MessageType,
    private readonly w: Window,
    readonly parent: Ctx | undefined,
  ) {
    this.fileSize = w.fileSize;
  }

  /** Where the message's name is: decoded only if an error needs it (most never do). */
  nameAt(start: number, end: number): void {
    this.nameStart = start;
    this.nameEnd = end;
    this.name = undefined;
  }

  /** Decodes the name while the window still holds it (called before the window moves). */
  keepName(): void {
    this.name = this.currentName();
  }

  private currentName(): string | undefined {
    if (this.name !== undefined || this.nameStart < 0) return this.name;
    if (!this.w.covers(this.nameStart, this.nameEnd)) return undefined;
    return decodeName(this.w.buf.subarray(this.nameStart - this.w.start, this.nameEnd - this.w.start));
  }

  error(problem: string): FormatError {
    return new FormatError(`${this.describe()}: ${problem}`);
  }

  /** "tensor 'w'", or for an unnamed message, where it is: "tensor in node 'Constant_3'". */
  private describe(): string {
    const what = LABELS.get(this.type) ?? this.type.name;
    const name = this.currentName();
    if (name !== undefined && name !== '') return `${what} '${name}'`;
    for (let p = this.parent; p !== undefined; p = p.parent) {
      const n = p.currentName();
      if (n !== undefined && n !== '') return `${what} in ${p.describe()}`;
    }
    return what;
  }

  limitName(limit: number): string {
    return limit >= this.fileSize ? 'the end of the file (truncated?)' : `the end of its enclosing ${this.type.name}`;
  }
}

const LABELS = new Map<MessageType, string>([[TensorProto, 'tensor']]);
for (const t of WALKED_TYPES) {
  if (t.name === 'NodeProto') LABELS.set(t, 'node');
  if (t.name === 'GraphProto') LABELS.set(t, 'graph');
  if (t.name === 'AttributeProto') LABELS.set(t, 'attribute');
  if (t.name === 'FunctionProto') LABELS.set(t, 'function');
  if (t.name === 'ModelProto') LABELS.set(t, 'ONNX model');
}

const UTF8 = new TextDecoder();
function decodeName(bytes: Uint8Array): string {
  return UTF8.decode(bytes.subarray(0, 200));
}
