/**
 * Dequantization of ggml's 32-element block types to float64, value for value as ggml's
 * reference `dequantize_row_*` (ggml/src/ggml-quants.c; block layouts in ggml-common.h;
 * cross-checked with llama.cpp's gguf-py/gguf/quants.py, whose output the tests compare
 * against). ggml computes in float32: every product and sum is rounded to float32 here with
 * Math.fround (a double holds the exact product or sum of two floats, and rounding that once
 * to float is the float operation's result), so the values equal ggml's bit for bit.
 * Hand-written (no dependency): small loops, checked against gguf-py's output by the tests.
 *
 * Each decoder decodes out.length / 32 whole blocks from the start of `src`.
 */
import { f16ToNumber } from '../dtype.js';

export type BlockDecoder = (src: Uint8Array, out: Float64Array) => void;

const f = Math.fround;

/** The f16 at src[o], src[o+1] (little-endian). */
export const half = (src: Uint8Array, o: number): number => f16ToNumber(src[o]! | (src[o + 1]! << 8));

/** ggml's kvalues_iq4nl: the 16 non-linear levels of IQ4_NL and IQ4_XS. */
export const KVALUES_IQ4NL = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113] as const;

/** ggml's kvalues_mxfp4: the E2M1 values, doubled (the scale is halved to match). */
const KVALUES_MXFP4 = [0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12] as const;

/** block_q4_0 (18 bytes): f16 d, 16 bytes of nibbles; x = (q − 8)·d. */
export const decodeQ4_0: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 18, y += 32) {
    const d = half(src, o);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j]!;
      out[y + j] = f(((q & 0x0f) - 8) * d);
      out[y + j + 16] = f(((q >> 4) - 8) * d);
    }
  }
};

/** block_q4_1 (20 bytes): f16 d, f16 m, 16 bytes of nibbles; x = q·d + m. */
export const decodeQ4_1: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 20, y += 32) {
    const d = half(src, o);
    const m = half(src, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 4 + j]!;
      out[y + j] = f(f((q & 0x0f) * d) + m);
      out[y + j + 16] = f(f((q >> 4) * d) + m);
    }
  }
};

/** The u32 little-endian at src[o]. */
const u32 = (src: Uint8Array, o: number): number =>
  (src[o]! | (src[o + 1]! << 8) | (src[o + 2]! << 16) | (src[o + 3]! << 24)) >>> 0;

/** block_q5_0 (22 bytes): f16 d, u32 of fifth bits, 16 bytes of nibbles; x = (q − 16)·d. */
export const decodeQ5_0: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 22, y += 32) {
    const d = half(src, o);
    const qh = u32(src, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 6 + j]!;
      const x0 = ((q & 0x0f) | (((qh >>> j) << 4) & 0x10)) - 16;
      const x1 = ((q >> 4) | ((qh >>> (j + 12)) & 0x10)) - 16;
      out[y + j] = f(x0 * d);
      out[y + j + 16] = f(x1 * d);
    }
  }
};

/** block_q5_1 (24 bytes): f16 d, f16 m, u32 of fifth bits, 16 bytes of nibbles; x = q·d + m. */
export const decodeQ5_1: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 24, y += 32) {
    const d = half(src, o);
    const m = half(src, o + 2);
    const qh = u32(src, o + 4);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 8 + j]!;
      const x0 = (q & 0x0f) | (((qh >>> j) << 4) & 0x10);
      const x1 = (q >> 4) | ((qh >>> (j + 12)) & 0x10);
      out[y + j] = f(f(x0 * d) + m);
      out[y + j + 16] = f(f(x1 * d) + m);
    }
  }
};

/** block_q8_0 (34 bytes): f16 d, 32 int8; x = q·d. */
export const decodeQ8_0: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 34, y += 32) {
    const d = half(src, o);
    for (let j = 0; j < 32; j++) {
      const q = src[o + 2 + j]!;
      out[y + j] = f((q < 128 ? q : q - 256) * d);
    }
  }
};

/** block_iq4_nl (18 bytes): f16 d, 16 bytes of nibbles indexing KVALUES_IQ4NL; x = d·k[q]. */
export const decodeIQ4_NL: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 18, y += 32) {
    const d = half(src, o);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 2 + j]!;
      out[y + j] = f(d * KVALUES_IQ4NL[q & 0x0f]!);
      out[y + j + 16] = f(d * KVALUES_IQ4NL[q >> 4]!);
    }
  }
};

/**
 * ggml_e8m0_to_fp32_half: an E8M0 exponent e as the float 2^(e − 128) (half the MX scale
 * 2^(e − 127), matching the doubled KVALUES_MXFP4); e = 0 and 1 are float32 subnormals.
 */
export function e8m0Half(e: number): number {
  return 2 ** (e - 128);
}

/** block_mxfp4 (17 bytes): E8M0 exponent, 16 bytes of E2M1 nibbles; x = k[q]·2^(e−128). */
export const decodeMXFP4: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 17, y += 32) {
    const d = e8m0Half(src[o]!);
    for (let j = 0; j < 16; j++) {
      const q = src[o + 1 + j]!;
      out[y + j] = f(KVALUES_MXFP4[q & 0x0f]! * d);
      out[y + j + 16] = f(KVALUES_MXFP4[q >> 4]! * d);
    }
  }
};
