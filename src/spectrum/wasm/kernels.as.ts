/**
 * AssemblyScript source of the WebAssembly (SIMD f64x2) kernels used by the spectrum code.
 * Compiled by build-kernels.mjs (npm run build:wasm) into kernels.wasm.ts; not part of the
 * TypeScript program. All pointers are byte offsets into the module's own memory.
 *
 * bandToTridiagonal: the Householder bulge chasing of band-to-tridiagonal.ts (Lang 1993;
 * Haidar, Ltaief & Dongarra 2011), same storage (lower band, column j at band + j·ld·8);
 * the bulge's columns four at a time, each with its own sums in their order.
 * bandToBidiagonal: the bulge chasing of band-to-bidiagonal.ts (upper band → bidiagonal,
 * stored by rows), with householder.ts's dlarfg, every sum in the same order: identical results.
 * bidiagonalize: the Householder bidiagonalisation of bidiagonalize.ts (LAPACK dgebd2,
 * row-major, rows four at a time: one pass for the left product, one for the left update,
 * the dot products and the right update; the same arithmetic in the same order: identical
 * results).
 * gramLowerRows: gram.ts's gramLower (G += AᵀA), register-tiled over a packed copy of A,
 * each element's sum in the same order as the row-by-row accumulation: identical results.
 * rowSquares: the rows' squared norms of the chunk gramLowerRows reads, for accurate-first.ts's
 * prediction (any order: no twin to match).
 * scanSums, sampleStrided: the tensor scan's loops (tensor-checks.ts scanSums, entry-rms.ts
 * sampleBlock), operation for operation: identical results.
 * widenF16: float16 values widened to float64 (load/dtype.ts), exact: identical results.
 * dealRuns: a stretch's values dealt by kernel position (load/dealt.ts), a copy.
 * tridiagonalizeLower: tridiagonalize.ts (LAPACK dsytd2) with householder.ts's dlarfg, every
 * sum in the same order (the elementwise updates two at a time; a step's update in the same
 * pass as the next step's product): identical results.
 * tridiagonalQlValues: tridiagonal-ql.ts's implicit QL without vectors (EISPACK tql1) with
 * hypot.ts's hypot2, operation for operation: identical results.
 * rootFreeQlValues: tridiagonal-eigenvalues.ts's root-free (Pal–Walker–Kahan) QL sweeps,
 * operation for operation: identical results.
 * dqdsValues: dqds.ts's shifted dqds iteration on a qd array, operation for operation:
 * identical results.
 *
 * The kernels live in band.as.ts, dense.as.ts, gram.as.ts, scan.as.ts, widen.as.ts,
 * tridiagonalize.as.ts, bidiagonalize.as.ts and iterations.as.ts (their shared pieces in
 * primitives.as.ts); this entry file exports them.
 */

// @ts-nocheck — AssemblyScript, not TypeScript.

export { bandToTridiagonal, bandToBidiagonal } from './band.as';
export { panelQR } from './dense.as';
export { bidiagonalize } from './bidiagonalize.as';
export { tridiagonalizeLower } from './tridiagonalize.as';
export { gramLowerRows, rowSquares } from './gram.as';
export { scanSums, sampleStrided } from './scan.as';
export { widenF16 } from './widen.as';
export { dealRuns } from './deal.as';
export { tridiagonalQlValues, rootFreeQlValues, dqdsValues } from './iterations.as';
