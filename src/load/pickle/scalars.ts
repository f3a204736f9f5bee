/**
 * The opcodes that push one value read from their own argument, with no stack input: ints,
 * floats, strings, bytes, None and the booleans, in their text (protocol 0) and binary forms.
 * Argument formats from CPython's `Lib/pickletools.py`; lengths are checked against the
 * bytes left before anything is allocated (cursor.ts).
 */
import { FormatError } from '../../errors.js';
import { type Cursor, latin1, utf8SurrogatePass } from './cursor.js';
import { decodeLong, MAX_LONG_BYTES, MAX_STRING_BYTES, OP } from './opcodes.js';
import { decodeRawUnicodeEscape, decodeStringLiteral, MAX_INT_DIGITS, parseFloatText, parseInt0 } from './text-args.js';
import type { PickleValue } from './values.js';

/** Returned by readScalar for an opcode that is not one of these. */
export const NOT_SCALAR: unique symbol = Symbol('not a scalar opcode');

/** `n` payload bytes of the opcode at `at`: negative or longer than `max` or than what is left is a FormatError. */
function payload(cur: Cursor, n: number, opname: string, at: number, max = Number.POSITIVE_INFINITY): Uint8Array {
  if (n < 0) throw new FormatError(`pickle ${opname} at byte ${at} has a negative length`);
  if (n > max && n <= cur.left) throw new FormatError(`pickle ${opname} at byte ${at} is longer than ${max} bytes`);
  return cur.take(n, opname, at);
}

function text(cur: Cursor, n: number, opname: string, at: number): string {
  return utf8SurrogatePass(payload(cur, n, opname, at, MAX_STRING_BYTES), opname, at);
}

function bytes(cur: Cursor, n: number, opname: string, at: number): PickleValue {
  // A copy, and a plain Uint8Array even when the input is a Buffer (whose slice() is a view).
  return { kind: 'bytes', bytes: new Uint8Array(payload(cur, n, opname, at)) };
}

function checkedLine(cur: Cursor, at: number, max = MAX_STRING_BYTES): Uint8Array {
  const line = cur.line();
  if (line.length > max) throw new FormatError(`pickle line at byte ${at} is longer than ${max} bytes`);
  return line;
}

/** A protocol-0 numeral (INT, LONG, FLOAT, GET, PUT) as text: latin-1, and never longer than a numeral can be. */
export const lineText = (cur: Cursor, at: number): string => latin1(checkedLine(cur, at, MAX_INT_DIGITS + 100));

/** The value of scalar opcode `op` (whose byte was at `at`), or NOT_SCALAR. */
export function readScalar(op: number, cur: Cursor, at: number): PickleValue | typeof NOT_SCALAR {
  switch (op) {
    case OP.NONE:
      return null;
    case OP.NEWTRUE:
      return true;
    case OP.NEWFALSE:
      return false;
    case OP.INT: {
      // Python 2.2 wrote booleans as INT with these exact arguments.
      const t = lineText(cur, at);
      return t === '01' ? true : t === '00' ? false : parseInt0(t, 'INT', at);
    }
    case OP.LONG:
      return parseInt0(lineText(cur, at).replace(/L$/, ''), 'LONG', at);
    case OP.BININT:
      return cur.i32();
    case OP.BININT1:
      return cur.u8();
    case OP.BININT2:
      return cur.u16();
    case OP.LONG1:
      return decodeLong(payload(cur, cur.u8(), 'LONG1', at));
    case OP.LONG4:
      return decodeLong(payload(cur, cur.i32(), 'LONG4', at, MAX_LONG_BYTES));
    case OP.FLOAT:
      return parseFloatText(lineText(cur, at), at);
    case OP.BINFLOAT:
      return cur.f64be();
    case OP.STRING:
      return decodeStringLiteral(checkedLine(cur, at), at);
    case OP.BINSTRING:
      return latin1(payload(cur, cur.i32(), 'BINSTRING', at, MAX_STRING_BYTES));
    case OP.SHORT_BINSTRING:
      return latin1(payload(cur, cur.u8(), 'SHORT_BINSTRING', at));
    case OP.UNICODE:
      return decodeRawUnicodeEscape(checkedLine(cur, at), at);
    case OP.SHORT_BINUNICODE:
      return text(cur, cur.u8(), 'SHORT_BINUNICODE', at);
    case OP.BINUNICODE:
      return text(cur, cur.u32(), 'BINUNICODE', at);
    case OP.BINUNICODE8:
      return text(cur, cur.u64(), 'BINUNICODE8', at);
    case OP.SHORT_BINBYTES:
      return bytes(cur, cur.u8(), 'SHORT_BINBYTES', at);
    case OP.BINBYTES:
      return bytes(cur, cur.u32(), 'BINBYTES', at);
    case OP.BINBYTES8:
      return bytes(cur, cur.u64(), 'BINBYTES8', at);
    case OP.BYTEARRAY8:
      return bytes(cur, cur.u64(), 'BYTEARRAY8', at);
    default:
      return NOT_SCALAR;
  }
}
