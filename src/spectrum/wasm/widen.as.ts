/**
 * IEEE half-precision values widened to float64 (src/load/dtype.ts, the F16 widener), four
 * at a time. Each value is exact in float64, so any exact route gives the same bits as the
 * TypeScript twin's table and bit assembly: here each half becomes the float32 of the same
 * value (normal: its bits rebased; zero and subnormal: fraction · 2^-24), given the half's
 * sign, and promoted. A group holding ±∞ or NaN goes through the scalar twin of the table.
 *
 * Why here: ISNet's float16 weights are 44M values, widened on the main thread at 3.3 ns a
 * value by the JavaScript loop (its branch on the exponent mispredicts on the 4% of zeros and
 * subnormals), while the workers wait for them.
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

/** The n halves at S (2 bytes each, any alignment) as float64 at D. */
export function widenF16(S: usize, n: i32, D: usize): void {
  const magnitude = i32x4.splat(0x7fff);
  const sign = i32x4.splat(0x8000);
  const infinite = i32x4.splat(0x7c00);
  const normalMin = i32x4.splat(0x0400);
  // (127 − 15) << 23: the float32 exponent bias over the half's, added to the exponent field.
  const rebias = i32x4.splat(112 << 23);
  const subnormalUnit = f32x4.splat(<f32>5.960464477539063e-8);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const h = v128.load16x4_u(S + (<usize>i << 1));
    const a = v128.and(h, magnitude);
    if (v128.any_true(i32x4.ge_s(a, infinite))) {
      for (let j = i; j < i + 4; j++) store<f64>(D + (<usize>j << 3), halfValue(load<u16>(S + (<usize>j << 1))));
      continue;
    }
    // Normal: the same exponent and fraction, rebased (integer arithmetic on the bits). Zero
    // and subnormal: fraction · 2^-24, from the integer (no subnormal float32 is ever an
    // operand: x86 takes a microcode assist on each).
    const normal = i32x4.add(i32x4.shl(a, 13), rebias);
    const small = f32x4.mul(f32x4.convert_i32x4_s(a), subnormalUnit);
    const f = v128.or(v128.bitselect(small, normal, i32x4.lt_s(a, normalMin)), i32x4.shl(v128.and(h, sign), 16));
    v128.store(D + (<usize>i << 3), f64x2.promote_low_f32x4(f));
    v128.store(D + (<usize>i << 3) + 16, f64x2.promote_low_f32x4(i64x2.shuffle(f, f, 1, 0)));
  }
  for (; i < n; i++) store<f64>(D + (<usize>i << 3), halfValue(load<u16>(S + (<usize>i << 1))));
}

/** dtype.ts buildF16Table's value of the half h (a normal one assembled from its bits, exactly). */
function halfValue(h: u32): f64 {
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp == 0) return (h & 0x8000 ? -1 : 1) * <f64>frac * 5.960464477539063e-8;
  if (exp == 31) return frac == 0 ? (h & 0x8000 ? -Infinity : Infinity) : NaN;
  return reinterpret<f64>((<u64>(h & 0x8000) << 48) | (<u64>(exp + 1008) << 52) | (<u64>frac << 42));
}
