/**
 * The small Gram product G += AᵀA (gram.ts's gramLower), register-tiled.
 *
 * Every element is the same sum in the same order as the row-by-row rank-one accumulation
 * of gramLowerTs: G[i][j] starts from what G holds and adds A[r][i]·A[r][j] for r = 0, 1, …
 * one product at a time (no fused multiply-add in WebAssembly SIMD). Only the order in which
 * elements are visited changes, never the order within one element's sum, so G is the same
 * to the bit (test/spectrum/gram.test.ts).
 *
 * Why tiles: the former kernel passed over all of G for every four rows of A, so at M ≈ 480
 * (G = 1.8 MB, beyond L2) it moved G through memory N/4 times and ran at a third of
 * OpenBLAS's dsyrk on one core (bench/README.md, eleventh round). Here a 4×4 tile of G stays
 * in eight f64x2 registers while all the rows of the chunk go by (the GEMM micro-kernel of
 * Goto & van de Geijn, ACM TOMS 34 (2008)): per row of A, six loads for sixteen products.
 * The last M mod 4 rows of G are summed two columns at a time from A itself.
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

/**
 * G[i][j] += Σ_r A[r][i]·A[r][j] for j ≤ i < M, r = 0 … rows−1 in order; A row-major rows×M,
 * G row-major M×M (its upper triangle is not written). P: scratch for rows·M doubles.
 */
export function gramLowerRows(A: usize, rows: i32, M: i32, G: usize, P: usize): void {
  const ld = <usize>M << 3;
  const M4 = M & ~3;
  // A's columns in strips of four, each strip rows×4 contiguous: a tile then reads its two
  // strips as two streams of whole cache lines (256²: 0.83 ms, against 1.05 unpacked).
  const strip = <usize>rows << 5;
  for (let p = 0; p < M4; p += 4) {
    let src = A + (<usize>p << 3);
    let dst = P + <usize>(p >> 2) * strip;
    for (let r = 0; r < rows; r++) {
      v128.store(dst, v128.load(src));
      v128.store(dst + 16, v128.load(src + 16));
      src += ld;
      dst += 32;
    }
  }
  for (let i0 = 0; i0 < M4; i0 += 4) {
    for (let j0 = 0; j0 <= i0; j0 += 4) tile(P, rows, ld, G, i0, j0, strip);
  }
  for (let i = M4; i < M; i++) lastRow(A, rows, ld, G, i);
}

/**
 * Rows i0 … i0+3, columns j0 … j0+3 of G (j0 ≤ i0, both multiples of 4), from the packed
 * strips of P. On the diagonal (j0 = i0) the tile's upper part is computed but not stored.
 */
function tile(P: usize, rows: i32, ld: usize, G: usize, i0: i32, j0: i32, strip: usize): void {
  const g0 = G + <usize>i0 * ld + (<usize>j0 << 3);
  const g1 = g0 + ld;
  const g2 = g1 + ld;
  const g3 = g2 + ld;
  let c00 = v128.load(g0);
  let c01 = v128.load(g0 + 16);
  let c10 = v128.load(g1);
  let c11 = v128.load(g1 + 16);
  let c20 = v128.load(g2);
  let c21 = v128.load(g2 + 16);
  let c30 = v128.load(g3);
  let c31 = v128.load(g3 + 16);
  let a = P + <usize>(i0 >> 2) * strip;
  let b = P + <usize>(j0 >> 2) * strip;
  for (let r = 0; r < rows; r++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b + 16);
    const s0 = v128.load64_splat(a);
    const s1 = v128.load64_splat(a + 8);
    const s2 = v128.load64_splat(a + 16);
    const s3 = v128.load64_splat(a + 24);
    c00 = f64x2.add(c00, f64x2.mul(s0, b0));
    c01 = f64x2.add(c01, f64x2.mul(s0, b1));
    c10 = f64x2.add(c10, f64x2.mul(s1, b0));
    c11 = f64x2.add(c11, f64x2.mul(s1, b1));
    c20 = f64x2.add(c20, f64x2.mul(s2, b0));
    c21 = f64x2.add(c21, f64x2.mul(s2, b1));
    c30 = f64x2.add(c30, f64x2.mul(s3, b0));
    c31 = f64x2.add(c31, f64x2.mul(s3, b1));
    a += 32;
    b += 32;
  }
  if (j0 < i0) {
    v128.store(g0, c00);
    v128.store(g0 + 16, c01);
    v128.store(g1, c10);
    v128.store(g1 + 16, c11);
    v128.store(g2, c20);
    v128.store(g2 + 16, c21);
  } else {
    // The diagonal tile: row t keeps columns j0 … j0+t.
    store<f64>(g0, f64x2.extract_lane(c00, 0));
    v128.store(g1, c10);
    v128.store(g2, c20);
    store<f64>(g2 + 16, f64x2.extract_lane(c21, 0));
  }
  v128.store(g3, c30);
  v128.store(g3 + 16, c31);
}

/** Row i of G (the last M mod 4 rows), columns 0 … i, two at a time. */
function lastRow(A: usize, rows: i32, ld: usize, G: usize, i: i32): void {
  const gi = G + <usize>i * ld;
  const ai = A + (<usize>i << 3);
  let j = 0;
  for (; j + 2 <= i + 1; j += 2) {
    let c = v128.load(gi + (<usize>j << 3));
    let a = ai;
    let b = A + (<usize>j << 3);
    for (let r = 0; r < rows; r++) {
      c = f64x2.add(c, f64x2.mul(v128.load64_splat(a), v128.load(b)));
      a += ld;
      b += ld;
    }
    v128.store(gi + (<usize>j << 3), c);
  }
  if (j <= i) {
    let c = load<f64>(gi + (<usize>j << 3));
    let a = ai;
    let b = A + (<usize>j << 3);
    for (let r = 0; r < rows; r++) {
      c += load<f64>(a) * load<f64>(b);
      a += ld;
      b += ld;
    }
    store<f64>(gi + (<usize>j << 3), c);
  }
}

/**
 * out[r] = Σ_j A[r][j]² for r < rows (A row-major rows×M): a square W's rows' squared norms,
 * read from the chunk gramLowerRows is about to use, while it is in cache (accurate-first.ts
 * looks for a nearly dead row). A prediction, not a result: partial sums in any order.
 */
export function rowSquares(A: usize, rows: i32, M: i32, out: usize): void {
  const ld = <usize>M << 3;
  const M4 = M & ~3;
  for (let r = 0; r < rows; r++) {
    const row = A + <usize>r * ld;
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    for (let j = 0; j < M4; j += 4) {
      const x = v128.load(row + (<usize>j << 3));
      const y = v128.load(row + (<usize>j << 3) + 16);
      s0 = f64x2.add(s0, f64x2.mul(x, x));
      s1 = f64x2.add(s1, f64x2.mul(y, y));
    }
    const s = f64x2.add(s0, s1);
    let sum = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    for (let j = M4; j < M; j++) {
      const x = load<f64>(row + (<usize>j << 3));
      sum += x * x;
    }
    store<f64>(out + (<usize>r << 3), sum);
  }
}
