/**
 * QR of a tall panel by Householder reflectors (householder.ts), with the triangular factor
 * of their compact WY form Q = H₀H₁…H_{b−1} = I − V·T·Vᵀ (Schreiber & Van Loan 1989): LAPACK
 * dgeqr2 followed by dlarft (forward, columnwise); Golub & Van Loan, Matrix Computations,
 * 4th ed., §5.2.2–5.2.3. Stage one of the band reduction (band-reduce.ts) factors one panel
 * per step with it. wasm/kernels.as.ts has the same kernel in WebAssembly SIMD, used when
 * available; this is the fallback where WebAssembly SIMD is missing (see wasm.ts).
 */
import { householder } from './householder.js';
import { wasmKernels, wasmScratch } from './wasm.js';

/**
 * QR of the m×b panel stored column-major in `P` (column t at P[t·m … t·m+m−1]).
 * On return P holds V (unit lower trapezoidal; the implicit 1s and the zeros above are
 * written explicitly), `R` (b×b row-major, upper triangle) the triangular factor, and
 * `T` (b×b row-major, upper triangular) such that H₀H₁…H_{b−1} = I − V·T·Vᵀ.
 */
export function panelQR(P: Float64Array, m: number, b: number, R: Float64Array, T: Float64Array): void {
  R.fill(0);
  T.fill(0);
  const out = { beta: 0 };
  const k = Math.min(m, b);
  const tau = new Float64Array(b);
  for (let t = 0; t < k; t++) {
    const ct = t * m;
    const tt = householder(P, ct + t, m - t, out);
    tau[t] = tt;
    // R's column t above the diagonal is final now.
    for (let i = 0; i < t; i++) R[i * b + t] = P[ct + i]!;
    R[t * b + t] = out.beta;
    P[ct + t] = 1;
    for (let i = 0; i < t; i++) P[ct + i] = 0;
    if (tt === 0) continue;
    // Apply H_t to the remaining columns: P_s −= τ (vᵀ P_s) v over rows t…m−1.
    for (let s = t + 1; s < b; s++) {
      const cs = s * m;
      let dot = 0;
      for (let i = t; i < m; i++) dot += P[ct + i]! * P[cs + i]!;
      dot *= tt;
      if (dot === 0) continue;
      for (let i = t; i < m; i++) P[cs + i]! -= dot * P[ct + i]!;
    }
  }
  for (let t = k; t < b; t++) {
    // No reflector for these columns (m < b): what is left above row m is R, v = 0.
    const ct = t * m;
    for (let i = 0; i < m; i++) R[i * b + t] = P[ct + i]!;
    for (let i = 0; i < m; i++) P[ct + i] = 0;
  }
  // T, forward and columnwise: T[0:t, t] = −τ_t · T[0:t, 0:t] · (V[:, 0:t]ᵀ v_t).
  const z = new Float64Array(b);
  for (let t = 0; t < k; t++) {
    const tt = tau[t]!;
    T[t * b + t] = tt;
    if (tt === 0) continue;
    const ct = t * m;
    for (let j = 0; j < t; j++) {
      const cj = j * m;
      let dot = 0;
      for (let i = t; i < m; i++) dot += P[cj + i]! * P[ct + i]!;
      z[j] = dot;
    }
    for (let i = 0; i < t; i++) {
      let s = 0;
      for (let j = i; j < t; j++) s += T[i * b + j]! * z[j]!;
      T[i * b + t] = -tt * s;
    }
  }
}

/** A panel's QR, copied out of kernel memory: Vᵀ (b×m row-major, = V column-major), R, T. */
export interface PanelFactors {
  readonly VT: Float64Array;
  readonly R: Float64Array;
  readonly T: Float64Array;
}

/**
 * panelQR in WebAssembly SIMD when available (the 'svd' instance: the accurate route's
 * threads), else in TypeScript, for callers that await between panels (upper-band-reduce.ts,
 * tall-qr.ts): the factors are copied out, since a synchronous kernel may reuse the memory
 * meanwhile. `fill` writes the m×b column-major panel.
 */
export function panelQrFactors(m: number, b: number, fill: (P: Float64Array) => void): PanelFactors {
  const k = wasmKernels('svd');
  const size = m * b + 2 * b * b;
  const mem = k ? wasmScratch(k, size + 2 * b) : new Float64Array(size);
  const P = mem.subarray(0, m * b);
  const R = mem.subarray(m * b, m * b + b * b);
  const T = mem.subarray(m * b + b * b, size);
  fill(P);
  if (!k) {
    panelQR(P, m, b, R, T);
    return { VT: P, R, T }; // a fresh array of its own: nothing to copy out
  }
  k.panelQR(0, m, b, R.byteOffset, T.byteOffset, T.byteOffset + b * b * 8, T.byteOffset + b * b * 8 + b * 8);
  return { VT: P.slice(), R: R.slice(), T: T.slice() };
}
