/**
 * The root-free QL (spectrum/tridiagonal-eigenvalues.ts): the WebAssembly kernel's sweeps give
 * the TypeScript sweeps' values to the bit — random symmetric tridiagonals, graded couplings,
 * zero and tiny couplings, repeated diagonals, Gram-like positive spectra — and the whole
 * function (scaling, sweeps, sort) is unchanged whichever runs.
 */
import { describe, expect, it } from 'vitest';
import { rootFreeQlTs, tridiagonalEigenvalues } from '../../src/spectrum/tridiagonal-eigenvalues.js';
import { wasmKernels, wasmScratch } from '../../src/spectrum/wasm.js';
import { Rng } from '../generators/rng.js';

/** The sweeps' input as tridiagonalEigenvalues makes it: d scaled to largest entry 1, E squared. */
function scaledInput(d: Float64Array, e: Float64Array): { d: Float64Array; E: Float64Array } {
  const n = d.length;
  let scale = 0;
  for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]!), i < n - 1 ? Math.abs(e[i]!) : 0);
  const inv = 1 / scale;
  const E = new Float64Array(n);
  const ds = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    ds[i] = d[i]! * inv;
    const x = i < n - 1 ? e[i]! * inv : 0;
    E[i] = x * x;
  }
  return { d: ds, E };
}

const same = (a: Float64Array, b: Float64Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

describe('root-free QL in WebAssembly', () => {
  const k = wasmKernels('sync');
  it('runs the WebAssembly kernel here', () => {
    expect(k).toBeDefined();
  });

  const rng = new Rng(2024);
  const kinds = ['symmetric', 'graded', 'zero couplings', 'tiny couplings', 'repeated diagonal', 'Gram-like'] as const;
  for (const kind of kinds) {
    it(`${kind}: the kernel's sweeps give the TypeScript sweeps' values, bit for bit`, () => {
      for (const n of [1, 2, 3, 4, 7, 16, 65, 256, 700]) {
        const d = new Float64Array(n);
        const e = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          d[i] = kind === 'repeated diagonal' ? 1 : kind === 'Gram-like' ? Math.abs(rng.normal()) * 10 : rng.normal();
          const scale =
            kind === 'graded'
              ? 10 ** -(i % 17)
              : kind === 'zero couplings' && i % 5 === 0
                ? 0
                : kind === 'tiny couplings' && i % 3 === 0
                  ? 1e-160
                  : 1;
          e[i] = rng.normal() * scale;
        }
        const input = scaledInput(d, e);
        const ts = { d: input.d.slice(), E: input.E.slice() };
        rootFreeQlTs(ts.d, ts.E);
        const mem = wasmScratch(k!, 2 * n);
        mem.set(input.d);
        mem.set(input.E, n);
        expect(k!.rootFreeQlValues(0, n * 8, n)).toBe(0);
        expect(same(mem.slice(0, n), ts.d), `n = ${n}`).toBe(true);
        // The eigenvalues' sum is the trace.
        const trace = input.d.reduce((a, b) => a + b, 0);
        expect(Math.abs(ts.d.reduce((a, b) => a + b, 0) - trace)).toBeLessThanOrEqual(1e-12 * n);
      }
    });
  }

  it('tridiagonalEigenvalues: scaled back and sorted, a view of the kernel memory handled too', () => {
    const n = 300;
    const d = new Float64Array(n);
    const e = new Float64Array(n);
    for (let i = 0; i < n; i++) [d[i], e[i]] = [3 * rng.normal(), rng.normal()];
    const out = tridiagonalEigenvalues(d.slice(), e);
    const input = scaledInput(d, e);
    rootFreeQlTs(input.d, input.E);
    let scale = 0;
    for (let i = 0; i < n; i++) scale = Math.max(scale, Math.abs(d[i]!), i < n - 1 ? Math.abs(e[i]!) : 0);
    const expected = input.d.map((v) => v * scale).sort();
    expect(same(out, expected)).toBe(true);
    // d in the kernel's own memory: the TypeScript sweeps run instead, with the same values.
    const mem = wasmScratch(k!, 4 * n);
    const inKernel = mem.subarray(2 * n, 3 * n);
    inKernel.set(d);
    expect(same(tridiagonalEigenvalues(inKernel, e), expected)).toBe(true);
  });
});
