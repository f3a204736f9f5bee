/**
 * The newline-ended text arguments of protocol 0 (and Python 2's protocol 1), decoded as
 * CPython's `Lib/pickle.py` Unpickler does: INT/LONG through `int(text, 0)`, FLOAT through
 * `float(text)`, STRING through `codecs.escape_decode` of a quoted literal, UNICODE through
 * the `raw-unicode-escape` codec, GET/PUT keys through `int(text)`. Written from the
 * descriptions in `Lib/pickletools.py` and CPython's `Objects/unicodeobject.c` /
 * `Objects/bytesobject.c`; hand-written because nothing in JS speaks these Python codecs.
 */
import { FormatError } from '../../errors.js';
import { latin1 } from './cursor.js';

/**
 * Longest decimal integer read, in digits: CPython's own default `sys.int_info.default_max_str_digits`
 * (3.11+), which also guards against quadratic-time conversions of huge numerals.
 */
export const MAX_INT_DIGITS = 4300;

const INT_TEXT = /^[ \t\n\r\f\v]*([+-]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|(\d+))[ \t\n\r\f\v]*$/;

/** A safe integer as a number, anything larger as a bigint. */
export function narrow(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

/** `int(text, 0)` for INT and LONG (LONG's trailing `L` already removed). */
export function parseInt0(text: string, opname: string, at: number): number | bigint {
  const m = INT_TEXT.exec(text);
  if (m === null) throw new FormatError(`pickle ${opname} at byte ${at} is not an integer`);
  const [, sign, hex, oct, bin, dec] = m;
  const digits = hex ?? oct ?? bin ?? dec!;
  if (digits.length > MAX_INT_DIGITS) {
    throw new FormatError(`pickle ${opname} at byte ${at} has more than ${MAX_INT_DIGITS} digits`);
  }
  const prefix = hex !== undefined ? '0x' : oct !== undefined ? '0o' : bin !== undefined ? '0b' : '';
  const magnitude = BigInt(prefix + digits);
  return narrow(sign === '-' ? -magnitude : magnitude);
}

/** A memo key (GET/PUT): a non-negative decimal that fits a safe integer. */
export function parseMemoKey(text: string, opname: string, at: number): number {
  const m = /^[ \t\n\r\f\v]*\+?(\d{1,15})[ \t\n\r\f\v]*$/.exec(text);
  if (m === null) throw new FormatError(`pickle ${opname} at byte ${at} has a bad memo key`);
  return Number(m[1]);
}

const FLOAT_TEXT = /^[ \t\n\r\f\v]*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)[ \t\n\r\f\v]*$/i;

/** `float(text)` for FLOAT: decimal or exponent notation, inf, infinity, nan, any case. */
export function parseFloatText(text: string, at: number): number {
  if (text.length > 1000 || !FLOAT_TEXT.test(text)) {
    throw new FormatError(`pickle FLOAT at byte ${at} is not a number`);
  }
  const t = text.trim().toLowerCase();
  const negative = t.startsWith('-');
  const body = t.replace(/^[+-]/, '');
  if (body === 'nan') return Number.NaN;
  if (body === 'inf' || body === 'infinity') return negative ? -Infinity : Infinity;
  return Number(t);
}

const SIMPLE_ESCAPES: Record<string, number> = {
  '\\': 0x5c,
  "'": 0x27,
  '"': 0x22,
  a: 0x07,
  b: 0x08,
  f: 0x0c,
  n: 0x0a,
  r: 0x0d,
  t: 0x09,
  v: 0x0b,
};

const isHex = (c: number) => (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
const isOct = (c: number) => c >= 0x30 && c <= 0x37;

/**
 * STRING's argument: a quoted Python 2 `repr` of a byte string, unescaped as
 * `codecs.escape_decode` does (\\ \' \" \a \b \f \n \r \t \v, up to three octal digits,
 * exactly two hex digits after \x, any other backslash kept), then read as latin-1.
 */
export function decodeStringLiteral(line: Uint8Array, at: number): string {
  const n = line.length;
  const q = line[0];
  if (n < 2 || (q !== 0x27 && q !== 0x22) || line[n - 1] !== q) {
    throw new FormatError(`pickle STRING at byte ${at} is not quoted`);
  }
  const out = new Uint8Array(n);
  let o = 0;
  for (let i = 1; i < n - 1; ) {
    const c = line[i++]!;
    if (c !== 0x5c) {
      out[o++] = c;
      continue;
    }
    if (i >= n - 1) throw new FormatError(`pickle STRING at byte ${at} ends with a lone backslash`);
    const e = line[i++]!;
    const simple = SIMPLE_ESCAPES[String.fromCharCode(e)];
    if (simple !== undefined) out[o++] = simple;
    else if (e === 0x0a) {
      // A line continuation: nothing.
    } else if (isOct(e)) {
      let v = e - 0x30;
      for (let k = 0; k < 2 && i < n - 1 && isOct(line[i]!); k++) v = v * 8 + (line[i++]! - 0x30);
      out[o++] = v & 0xff;
    } else if (e === 0x78) {
      const h1 = line[i];
      const h2 = line[i + 1];
      if (i + 1 >= n - 1 || !isHex(h1!) || !isHex(h2!)) {
        throw new FormatError(`pickle STRING at byte ${at} has an invalid \\x escape`);
      }
      out[o++] = Number.parseInt(String.fromCharCode(h1!, h2!), 16);
      i += 2;
    } else {
      out[o++] = 0x5c;
      out[o++] = e;
    }
  }
  return latin1(out.subarray(0, o));
}

/**
 * UNICODE's argument, decoded as Python's `raw-unicode-escape`: every byte is its latin-1
 * character except `\uXXXX` and `\UXXXXXXXX` escapes, and only after an odd run of
 * backslashes (CPython: "\u-escapes are only interpreted iff the number of leading
 * backslashes is odd"), so `\\u0041` stays as written.
 */
export function decodeRawUnicodeEscape(line: Uint8Array, at: number): string {
  const parts: string[] = [];
  let start = 0;
  let i = 0;
  while (i < line.length) {
    if (line[i] !== 0x5c) {
      i++;
      continue;
    }
    let run = 0;
    while (line[i] === 0x5c) {
      run++;
      i++;
    }
    const u = line[i];
    if (run % 2 === 0 || (u !== 0x75 && u !== 0x55)) continue;
    const count = u === 0x75 ? 4 : 8;
    const digits = line.subarray(i + 1, i + 1 + count);
    if (digits.length < count || !digits.every(isHex)) {
      throw new FormatError(`pickle UNICODE at byte ${at} has a truncated \\${u === 0x75 ? 'u' : 'U'} escape`);
    }
    const cp = Number.parseInt(latin1(digits), 16);
    if (cp > 0x10ffff) throw new FormatError(`pickle UNICODE at byte ${at} has an escape past U+10FFFF`);
    // The run's last backslash belongs to the escape.
    parts.push(latin1(line.subarray(start, i - 1)), String.fromCodePoint(cp));
    i += 1 + count;
    start = i;
  }
  parts.push(latin1(line.subarray(start)));
  return parts.join('');
}
