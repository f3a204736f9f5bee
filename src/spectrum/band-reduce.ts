/**
 * Stage one of the two-stage tridiagonalisation: dense symmetric → band of half-width b
 * (successive band reduction, Bischof, Lang & Sun, ACM TOMS 26 (2000); the two-stage
 * eigensolvers of Haidar, Ltaief & Dongarra, SC'11). Panel j (columns c … c+b−1) is
 * reduced by a QR of the block below its diagonal block, Q = I − V·T·Vᵀ (panel-qr.ts),
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
import { panelQR } from './panel-qr.js';
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

/**
 * Recompact the lazily-updated state once the dead leading columns are this fraction of
 * its width: copying costs w² moves, carrying dead columns costs ~w·b flops per panel.
 */
export const COMPACT_FRACTION = 1 / 6;

/** Reduces the symmetric n×n row-major A (both triangles; overwritten) to band form. */
export async function reduceToBand(ort: OrtBackend, A: Float64Array, n: number, b: number): Promise<BandMatrix> {
  const out = emptyBand(n, b);
  const { band, ld } = out;
  if (n <= b + 1) {
    blockToBand(A, n, band, ld, 0, n);
    return out;
  }
  // UT holds, per reduced panel p, the rows V_pᵀ then Z_pᵀ (b each) in the compact frame
  // (global index − base), followed by the current panel's Vᵀ while its graph runs.
  // Allocated per matrix, not kept in a Workspace: it must not coexist with the next
  // matrix's input (the memory budget is 3× the largest input).
  const UT = new Float64Array(planCapacity(n, b));
  // The panel QR runs in WebAssembly SIMD when available: P, R, T live in its memory.
  const kernels = wasmKernels();
  const mem = kernels ? wasmScratch(kernels, n * b + 2 * b * b + 2 * b) : new Float64Array(n * b + 2 * b * b);
  const Pc = mem.subarray(0, n * b);
  const R = mem.subarray(n * b, n * b + b * b);
  const T = mem.subarray(n * b + b * b, n * b + 2 * b * b);
  const qr = kernels
    ? (m: number) =>
        kernels.panelQR(0, m, b, R.byteOffset, T.byteOffset, T.byteOffset + b * b * 8, T.byteOffset + b * b * 8 + b * 8)
    : (m: number) => panelQR(Pc, m, b, R, T);
  let base = 0;
  let w = n;
  // F: columns c … c+bf−1 of the current Ã, rows c … n−1, row-major (n−c)×bf.
  let F = leadingColumns(A, n, b);
  let bf = b;

  for (let j = 0; ; j++) {
    const c = j * b;
    const nc = n - c;
    if (nc <= b) {
      // The last diagonal block: all of it lies inside the band.
      blockToBand(F, bf, band, ld, c, nc);
      break;
    }
    const r = c + b;
    const m = n - r;
    blockToBand(F, bf, band, ld, c, b);
    packPanel(F, bf, Pc, b, m);
    qr(m);
    rToBand(R, band, ld, c, b, m);

    // Vᵀ as UT's next b rows (zero before the panel's first row r, i.e. before `off`).
    const off = r - base;
    const nextBf = Math.min(b, m);
    const vRows = 2 * c;
    appendRows(UT, vRows, w, off, Pc, b, m);
    const res = await runPanel(ort, A, UT, T, { j, b, m, w, off, nextBf });
    F = res.F!;
    bf = nextBf;

    // Zᵀ after Vᵀ: the panel joins the lazy state.
    appendRows(UT, vRows + b, w, off, res.ZT!, b, m);
    if (m > b && off >= w * COMPACT_FRACTION) {
      // Drop the dead leading rows/columns: A → A[off:, off:], UT → UT[:, off:].
      compact(A, UT, w, off, 2 * (c + b));
      base = r;
      w -= off;
    }
  }
  return out;
}

/*
 * The panel loop's copies, each a function of its own: the async reduceToBand stays small, so
 * V8 compiles it in a few milliseconds per thread instead of 45–85 (ISNet: four compiles of
 * 45–85 ms, `node --trace-opt`), and each loop is compiled once, whichever panel runs it first.
 */

/** Columns 0 … b−1 of the n×n A, row-major n×b. */
function leadingColumns(A: Float64Array, n: number, b: number): Float64Array {
  const F = new Float64Array(n * b);
  for (let i = 0; i < n; i++) for (let t = 0; t < b; t++) F[i * b + t] = A[i * n + t]!;
  return F;
}

/** Rows t … cols−1 of columns t < cols of the block F (row-major, width bf) into the band at column c. */
function blockToBand(F: Float64Array, bf: number, band: Float64Array, ld: number, c: number, cols: number): void {
  for (let t = 0; t < cols; t++) for (let i = t; i < cols; i++) band[(c + t) * ld + i - t] = F[i * bf + t]!;
}

/** The panel below the diagonal block (rows b … b+m−1 of F) into Pc, column-major m×b. */
function packPanel(F: Float64Array, bf: number, Pc: Float64Array, b: number, m: number): void {
  for (let i = 0; i < m; i++) {
    const row = (b + i) * bf;
    for (let t = 0; t < b; t++) Pc[t * m + i] = F[row + t]!;
  }
}

/** The QR's triangle R (b×b row-major, upper) below the diagonal block of columns c … c+b−1. */
function rToBand(R: Float64Array, band: Float64Array, ld: number, c: number, b: number, m: number): void {
  for (let t = 0; t < b; t++) {
    for (let i = 0; i <= Math.min(t, m - 1); i++) band[(c + t) * ld + b + i - t] = R[i * b + t]!;
  }
}

/** b rows of length m from src (row t at t·m) into UT from row `first`, after `off` zeros. */
function appendRows(
  UT: Float64Array,
  first: number,
  w: number,
  off: number,
  src: Float64Array,
  b: number,
  m: number,
): void {
  for (let t = 0; t < b; t++) {
    const row = (first + t) * w;
    UT.fill(0, row, row + off);
    UT.set(src.subarray(t * m, t * m + m), row + off);
  }
}

/** A → A[off:, off:] and the first `rows` rows of UT → UT[:, off:], both of width w − off. */
function compact(A: Float64Array, UT: Float64Array, w: number, off: number, rows: number): void {
  const w2 = w - off;
  for (let i = 0; i < w2; i++) A.copyWithin(i * w2, (i + off) * w + off, (i + off) * w + w);
  for (let k = 0; k < rows; k++) UT.copyWithin(k * w2, k * w + off, k * w + w);
}

/** Where the panel loop stands: panel j (columns j·b …), its m rows below, the compact frame. */
interface PanelStep {
  readonly j: number;
  readonly b: number;
  readonly m: number;
  readonly w: number;
  readonly off: number;
  readonly nextBf: number;
}

/** One panel's graph (bandGraph): Zᵀ and the next panel's columns F. */
function runPanel(
  ort: OrtBackend,
  A: Float64Array,
  UT: Float64Array,
  T: Float64Array,
  step: PanelStep,
): Promise<Record<string, Float64Array>> {
  const { j, b, m, w, off, nextBf } = step;
  // UT's rows so far: V_pᵀ and Z_pᵀ of the j panels before this one.
  const vRows = 2 * j * b;
  const feeds: Record<string, OrtTensor> = {
    Arows: ort.tensor(A.subarray(off * w, w * w), [m, w]),
    VwT: ort.tensor(UT.subarray(vRows * w, (vRows + b) * w), [b, w]),
    T: ort.tensor(T, [b, b]),
    off: ort.int64([off]),
    offbf: ort.int64([off + nextBf]),
    end: ort.int64([w]),
    k0: ort.int64([0]),
    kbf: ort.int64([nextBf]),
    ax0: ort.int64([0]),
    ax1: ort.int64([1]),
  };
  if (j === 0) return ort.run(`band0:${b}`, () => bandGraph(false), feeds);
  Object.assign(feeds, {
    UT: ort.tensor(UT.subarray(0, vRows * w), [vRows, w]),
    shape4: ort.int64([j, 2, b, b + nextBf]),
    shape2: ort.int64([vRows, b + nextBf]),
    swap: ort.int64([1, 0]),
    kb: ort.int64([b]),
    kbb: ort.int64([b + nextBf]),
  });
  return ort.run(`band:${b}`, () => bandGraph(true), feeds);
}

/** Compiles the per-panel graphs for half-bandwidth b ahead of the first matrix. */
export async function prepareBandGraphs(ort: OrtBackend, b: number): Promise<void> {
  await ort.prepare(`band0:${b}`, () => bandGraph(false));
  await ort.prepare(`band:${b}`, () => bandGraph(true));
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
 * The per-panel graph, in the compact frame (off = r − base). Inputs: Arows = A[r:, base:]
 * (m×w), VwT = Vᵀ padded with zeros to the compact width (b×w), T; with history (lazy)
 * UT = rows V_pᵀ, Z_pᵀ of the earlier panels (2c×w). Outputs Zᵀ (b×m) and F, the next
 * panel's columns of QᵀÃQ (m×bf), bf = min(b, m).
 */
function bandGraph(lazy: boolean): GraphSpec {
  const nodes: NodeSpec[] = [
    { op: 'Slice', inputs: ['VwT', 'off', 'end', 'ax1'], outputs: ['VT'] },
    { op: 'Gemm', inputs: ['Arows', 'VwT'], outputs: ['AV'], attributes: { transB: 1 } },
    { op: 'Slice', inputs: ['Arows', 'off', 'offbf', 'ax1'], outputs: ['Acol'] },
  ];
  let y0 = 'AV';
  let f0 = 'Acol';
  if (lazy) {
    nodes.push(
      // Σ_p V_p(Z_pᵀX) + Z_p(V_pᵀX) = UTᵀ·swap(UT·X), for X = V and for X = the next
      // panel's columns (whose UT·X is a plain slice of UT).
      { op: 'Gemm', inputs: ['UT', 'VwT'], outputs: ['PX'], attributes: { transB: 1 } },
      { op: 'Slice', inputs: ['UT', 'off', 'offbf', 'ax1'], outputs: ['UC'] },
      { op: 'Concat', inputs: ['PX', 'UC'], outputs: ['Gc'], attributes: { axis: 1 } },
      { op: 'Reshape', inputs: ['Gc', 'shape4'], outputs: ['G4'] },
      { op: 'Gather', inputs: ['G4', 'swap'], outputs: ['GS'], attributes: { axis: 1 } },
      { op: 'Reshape', inputs: ['GS', 'shape2'], outputs: ['G'] },
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
    // Y = Ã·V·T, Z = Y − ½·V·(Tᵀ·(Vᵀ·Y)); F = F0 − V·Z[0:bf]ᵀ − Z·V[0:bf]ᵀ.
    { op: 'MatMul', inputs: [y0, 'T'], outputs: ['Y'] },
    { op: 'MatMul', inputs: ['VT', 'Y'], outputs: ['Wm'] },
    { op: 'Gemm', inputs: ['T', 'Wm'], outputs: ['U'], attributes: { transA: 1 } },
    {
      op: 'Gemm',
      inputs: ['VT', 'U', 'Y'],
      outputs: ['Z'],
      attributes: { transA: 1, alpha: { float: -0.5 }, beta: { float: 1 } },
    },
    { op: 'Slice', inputs: ['Z', 'k0', 'kbf', 'ax0'], outputs: ['Z0'] },
    { op: 'Slice', inputs: ['VT', 'k0', 'kbf', 'ax1'], outputs: ['V0T'] },
    {
      op: 'Gemm',
      inputs: ['VT', 'Z0', f0],
      outputs: ['F1'],
      attributes: { transA: 1, transB: 1, alpha: { float: -1 }, beta: { float: 1 } },
    },
    {
      op: 'Gemm',
      inputs: ['Z', 'V0T', 'F1'],
      outputs: ['F'],
      attributes: { alpha: { float: -1 }, beta: { float: 1 } },
    },
    { op: 'Transpose', inputs: ['Z'], outputs: ['ZT'], attributes: { perm: [1, 0] } },
  );
  const f = (name: string, dims: (number | string)[]) => ({ name, dims });
  const i64 = (name: string) => ({ name, dims: ['k' + name], int64: true });
  const inputs = [f('Arows', ['m', 'w']), f('VwT', ['b', 'w']), f('T', ['b', 'b'])];
  for (const s of ['off', 'offbf', 'end', 'k0', 'kbf', 'ax0', 'ax1']) inputs.push(i64(s));
  if (lazy) {
    inputs.push(f('UT', ['c2', 'w']));
    for (const s of ['shape4', 'shape2', 'swap', 'kb', 'kbb']) inputs.push(i64(s));
  }
  return { inputs, outputs: [f('ZT', ['b', 'm']), f('F', ['m', 'bf'])], nodes };
}
