/**
 * Reading a pickle's bytes: fixed-size little-endian arguments, length-prefixed payloads
 * (every length checked against the bytes left before anything is allocated), newline-ended
 * text arguments of protocol 0, and the two text decodings pickle uses for strings
 * (latin-1 for STRING/BINSTRING, UTF-8 with lone surrogates for BINUNICODE).
 * Argument layouts follow CPython's `Lib/pickletools.py` (the `ArgumentDescriptor` table).
 */
import { FormatError } from '../../errors.js';

export class Cursor {
  private readonly view: DataView;

  constructor(
    readonly bytes: Uint8Array,
    public pos: number,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get left(): number {
    return this.bytes.length - this.pos;
  }

  /** Throws unless `n` more bytes are there. */
  need(n: number): void {
    if (n > this.left) throw new FormatError(`pickle ends early at byte ${this.bytes.length}`);
  }

  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** A u64 length: exact below 2⁵³, and above it still larger than any input (never used unchecked). */
  u64(): number {
    this.need(8);
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * 4294967296 + lo;
  }

  f64be(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }

  /**
   * `n` bytes for the payload of the opcode at `at` (a view, not a copy), refused before any
   * allocation when the length field claims more than the pickle has left.
   */
  take(n: number, opname: string, at: number): Uint8Array {
    if (n > this.left) {
      // Above 2^53 a u64 is still an integer double: print it exactly, not rounded to 17 digits.
      const claimed = Number.isSafeInteger(n) ? String(n) : BigInt(n).toString();
      throw new FormatError(`pickle ${opname} at byte ${at} claims ${claimed} bytes, but only ${this.left} are left`);
    }
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** A protocol-0 argument: the bytes up to the next newline (consumed, not returned). */
  line(): Uint8Array {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw new FormatError(`pickle ends early at byte ${this.bytes.length} (a line has no newline)`);
    const out = this.bytes.subarray(this.pos, end);
    this.pos = end + 1;
    return out;
  }
}

/** Latin-1: each byte is the code point (TextDecoder's 'latin1' is windows-1252, so not that). */
export function latin1(bytes: Uint8Array): string {
  let out = '';
  if (bytes.length <= 16) {
    for (let i = 0; i < bytes.length; i++) out += String.fromCharCode(bytes[i]!);
    return out;
  }
  for (let i = 0; i < bytes.length; i += 8192) {
    out += String.fromCharCode(...bytes.subarray(i, Math.min(bytes.length, i + 8192)));
  }
  return out;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Strict UTF-8 (a GLOBAL's module and name): FormatError naming `what` when invalid. */
export function utf8Strict(bytes: Uint8Array, what: string, at: number): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    throw new FormatError(`pickle ${what} at byte ${at} is not valid UTF-8`);
  }
}

/**
 * UTF-8 as Python's pickle writes it, `str.encode('utf-8', 'surrogatepass')`: lone surrogates
 * (U+D800–DFFF) arrive as three-byte sequences ED A0–BF xx, which strict decoders refuse.
 * Anything else that is not UTF-8 is a FormatError, as Python's UnicodeDecodeError.
 */
export function utf8SurrogatePass(bytes: Uint8Array, what: string, at: number): string {
  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    // Only a lone surrogate (or a broken file) gets here: decode by hand.
  }
  const units: number[] = [];
  let out = '';
  const bad = () => new FormatError(`pickle ${what} at byte ${at} is not valid UTF-8`);
  const cont = (i: number): number => {
    const b = bytes[i];
    if (b === undefined || (b & 0xc0) !== 0x80) throw bad();
    return b & 0x3f;
  };
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i]!;
    let cp: number;
    if (b < 0x80) {
      cp = b;
      i += 1;
    } else if (b >= 0xc2 && b < 0xe0) {
      cp = ((b & 0x1f) << 6) | cont(i + 1);
      i += 2;
    } else if (b >= 0xe0 && b < 0xf0) {
      cp = ((b & 0x0f) << 12) | (cont(i + 1) << 6) | cont(i + 2);
      if (cp < 0x800) throw bad();
      i += 3;
    } else if (b >= 0xf0 && b < 0xf5) {
      cp = ((b & 0x07) << 18) | (cont(i + 1) << 12) | (cont(i + 2) << 6) | cont(i + 3);
      if (cp < 0x10000 || cp > 0x10ffff) throw bad();
      i += 4;
    } else throw bad();
    if (cp >= 0x10000) units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
    else units.push(cp);
    if (units.length >= 8192) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}
