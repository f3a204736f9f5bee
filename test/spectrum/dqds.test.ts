/**
 * dqds on upper bidiagonals (spectrum/dqds.ts): closed-form singular values, the trace and
 * determinant invariants (Σσ² = Σd² + Σe², Πσ = Π|d|) to relative accuracy on graded
 * matrices where the small σ span 1e-30 of the large (the QL's absolute accuracy cannot pass
 * the determinant check there), agreement with the QL oracle, splits, zeros, power-of-two
 * scaling, and non-finite input; the WebAssembly kernel against its TypeScript twin.
 */
import { describe, expect, it } from 'vitest';
import { bidiagonalSquaresDqds } from '../../src/spectrum/dqds.js';
import { golubKahanSquares } from '../../src/spectrum/singular-values.js';
import { wasmKernels } from '../../src/spectrum/wasm.js';
import { Rng } from '../generators/rng.js';

const EPS = Number.EPSILON;

function dqds(d: number[] | Float64Array, e: number[] | Float64Array): Float64Array {
  const got = bidiagonalSquaresDqds(Float64Array.from(d), Float64Array.from(e));
  expect(got).toBeDefined();
  return got!;
}

function randomBidiagonal(rng: Rng, n: number, grade: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const g = 10 ** (-grade * (i / Math.max(1, n - 1)));
    d[i] = rng.normal() * g;
    if (i < n - 1) e[i] = rng.normal() * g;
  }
  return { d, e };
}

describe('bidiagonalSquaresDqds', () => {
  it("runs the WebAssembly kernel here, and it gives the TypeScript iteration's values to the bit", () => {
    expect(wasmKernels('sync')).toBeDefined();
    const rng = new Rng(21);
    for (const n of [1, 2, 3, 5, 16, 65, 300, 1000]) {
      for (const grade of [0, 4, 15]) {
        const { d, e } = randomBidiagonal(rng, n, grade);
        if (n > 4) [d[n >> 1], e[n >> 2]] = [0, 0];
        const wasm = bidiagonalSquaresDqds(d, e, true);
        const ts = bidiagonalSquaresDqds(d, e, false);
        expect(wasm, `n = ${n}, grade ${grade}`).toEqual(ts);
      }
    }
  });

  it('d = e = 1: σₖ = 2·cos(kπ/(2n+1)), each to relative 8nε', () => {
    for (const n of [1, 2, 3, 5, 50, 500]) {
      const got = dqds(new Float64Array(n).fill(1), new Float64Array(n).fill(1));
      for (let k = 1; k <= n; k++) {
        const sigma = 2 * Math.cos((k * Math.PI) / (2 * n + 1));
        const want = sigma * sigma;
        const have = got[n - k]!; // ascending
        expect(Math.abs(have - want) / want, `n = ${n}, k = ${k}`).toBeLessThanOrEqual(8 * n * EPS);
      }
    }
  });

  it('graded over 30 decades: trace and determinant to relative accuracy, the QL only the trace', () => {
    const rng = new Rng(5);
    let qlMissesDeterminant = false;
    for (const n of [4, 17, 120, 480]) {
      const { d, e } = randomBidiagonal(rng, n, 15); // σ² spans ~30 decades
      let trace = 0;
      let logDet = 0;
      for (let i = 0; i < n; i++) {
        trace += d[i]! * d[i]! + (i < n - 1 ? e[i]! * e[i]! : 0);
        logDet += Math.log(d[i]! * d[i]!);
      }
      const got = dqds(d, e);
      const logProduct = (v: Float64Array) => v.reduce((a, x) => a + Math.log(x), 0);
      expect(Math.abs(got.reduce((a, x) => a + x, 0) - trace) / trace).toBeLessThanOrEqual(4 * n * EPS);
      // Relative error δᵢ of every σᵢ² adds up in the log of the product: |Σδᵢ| ≤ n·c·n·ε.
      expect(Math.abs(logProduct(got) - logDet), `n = ${n}`).toBeLessThanOrEqual(8 * n * n * EPS);
      const ql = golubKahanSquares(d, e);
      if (!(Math.abs(logProduct(ql) - logDet) <= 8 * n * n * EPS)) qlMissesDeterminant = true;
    }
    expect(qlMissesDeterminant).toBe(true);
  });

  it('random bidiagonals: within 4nε·σ²_max of the QL oracle', () => {
    const rng = new Rng(9);
    for (const n of [2, 3, 10, 64, 257, 700]) {
      for (const grade of [0, 3]) {
        const { d, e } = randomBidiagonal(rng, n, grade);
        const got = dqds(d, e);
        const want = golubKahanSquares(d, e);
        const top = want[n - 1]!;
        for (let i = 0; i < n; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(4 * n * EPS * top);
      }
    }
  });

  it('zeros: a zero diagonal entry gives an exact 0; zero couplings split; all zero; empty', () => {
    const rng = new Rng(3);
    const { d, e } = randomBidiagonal(rng, 40, 0);
    d[7] = 0;
    d[33] = 0;
    e[20] = 0;
    const got = dqds(d, e);
    expect(got[0]).toBe(0);
    expect(got[1]).toBe(0);
    expect(got[2]).toBeGreaterThan(1e-6 * got[39]!);
    const want = golubKahanSquares(d, e);
    for (let i = 0; i < 40; i++) expect(Math.abs(got[i]! - want[i]!)).toBeLessThanOrEqual(160 * EPS * want[39]!);
    expect(Array.from(dqds([0, 0, 0], [0, 0, 0]))).toEqual([0, 0, 0]);
    expect(dqds([], [])).toHaveLength(0);
    // Diagonal: the squares themselves, exactly.
    expect(Array.from(dqds([3, -1, 2], [0, 0, 0]))).toEqual([1, 4, 9]);
  });

  it('power-of-two scaling is exact, down to 2⁻⁶⁰⁰ and up to 2⁶⁰⁰', () => {
    const rng = new Rng(11);
    const { d, e } = randomBidiagonal(rng, 60, 4);
    const base = dqds(d, e);
    for (const k of [-600, -1, 1, 600]) {
      const s = 2 ** k;
      const got = dqds(
        d.map((x) => x * s),
        e.map((x) => x * s),
      );
      expect(Array.from(got)).toEqual(Array.from(base).map((x) => x * s * s));
    }
  });

  it('20,000 patterned bidiagonals (zeros, ones, subnormals, 1e±100 ranges): converge, keep the trace', () => {
    // Before couplings below the smallest normal split the array, a subnormal q̂ overflowed
    // the quotient and ~0.3 % of such cases never converged.
    const rng = new Rng(99);
    const entry = () => {
      const r = rng.uniform();
      if (r < 0.15) return 0;
      if (r < 0.25) return 1;
      if (r < 0.3) return (rng.uniform() < 0.5 ? 1 : -1) * 1e-310;
      if (r < 0.4) return (rng.uniform() - 0.5) * 10 ** Math.floor(rng.uniform() * 200 - 100);
      if (r < 0.5) return (rng.uniform() - 0.5) * 1e-8;
      return rng.uniform() - 0.5;
    };
    for (let t = 0; t < 20000; t++) {
      const n = 1 + Math.floor(rng.uniform() * (t % 10 === 0 ? 100 : 12));
      const d = new Float64Array(n).map(entry);
      const e = new Float64Array(n).map(entry);
      e[n - 1] = 0;
      const got = bidiagonalSquaresDqds(d, e);
      expect(got, `case ${t}`).toBeDefined();
      let trace = 0;
      for (let i = 0; i < n; i++) trace += d[i]! * d[i]! + e[i]! * e[i]!;
      const sum = got!.reduce((a, x) => a + x, 0);
      expect(Math.abs(sum - trace), `case ${t}`).toBeLessThanOrEqual(4 * n * EPS * trace);
    }
  });

  it('non-finite entries: undefined, for the caller to take another method', () => {
    expect(bidiagonalSquaresDqds(Float64Array.from([1, Number.NaN]), Float64Array.from([1, 0]))).toBeUndefined();
    expect(bidiagonalSquaresDqds(Float64Array.from([1, 2]), Float64Array.from([Infinity, 0]))).toBeUndefined();
  });

  it('does not modify its input', () => {
    const { d, e } = randomBidiagonal(new Rng(2), 30, 2);
    const [d0, e0] = [d.slice(), e.slice()];
    dqds(d, e);
    expect(d).toEqual(d0);
    expect(e).toEqual(e0);
  });
});
