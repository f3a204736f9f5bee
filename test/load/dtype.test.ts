/**
 * src/load/dtype.ts widening: the typed-array fast path for aligned chunks gives exactly the
 * values of the byte-by-byte little-endian decoding, for every bit pattern class (normal,
 * subnormal, ±0, ±∞, NaN) and at every alignment.
 */
import { describe, expect, it } from 'vitest';
import { bf16ToNumber, f16ToNumber, widen, widenInto } from '../../src/load/dtype.js';
import { Rng } from '../generators/rng.js';

/** The reference: each element decoded from its little-endian bytes by a DataView. */
function reference(bytes: Uint8Array, dtype: 'F64' | 'F32' | 'F16' | 'BF16', count: number): Float64Array {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    if (dtype === 'F64') out[i] = v.getFloat64(8 * i, true);
    else if (dtype === 'F32') out[i] = v.getFloat32(4 * i, true);
    else if (dtype === 'F16') out[i] = f16ToNumber(v.getUint16(2 * i, true));
    else out[i] = bf16ToNumber(v.getUint16(2 * i, true));
  }
  return out;
}

const SIZE = { F64: 8, F32: 4, F16: 2, BF16: 2 } as const;

describe('widen', () => {
  for (const dtype of ['F64', 'F32', 'F16', 'BF16'] as const) {
    it(`${dtype}: aligned and unaligned chunks equal the DataView decoding bit for bit`, () => {
      const count = 4099;
      const size = SIZE[dtype];
      const rng = new Rng(size * 101 + dtype.length);
      for (const shift of [0, 1, 2, 3, 4, 5, 6, 7]) {
        const backing = new Uint8Array(count * size + 16);
        for (let i = 0; i < backing.length; i++) backing[i] = rng.u32() & 0xff;
        const bytes = backing.subarray(shift, shift + count * size);
        // Plant the special values at the start: +0, −0, +∞, −∞, NaN, the smallest subnormal.
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const specials = [0, -0, Infinity, -Infinity, Number.NaN, dtype === 'F64' ? 5e-324 : 1e-45];
        for (const [i, x] of specials.entries()) {
          if (dtype === 'F64') v.setFloat64(8 * i, x, true);
          else if (dtype === 'F32') v.setFloat32(4 * i, x, true);
        }
        if (dtype === 'F16' || dtype === 'BF16') {
          const bits =
            dtype === 'F16' ? [0, 0x8000, 0x7c00, 0xfc00, 0x7e00, 1] : [0, 0x8000, 0x7f80, 0xff80, 0x7fc0, 1];
          for (const [i, b] of bits.entries()) v.setUint16(2 * i, b, true);
        }
        const want = reference(bytes, dtype, count);
        const got = widen(bytes, dtype, count);
        for (let i = 0; i < count; i++)
          expect(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i]))).toBe(true);
        // Chunk by chunk into one array, as readWidened does.
        const pieces = new Float64Array(count);
        const cut = 1000 * size;
        for (let at = 0; at < bytes.byteLength; at += cut)
          widenInto(bytes.subarray(at, Math.min(bytes.byteLength, at + cut)), dtype, pieces, at / size);
        expect(Array.from(pieces, (x) => (Number.isNaN(x) ? 'NaN' : x))).toEqual(
          Array.from(want, (x) => (Number.isNaN(x) ? 'NaN' : x)),
        );
      }
    });
  }

  it('an unaligned chunk of several 1 MiB blocks equals the DataView decoding (F32, F64)', () => {
    const rng = new Rng(77);
    for (const dtype of ['F32', 'F64'] as const) {
      const count = dtype === 'F32' ? 700_001 : 300_007; // > 2 MiB: three aligned copies
      const size = SIZE[dtype];
      const backing = new Uint8Array(count * size + 8);
      for (let i = 0; i < backing.length; i++) backing[i] = rng.u32() & 0xff;
      const bytes = backing.subarray(3, 3 + count * size);
      const want = reference(bytes, dtype, count);
      const got = widen(bytes, dtype, count);
      let differ = 0;
      for (let i = 0; i < count; i++)
        if (!(Object.is(got[i], want[i]) || (Number.isNaN(got[i]) && Number.isNaN(want[i])))) differ++;
      expect(differ).toBe(0);
    }
  });

  it('integers at every alignment equal the DataView decoding', () => {
    const rng = new Rng(78);
    const types = [
      ['I8', 1, (v: DataView, o: number) => v.getInt8(o)],
      ['I16', 2, (v: DataView, o: number) => v.getInt16(o, true)],
      ['U16', 2, (v: DataView, o: number) => v.getUint16(o, true)],
      ['I32', 4, (v: DataView, o: number) => v.getInt32(o, true)],
      ['U32', 4, (v: DataView, o: number) => v.getUint32(o, true)],
    ] as const;
    for (const [dtype, size, read] of types) {
      for (const shift of [0, 1, 2, 3]) {
        const count = 1031;
        const backing = new Uint8Array(count * size + 8);
        for (let i = 0; i < backing.length; i++) backing[i] = rng.u32() & 0xff;
        const bytes = backing.subarray(shift, shift + count * size);
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const want = Array.from({ length: count }, (_, i) => read(v, i * size));
        expect(Array.from(widen(bytes, dtype, count))).toEqual(want);
      }
    }
  });

  it('F16: every one of the 65,536 bit patterns widens to the value of its table entry', () => {
    const bits = new Uint16Array(65536);
    for (let h = 0; h < 65536; h++) bits[h] = h;
    for (const shift of [0, 1]) {
      const backing = new Uint8Array(2 * 65536 + 2);
      backing.set(new Uint8Array(bits.buffer), shift);
      const got = widen(backing.subarray(shift, shift + 2 * 65536), 'F16', 65536);
      let differ = 0;
      for (let h = 0; h < 65536; h++) {
        const want = f16ToNumber(h);
        if (!(Object.is(got[h], want) || (Number.isNaN(got[h]) && Number.isNaN(want)))) differ++;
      }
      expect(differ).toBe(0);
    }
  });

  it('F16: every bit pattern, across kernel blocks and at an odd offset, gives the bits of its table entry', () => {
    // 3·65,536 + 5 halves: every pattern three times, several of the kernel's 32,768-value
    // blocks and a tail that is not a multiple of its four lanes; NaN must be the table's NaN.
    const count = 3 * 65536 + 5;
    const backing = new Uint8Array(2 * count + 1);
    const view = new DataView(backing.buffer, 1);
    for (let i = 0; i < count; i++) view.setUint16(2 * i, (i * 40503) & 0xffff, true);
    const got = new BigUint64Array(widen(backing.subarray(1), 'F16', count).buffer);
    const table = new BigUint64Array(1);
    const asBits = new Float64Array(table.buffer);
    let differ = 0;
    for (let i = 0; i < count; i++) {
      asBits[0] = f16ToNumber((i * 40503) & 0xffff);
      if (got[i] !== table[0]) differ++;
    }
    expect(differ).toBe(0);
  });

  it('U8: a typed-array copy of the first out.length bytes', () => {
    const bytes = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
    expect(Array.from(widen(bytes, 'U8', 300))).toEqual(Array.from(bytes));
    const out = new Float64Array(5);
    widenInto(bytes.subarray(10, 15), 'U8', out, 0);
    expect(Array.from(out)).toEqual([70, 77, 84, 91, 98]);
  });
});
