/**
 * Loader for the WebAssembly SIMD kernels (wasm/kernels.as.ts, built by
 * `npm run build:wasm`). One instance per thread, its memory grown on demand and reused.
 * Returns undefined when WebAssembly SIMD is unavailable (or RMT_ANALYZE_NO_WASM=1).
 *
 * The kernels have TypeScript twins, and those are the declared fallback, not oracles:
 * panelQR (panel-qr.ts), bandToTridiagonal (band-to-tridiagonal.ts), bandToBidiagonal
 * (band-to-bidiagonal.ts), bidiagonalize (bidiagonalize.ts), gramLowerRows (gram.ts
 * gramLowerTs), tridiagonalizeLower (tridiagonalize.ts), tridiagonalQlValues
 * (tridiagonal-ql.ts), rootFreeQlValues (tridiagonal-eigenvalues.ts), dqdsValues (dqds.ts),
 * scanSums (tensor-checks.ts) and sampleStrided (entry-rms.ts sampleBlock) run whenever this
 * returns undefined, with the same arithmetic in scalar order (results agree to rounding;
 * those of the last nine are identical). rowSquares (gram.ts) only feeds a prediction and
 * has no twin of the same order (squaredRowNorms stands in). widenF16 (load/dtype.ts, the
 * F16 widener) computes exact values, so its results are the TypeScript loop's to the bit.
 * A change to one side is made to the other; test/spectrum/fallback.test.ts runs the
 * TypeScript side, the other spectrum tests the WebAssembly side.
 */
import { KERNELS_WASM_BASE64 } from './wasm/kernels.wasm.js';

// The project's lib (ES2023) has no WebAssembly declarations: the few members used here.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}

export interface KernelExports {
  readonly memory: WasmMemory;
  bandToTridiagonal(n: number, b: number, ld: number, band: number, v: number, v2: number, w: number, x: number): void;
  bandToBidiagonal(
    n: number,
    b: number,
    ld: number,
    off: number,
    band: number,
    v: number,
    u: number,
    w: number,
    beta: number,
  ): void;
  panelQR(P: number, m: number, b: number, R: number, T: number, tau: number, z: number): void;
  gramLowerRows(A: number, rows: number, M: number, G: number, P: number): void;
  rowSquares(A: number, rows: number, M: number, out: number): void;
  scanSums(V: number, n: number, S: number, clip: number, f: number): void;
  sampleStrided(V: number, n: number, from: number, step: number, H: number, k: number, T: number): void;
  widenF16(S: number, n: number, D: number): void;
  dealRuns(S: number, n: number, lead: number, positions: number, D: number): void;
  tridiagonalizeLower(
    A: number,
    n: number,
    d: number,
    e: number,
    v: number,
    w: number,
    v2: number,
    w2: number,
    s1: number,
    s4: number,
  ): void;
  tridiagonalQlValues(d: number, e: number, n: number): number;
  rootFreeQlValues(d: number, E: number, n: number): number;
  dqdsValues(q: number, e: number, out: number, work: number, n: number): number;
  bidiagonalize(
    A: number,
    N: number,
    M: number,
    d: number,
    e: number,
    v: number,
    vr: number,
    w: number,
    s4: number,
  ): void;
}

const instances = new Map<string, KernelExports | null>();

/**
 * The kernels of this thread. `owner` names a separate instance (its own memory): the band
 * reduction keeps its panel in kernel memory across awaits, so the accurate-rank route,
 * which may run on the same thread meanwhile, uses `'svd'`; kernels that finish within one
 * synchronous call and keep nothing in memory between calls (the small Gram product and
 * tridiagonal reduction, the QL without vectors, dqds) share `'sync'`.
 */
export function wasmKernels(owner: 'eigen' | 'svd' | 'sync' = 'eigen'): KernelExports | undefined {
  let instance = instances.get(owner);
  if (instance === undefined) {
    try {
      if (process.env.RMT_ANALYZE_NO_WASM === '1') throw new Error('disabled');
      const wa = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
      const module = new wa.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
      instance = new wa.Instance(module, {}).exports as KernelExports;
    } catch {
      instance = null;
    }
    instances.set(owner, instance);
  }
  return instance ?? undefined;
}

/** A Float64Array view of at least `doubles` values at the start of the kernel memory. */
export function wasmScratch(k: KernelExports, doubles: number): Float64Array {
  const bytes = doubles * 8;
  const have = k.memory.buffer.byteLength;
  if (have < bytes) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return new Float64Array(k.memory.buffer, 0, doubles);
}
