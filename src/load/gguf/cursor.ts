/**
 * Reading GGUF's header (little-endian fixed-width numbers and u64-length strings, ggml
 * docs/gguf.md) from a bounded window of the file instead of the whole file: a 4–8 GB model
 * is never held, only the bytes of the header item being parsed. The parse itself is
 * synchronous over the window; an item that runs past the window's end throws NeedMore, and
 * the Window reloads a larger window starting at that item and parses it again.
 */
import { FormatError } from '../../errors.js';
import type { FileSource } from '../file.js';

/** Signal (not an error the user sees): the item needs bytes up to `upTo` loaded. */
export class NeedMore extends Error {
  constructor(readonly upTo: number) {
    super('need more header bytes');
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });
const UTF8_LENIENT = new TextDecoder('utf-8');

/** Model text quoted in an error message: at most 80 characters (the reporters escape it). */
export function shown(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}

/** A parse position over `buf`, which holds the file's bytes [base, base + buf.length). */
export class Cursor {
  private readonly view: DataView;

  constructor(
    private readonly buf: Uint8Array,
    private readonly base: number,
    readonly fileSize: number,
    public pos: number,
  ) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** Consumes `n` bytes, returning their index in buf; FormatError past the end of the file. */
  take(n: number, what: string): number {
    const end = this.pos + n;
    if (!(end <= this.fileSize)) {
      throw new FormatError(`the file ends inside ${what} (${n} bytes at byte ${this.pos} of ${this.fileSize})`);
    }
    if (this.pos < this.base || end > this.base + this.buf.length) throw new NeedMore(end);
    const at = this.pos - this.base;
    this.pos = end;
    return at;
  }

  /** Moves past `n` bytes without loading them (values nobody reads). */
  skip(n: number, what: string): void {
    if (!(this.pos + n <= this.fileSize)) {
      throw new FormatError(`the file ends inside ${what} (${n} bytes at byte ${this.pos} of ${this.fileSize})`);
    }
    this.pos += n;
  }

  u8(what: string): number {
    return this.buf[this.take(1, what)]!;
  }
  i8(what: string): number {
    return this.view.getInt8(this.take(1, what));
  }
  u16(what: string): number {
    return this.view.getUint16(this.take(2, what), true);
  }
  i16(what: string): number {
    return this.view.getInt16(this.take(2, what), true);
  }
  u32(what: string): number {
    return this.view.getUint32(this.take(4, what), true);
  }
  i32(what: string): number {
    return this.view.getInt32(this.take(4, what), true);
  }
  u64(what: string): bigint {
    return this.view.getBigUint64(this.take(8, what), true);
  }
  i64(what: string): bigint {
    return this.view.getBigInt64(this.take(8, what), true);
  }
  f32(what: string): number {
    return this.view.getFloat32(this.take(4, what), true);
  }
  f64(what: string): number {
    return this.view.getFloat64(this.take(8, what), true);
  }

  /** The length of a string, checked against `cap` and against the bytes left in the file. */
  private stringLength(what: string, cap: number): number {
    const n = this.u64(`the length of ${what}`);
    if (n > BigInt(cap)) throw new FormatError(`${what} is ${n} bytes long, above the cap of ${cap}`);
    const len = Number(n);
    if (this.pos + len > this.fileSize) {
      throw new FormatError(`${what} is ${len} bytes long but the file ends ${this.fileSize - this.pos} bytes on`);
    }
    return len;
  }

  /**
   * A u64-length string, decoded as UTF-8: `strict` refuses invalid UTF-8 (keys, tensor
   * names: identifiers), otherwise invalid bytes become U+FFFD (metadata text, shown only).
   */
  string(what: string, cap: number, strict = true): string {
    const len = this.stringLength(what, cap);
    const at = this.take(len, what);
    const bytes = this.buf.subarray(at, at + len);
    if (!strict) return UTF8_LENIENT.decode(bytes);
    try {
      return UTF8.decode(bytes);
    } catch {
      throw new FormatError(`${what} is not valid UTF-8`);
    }
  }

  /** Moves past a string without decoding it (or loading its bytes). */
  skipString(what: string, cap: number): void {
    this.skip(this.stringLength(what, cap), what);
  }
}

/** Bytes loaded for the first window: most headers without a tokenizer fit. */
const FIRST_WINDOW_BYTES = 1 << 20;

/**
 * The most bytes one header item may need at once (a tokenizer's string arrays are a few
 * MB; 256k tokens of 100 bytes would be 26 MB).
 */
export const MAX_ITEM_BYTES = 128 * 1024 * 1024;

/** A growing window over the header: only the bytes of the item being parsed are held. */
export class Window {
  private buf: Uint8Array = new Uint8Array(0);
  private base = 0;

  constructor(private readonly source: FileSource) {}

  /**
   * Runs `parse` on a cursor at `start` until it no longer needs more bytes; returns its
   * result and where it stopped. `what` names the item if it is too large.
   */
  async parse<T>(start: number, what: string, parse: (c: Cursor) => T): Promise<{ value: T; end: number }> {
    for (;;) {
      const c = new Cursor(this.buf, this.base, this.source.size, start);
      try {
        return { value: parse(c), end: c.pos };
      } catch (e) {
        if (!(e instanceof NeedMore)) throw e;
        await this.load(start, e.upTo, what);
      }
    }
  }

  /** Loads [start, ≥ upTo): double the window when the same item needs more, capped. */
  private async load(start: number, upTo: number, what: string): Promise<void> {
    const needed = upTo - start;
    if (needed > MAX_ITEM_BYTES) {
      throw new FormatError(`${what} needs more than ${MAX_ITEM_BYTES} bytes of header at byte ${start}`);
    }
    const grown = this.base === start ? this.buf.length * 2 : FIRST_WINDOW_BYTES;
    const length = Math.min(Math.max(needed, grown), MAX_ITEM_BYTES, this.source.size - start);
    this.buf = new Uint8Array(0); // let the old window go before reading the new one
    this.buf = await this.source.read(start, length, 'the GGUF header');
    this.base = start;
  }
}
