/**
 * Stage one of the two-stage tridiagonalisation: dense symmetric → band of half-width b
 * (successive band reduction, Bischof, Lang & Sun, ACM TOMS 26 (2000); the two-stage
 * eigensolvers of Haidar, Ltaief & Dongarra, SC'11). Panel j (columns c … c+b−1) is
 * reduced by a QR of the block below its diagonal block, Q = I − V·T·Vᵀ (householder.ts),
 * and the trailing matrix becomes QᵀÃQ = Ã − V·Zᵀ − Z·Vᵀ with Y = Ã·V·T and
 * Z = Y − ½·V·(Tᵀ·Vᵀ·Y) (Golub & Van Loan §8.3.3 with the WY form of §5.2.3).
 *
 * The trailing matrix is never updated in place ("left-looking", as in LAPACK's dlatrd):
 * Ã = A − Σ V_p Z_pᵀ + Z_p V_pᵀ is applied lazily inside each product. All the O(n³) work
 * is then a handful of float64 GEMMs whose outputs are only n×b panels, run by
 * onnxruntime (ort.ts): large outputs would be copied into fresh memory by the runtime's
 * binding, and fresh memory costs ~3 ns/byte on the target machine (first-touch faults).
 */
import type { OrtBackend, OrtTensor } from './ort.js';
import type { GraphSpec, NodeSpec } from './onnx-model.js';
import { panelQR } from './householder.js';
import { wasmKernels, wasmScratch } from './wasm.js';

/**
 * A symmetric band matrix in lower band storage: column j holds A[j+d, j] at
 * band[j·ld + d], d = 0 … ld−1. `ld` leaves room for the bulges of stage two.
 */
export interface BandMatrix {
  readonly band: Float64Array;
  readonly n: number;
  /** Half-bandwidth: A[i, j] = 0 for |i − j| > b. */
  readonly b: number;
  readonly ld: number;
}

export function emptyBand(n: number, b: number): BandMatrix {
  const ld = 2 * b + 1;
  return { band: new Float64Array(n * ld), n, b, ld };
}

/** Recompact the lazily-updated state once the dead leading columns are this fraction of it. */
const COMPACT_FRACTION = 1 / 16;

/** Reduces the symmetric n×n row-major A (both triangles; overwritten) to band form. */
export async function reduceToBand(ort: OrtBackend, A: Float64Array, n: number, b: number): Promise<BandMatrix> {
  const out = emptyBand(n, b);
  const { band, ld } = out;
  if (n <= b + 1) {
    for (let j = 0; j < n; j++) for (let i = j; i < n; i++) band[j * ld + i - j] = A[i * n + j]!;
    return out;
  }
  const utCapacity = planCapacity(n, b);
  const UT = new Float64Array(utCapacity);
  const Vw = new Float64Array(n * b);
  // The panel QR runs in WebAssembly SIMD when available: P, R, T live in its memory.
  const kernels = wasmKernels();
  const mem = kernels ? wasmScratch(kernels, n * b + 2 * b * b + 2 * b) : new Float64Array(n * b + 2 * b * b);
  const Pc = mem.subarray(0, n * b);
  const R = mem.subarray(n * b, n * b + b * b);
  const T = mem.subarray(n * b + b * b, n * b + 2 * b * b);
  const qr = kernels
    ? (m: number) => kernels.panelQR(0, m, b, R.byteOffset, T.byteOffset, T.byteOffset + b * b * 8, T.byteOffset + b * b * 8 + b * 8)
    : (m: number) => panelQR(Pc, m, b, R, T);
  const Acol = new Float64Array(n * b);
  let base = 0;
  let w = n;
  // F: columns c … c+bf−1 of the current Ã, rows c … n−1, row-major (n−c)×bf.
  let F: Float64Array = new Float64Array(n * b);
  let bf = b;
  for (let i = 0; i < n; i++) for (let t = 0; t < b; t++) F[i * b + t] = A[i * n + t]!;

  for (let j = 0; ; j++) {
    const c = j * b;
    const nc = n - c;
    if (nc <= b) {
      // The last diagonal block: all of it lies inside the band.
      for (let t = 0; t < nc; t++) for (let i = t; i < nc; i++) band[(c + t) * ld + i - t] = F[i * bf + t]!;
      break;
    }
    const r = c + b;
    const m = n - r;
    for (let t = 0; t < b; t++) for (let i = t; i < b; i++) band[(c + t) * ld + i - t] = F[i * bf + t]!;
    for (let t = 0; t < b; t++) {
      const ct = t * m;
      for (let i = 0; i < m; i++) Pc[ct + i] = F[(b + i) * bf + t]!;
    }
    qr(m);
    for (let t = 0; t < b; t++) {
      for (let i = 0; i <= Math.min(t, m - 1); i++) band[(c + t) * ld + b + i - t] = R[i * b + t]!;
    }

    // Products with the trailing matrix, in the compact frame (global index − base).
    const off = r - base;
    const nextBf = Math.min(b, m);
    Vw.fill(0, 0, off * b);
    for (let i = 0; i < m; i++) for (let t = 0; t < b; t++) Vw[(off + i) * b + t] = Pc[t * m + i]!;
    for (let i = 0; i < m; i++) {
      const row = (off + i) * w + off;
      for (let t = 0; t < nextBf; t++) Acol[i * nextBf + t] = A[row + t]!;
    }
    const feeds: Record<string, OrtTensor> = {
      Arows: ort.tensor(A.subarray(off * w, w * w), [m, w]),
      Vw: ort.tensor(Vw.subarray(0, w * b), [w, b]),
      V: ort.tensor(Vw.subarray(off * b, w * b), [m, b]),
      T: ort.tensor(T, [b, b]),
      Acol: ort.tensor(Acol.subarray(0, m * nextBf), [m, nextBf]),
      k0: ort.int64([0]),
      kbf: ort.int64([nextBf]),
      ax0: ort.int64([0]),
    };
    let key = `band0:${b}`;
    let build = () => bandGraph(false);
    if (c > 0) {
      const rows = 2 * c;
      const Fc = new Float64Array(rows * nextBf);
      for (let p = 0; p < j; p++) {
        for (let t = 0; t < b; t++) {
          const vRow = (2 * p * b + t) * w + off;
          const zRow = (2 * p * b + b + t) * w + off;
          for (let s = 0; s < nextBf; s++) {
            Fc[(2 * p * b + t) * nextBf + s] = UT[zRow + s]!;
            Fc[(2 * p * b + b + t) * nextBf + s] = UT[vRow + s]!;
          }
        }
      }
      Object.assign(feeds, {
        UT: ort.tensor(UT.subarray(0, rows * w), [rows, w]),
        Fc: ort.tensor(Fc, [rows, nextBf]),
        off: ort.int64([off]),
        end: ort.int64([w]),
        shape4: ort.int64([j, 2, b, b]),
        shape2: ort.int64([rows, b]),
        swap: ort.int64([1, 0]),
        kb: ort.int64([b]),
        kbb: ort.int64([b + nextBf]),
        ax1: ort.int64([1]),
      });
      key = `band:${b}`;
      build = () => bandGraph(true);
    }
    const res = await ort.run(key, build, feeds);
    const Z = res.Z!;
    F = res.F!;
    bf = nextBf;

    // Append V and Z (as rows, transposed) to the lazy state.
    const vBase = 2 * c * w;
    const zBase = (2 * c + b) * w;
    for (let t = 0; t < b; t++) {
      UT.fill(0, vBase + t * w, vBase + t * w + off);
      UT.fill(0, zBase + t * w, zBase + t * w + off);
      const ct = t * m;
      for (let i = 0; i < m; i++) {
        UT[vBase + t * w + off + i] = Pc[ct + i]!;
        UT[zBase + t * w + off + i] = Z[i * b + t]!;
      }
    }
    if (m > b && off >= w * COMPACT_FRACTION) {
      // Drop the dead leading rows/columns: A → A[off:, off:], UT → UT[:, off:].
      const w2 = w - off;
      for (let i = 0; i < w2; i++) A.copyWithin(i * w2, (i + off) * w + off, (i + off) * w + w);
      const rows = 2 * (c + b);
      for (let k = 0; k < rows; k++) UT.copyWithin(k * w2, k * w + off, k * w + w);
      base = r;
      w = w2;
    }
  }
  return out;
}

/** Largest UT the schedule above needs: 2(c+b) rows of the compact width, over all panels. */
function planCapacity(n: number, b: number): number {
  let base = 0;
  let w = n;
  let cap = 0;
  for (let j = 0; ; j++) {
    const c = j * b;
    if (n - c <= b) break;
    const r = c + b;
    const m = n - r;
    cap = Math.max(cap, 2 * (c + b) * w);
    const off = r - base;
    if (m > b && off >= w * COMPACT_FRACTION) {
      base = r;
      w -= off;
    }
  }
  return cap;
}

/**
 * The per-panel graph. Inputs: Arows = A[r:, base:] (m×w), Vw = V padded to the compact
 * width, V, T, Acol = A[r:, r:r+bf]; with history (lazy) also UT (2c×w: per panel p the
 * rows of V_pᵀ then Z_pᵀ) and Fc (UT's columns r…r+bf with each panel's V and Z rows swapped).
 * Outputs Z (m×b) and F = the next panel's columns of QᵀÃQ (m×bf).
 */
function bandGraph(lazy: boolean): GraphSpec {
  const nodes: NodeSpec[] = [{ op: 'MatMul', inputs: ['Arows', 'Vw'], outputs: ['AV'] }];
  let y0 = 'AV';
  let f0 = 'Acol';
  if (lazy) {
    nodes.push(
      // Σ_p V_p(Z_pᵀX) + Z_p(V_pᵀX) = UTᵀ·swap(UT·X), for X = V and X = the next columns.
      { op: 'MatMul', inputs: ['UT', 'Vw'], outputs: ['PX'] },
      { op: 'Reshape', inputs: ['PX', 'shape4'], outputs: ['P4'] },
      { op: 'Gather', inputs: ['P4', 'swap'], outputs: ['PS'], attributes: { axis: 1 } },
      { op: 'Reshape', inputs: ['PS', 'shape2'], outputs: ['P2'] },
      { op: 'Concat', inputs: ['P2', 'Fc'], outputs: ['G'], attributes: { axis: 1 } },
      { op: 'Gemm', inputs: ['UT', 'G'], outputs: ['C'], attributes: { transA: 1 } },
      { op: 'Slice', inputs: ['C', 'off', 'end', 'ax0'], outputs: ['Cs'] },
      { op: 'Slice', inputs: ['Cs', 'k0', 'kb', 'ax1'], outputs: ['Cc'] },
      { op: 'Slice', inputs: ['Cs', 'kb', 'kbb', 'ax1'], outputs: ['Cf'] },
      { op: 'Sub', inputs: ['AV', 'Cc'], outputs: ['Y0'] },
      { op: 'Sub', inputs: ['Acol', 'Cf'], outputs: ['F0'] },
    );
    y0 = 'Y0';
    f0 = 'F0';
  }
  nodes.push(
    { op: 'MatMul', inputs: [y0, 'T'], outputs: ['Y'] },
    { op: 'Gemm', inputs: ['V', 'Y'], outputs: ['Wm'], attributes: { transA: 1 } },
    { op: 'Gemm', inputs: ['T', 'Wm'], outputs: ['U'], attributes: { transA: 1 } },
    { op: 'Gemm', inputs: ['V', 'U', 'Y'], outputs: ['Z'], attributes: { alpha: { float: -0.5 }, beta: { float: 1 } } },
    { op: 'Slice', inputs: ['Z', 'k0', 'kbf', 'ax0'], outputs: ['Z0'] },
    { op: 'Slice', inputs: ['V', 'k0', 'kbf', 'ax0'], outputs: ['V0'] },
    { op: 'Gemm', inputs: ['V', 'Z0', f0], outputs: ['F1'], attributes: { transB: 1, alpha: { float: -1 }, beta: { float: 1 } } },
    { op: 'Gemm', inputs: ['Z', 'V0', 'F1'], outputs: ['F'], attributes: { transB: 1, alpha: { float: -1 }, beta: { float: 1 } } },
  );
  const f = (name: string, dims: (number | string)[]) => ({ name, dims });
  const i64 = (name: string) => ({ name, dims: ['k' + name], int64: true });
  const inputs = [
    f('Arows', ['m', 'w']),
    f('Vw', ['w', 'b']),
    f('V', ['m', 'b']),
    f('T', ['b', 'b']),
    f('Acol', ['m', 'bf']),
    i64('k0'),
    i64('kbf'),
    i64('ax0'),
  ];
  if (lazy) {
    inputs.push(f('UT', ['c2', 'w']), f('Fc', ['c2', 'bf']));
    for (const s of ['off', 'end', 'shape4', 'shape2', 'swap', 'kb', 'kbb', 'ax1']) inputs.push(i64(s));
  }
  return { inputs, outputs: [f('Z', ['m', 'b']), f('F', ['m', 'bf'])], nodes };
}
