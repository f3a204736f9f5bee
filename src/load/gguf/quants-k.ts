/**
 * Dequantization of ggml's 256-element super-block types (the k-quants Q2_K … Q6_K and
 * IQ4_XS) to float64, value for value as ggml's reference `dequantize_row_*`
 * (ggml/src/ggml-quants.c; layouts in ggml-common.h; cross-checked with llama.cpp's
 * gguf-py/gguf/quants.py). As in quants-32.ts, every float32 operation of ggml is one
 * Math.fround here, in ggml's order, so the values are ggml's bit for bit.
 *
 * Each decoder decodes out.length / 256 whole super-blocks from the start of `src`.
 */
import { type BlockDecoder, KVALUES_IQ4NL, half } from './quants-32.js';

const f = Math.fround;

/**
 * block_q2_K (84 bytes): 16 scale bytes (low nibble: scale, high nibble: min), 64 bytes of
 * 2-bit quants, f16 d, f16 dmin; sub-block of 16: x = (d·sc)·q − (dmin·m).
 */
export const decodeQ2_K: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 84) {
    const d = half(src, o + 80);
    const min = half(src, o + 82);
    let is = 0;
    for (let n = 0; n < 256; n += 128) {
      const q = o + 16 + n / 4;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half16 = 0; half16 < 32; half16 += 16) {
          const sc = src[o + is++]!;
          const dl = f(d * (sc & 0x0f));
          const ml = f(min * (sc >> 4));
          for (let l = 0; l < 16; l++) out[y++] = f(f(dl * ((src[q + half16 + l]! >> shift) & 3)) - ml);
        }
      }
    }
  }
};

/**
 * The 16 signed 6-bit scales of block_q3_K, packed in 12 bytes: bytes 0–7 hold the low
 * nibbles (scales 0–7 in the low halves, 8–15 in the high halves), bytes 8–11 the top two
 * bits (scale i: byte 8 + i % 4, bits 2·⌊i/4⌋); each is stored + 32.
 */
export function q3Scale(src: Uint8Array, at: number, i: number): number {
  const low = i < 8 ? src[at + i]! & 0x0f : src[at + i - 8]! >> 4;
  const high = (src[at + 8 + (i % 4)]! >> (2 * Math.floor(i / 4))) & 3;
  return (low | (high << 4)) - 32;
}

/**
 * block_q3_K (110 bytes): 32 bytes of high bits (hmask), 64 bytes of low 2 bits, 12 scale
 * bytes, f16 d; x = (d·s)·(q − (hmask bit ? 0 : 4)).
 */
export const decodeQ3_K: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 110) {
    const d = half(src, o + 108);
    let is = 0;
    let m = 1;
    for (let n = 0; n < 256; n += 128) {
      const q = o + 32 + n / 4;
      for (let shift = 0; shift < 8; shift += 2, m <<= 1) {
        for (let half16 = 0; half16 < 32; half16 += 16) {
          const dl = f(d * q3Scale(src, o + 96, is++));
          for (let l = 0; l < 16; l++) {
            const low = (src[q + half16 + l]! >> shift) & 3;
            const high = src[o + half16 + l]! & m ? 0 : 4;
            out[y++] = f(dl * (low - high));
          }
        }
      }
    }
  }
};

/**
 * get_scale_min_k4: scale and min j (0–7) of a Q4_K/Q5_K block, 6 bits each, packed in the
 * 12 bytes at `at` (j < 4: low 6 bits of bytes j and j + 4; else nibbles of byte j + 4 and
 * the top 2 bits of bytes j − 4 and j).
 */
export function scaleMin(src: Uint8Array, at: number, j: number): [number, number] {
  if (j < 4) return [src[at + j]! & 63, src[at + j + 4]! & 63];
  const sc = (src[at + j + 4]! & 0x0f) | ((src[at + j - 4]! >> 6) << 4);
  const m = (src[at + j + 4]! >> 4) | ((src[at + j]! >> 6) << 4);
  return [sc, m];
}

/**
 * block_q4_K (144 bytes): f16 d, f16 dmin, 12 scale bytes, 128 bytes of nibbles; sub-block
 * of 32: x = (d·sc)·q − (dmin·m).
 */
export const decodeQ4_K: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 144) {
    const d = half(src, o);
    const min = half(src, o + 2);
    for (let j = 0, q = o + 16; j < 8; j += 2, q += 32) {
      const [s1, m1] = scaleMin(src, o + 4, j);
      const [s2, m2] = scaleMin(src, o + 4, j + 1);
      const d1 = f(d * s1);
      const dm1 = f(min * m1);
      const d2 = f(d * s2);
      const dm2 = f(min * m2);
      for (let l = 0; l < 32; l++) out[y++] = f(f(d1 * (src[q + l]! & 0x0f)) - dm1);
      for (let l = 0; l < 32; l++) out[y++] = f(f(d2 * (src[q + l]! >> 4)) - dm2);
    }
  }
};

/**
 * block_q5_K (176 bytes): f16 d, f16 dmin, 12 scale bytes, 32 bytes of fifth bits, 128
 * bytes of nibbles; as Q4_K with q + 16 where the fifth bit is set.
 */
export const decodeQ5_K: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 176) {
    const d = half(src, o);
    const min = half(src, o + 2);
    const qh = o + 16;
    for (let j = 0, q = o + 48, u1 = 1, u2 = 2; j < 8; j += 2, q += 32, u1 <<= 2, u2 <<= 2) {
      const [s1, m1] = scaleMin(src, o + 4, j);
      const [s2, m2] = scaleMin(src, o + 4, j + 1);
      const d1 = f(d * s1);
      const dm1 = f(min * m1);
      const d2 = f(d * s2);
      const dm2 = f(min * m2);
      for (let l = 0; l < 32; l++) {
        out[y++] = f(f(d1 * ((src[q + l]! & 0x0f) + (src[qh + l]! & u1 ? 16 : 0))) - dm1);
      }
      for (let l = 0; l < 32; l++) {
        out[y++] = f(f(d2 * ((src[q + l]! >> 4) + (src[qh + l]! & u2 ? 16 : 0))) - dm2);
      }
    }
  }
};

/** The int8 at src[i]. */
const i8 = (src: Uint8Array, i: number): number => (src[i]! < 128 ? src[i]! : src[i]! - 256);

/**
 * block_q6_K (210 bytes): 128 bytes of low nibbles, 64 bytes of top 2 bits, 16 int8 scales,
 * f16 d; sub-block of 16: x = (d·sc)·(q − 32).
 */
export const decodeQ6_K: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 210) {
    const d = half(src, o + 208);
    for (let n = 0; n < 2; n++, y += 128) {
      const ql = o + 64 * n;
      const qh = o + 128 + 32 * n;
      const sc = o + 192 + 8 * n;
      for (let l = 0; l < 32; l++) {
        const is = l >> 4;
        const h = src[qh + l]!;
        const q1 = ((src[ql + l]! & 0x0f) | ((h & 3) << 4)) - 32;
        const q2 = ((src[ql + l + 32]! & 0x0f) | (((h >> 2) & 3) << 4)) - 32;
        const q3 = ((src[ql + l]! >> 4) | (((h >> 4) & 3) << 4)) - 32;
        const q4 = ((src[ql + l + 32]! >> 4) | (((h >> 6) & 3) << 4)) - 32;
        out[y + l] = f(f(d * i8(src, sc + is)) * q1);
        out[y + l + 32] = f(f(d * i8(src, sc + is + 2)) * q2);
        out[y + l + 64] = f(f(d * i8(src, sc + is + 4)) * q3);
        out[y + l + 96] = f(f(d * i8(src, sc + is + 6)) * q4);
      }
    }
  }
};

/**
 * block_iq4_xs (136 bytes): f16 d, u16 of high scale bits, 4 bytes of low scale nibbles,
 * 128 bytes of nibbles indexing KVALUES_IQ4NL; sub-block of 32: x = (d·(ls − 32))·k[q].
 */
export const decodeIQ4_XS: BlockDecoder = (src, out) => {
  for (let o = 0, y = 0; y < out.length; o += 136) {
    const d = half(src, o);
    const scalesH = src[o + 2]! | (src[o + 3]! << 8);
    for (let ib = 0; ib < 8; ib++, y += 32) {
      const ls = ((src[o + 4 + (ib >> 1)]! >> (4 * (ib % 2))) & 0x0f) | (((scalesH >> (2 * ib)) & 3) << 4);
      const dl = f(d * (ls - 32));
      const qs = o + 8 + 16 * ib;
      for (let j = 0; j < 16; j++) {
        out[y + j] = f(dl * KVALUES_IQ4NL[src[qs + j]! & 0x0f]!);
        out[y + j + 16] = f(dl * KVALUES_IQ4NL[src[qs + j]! >> 4]!);
      }
    }
  }
};
