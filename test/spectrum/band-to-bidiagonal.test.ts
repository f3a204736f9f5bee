/**
 * Stage two of the two-stage bidiagonalisation (spectrum/band-to-bidiagonal.ts, and its
 * WebAssembly twin in wasm/kernels.as.ts): seeded upper bands against the same matrices made
 * dense and run through today's one-stage accurate route (accurateSquaredSingularValues): σ²
 * within 4·n·ε·σ²_max, Σσ² = ‖B‖²_F to 1e-13 relative, nothing left off the bidiagonal; the
 * numerical rank equal to the dense route's (and to the known rank where the structure fixes
 * it) on zero rows and columns, duplicated rows, a trapezoid and entries graded over 1e±150;
 * the kernel's d and e identical to the TypeScript function's, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import {
  bandToBidiagonal,
  bandToBidiagonalFast,
  emptyUpperBand,
  type UpperBand,
  upperBandIndex,
} from '../../src/spectrum/band-to-bidiagonal.js';
import { bidiagonalSquaresDqds } from '../../src/spectrum/dqds.js';
import { accurateSquaredSingularValues } from '../../src/spectrum/singular-values.js';
import { wasmKernels } from '../../src/spectrum/wasm.js';
import { numericalRank } from '../../src/fit/metrics.js';
import { Rng } from '../generators/rng.js';

const EPS = Number.EPSILON;

/** An n×n upper band of half-width b with B[i, j] = entry(i, j), and the same matrix dense (row-major). */
function bandOf(n: number, b: number, entry: (i: number, j: number) => number): { m: UpperBand; W: Float64Array } {
  const m = emptyUpperBand(n, b);
  const W = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = i; j <= Math.min(n - 1, i + b); j++) {
      const x = entry(i, j);
      m.band[upperBandIndex(m, i, j)] = x;
      W[i * n + j] = x;
    }
  }
  return { m, W };
}

function gaussianBand(rng: Rng, n: number, b: number) {
  return bandOf(n, b, () => rng.normal());
}

const copyOf = (m: UpperBand): UpperBand => ({ ...m, band: m.band.slice() });

/** Ascending σ² of the bidiagonal (d, e) by dqds. */
function squares(d: Float64Array, e: Float64Array): Float64Array {
  const got = bidiagonalSquaresDqds(d, e);
  expect(got).toBeDefined();
  return got!;
}

/** The band's bidiagonal by the TypeScript function (on a copy), with the band it leaves. */
function reduced(m: UpperBand): { d: Float64Array; e: Float64Array; left: UpperBand } {
  const left = copyOf(m);
  return { ...bandToBidiagonal(left), left };
}

const frobenius2 = (W: Float64Array) => W.reduce((a, x) => a + x * x, 0);
const bits = (x: Float64Array) => new BigUint64Array(x.slice().buffer);

/**
 * Rows and columns in 7 groups, group k scaled 10^(75 − 25·|k − top|): entries from 1e150 down
 * to 1e-150, each diagonal entry dominant (3b) so every group's block is well conditioned. Only
 * the `top` group's block (entries ~1e150) lies above the rank threshold σ_max·n·ε ≈ 1e137, the
 * next largest entries (its coupling to the neighbouring group) are ~1e125: no σ near it.
 */
function stepGraded(rng: Rng, n: number, b: number, top: number) {
  const group = (i: number) => Math.floor((7 * i) / n);
  const g = (i: number) => 10 ** (75 - 25 * Math.abs(group(i) - top));
  const out = bandOf(n, b, (i, j) => g(i) * g(j) * (i === j ? 3 * b * rng.sign() : rng.normal()));
  let rank = 0;
  for (let i = 0; i < n; i++) if (group(i) === top) rank++;
  return { ...out, rank };
}

describe('band → bidiagonal', () => {
  it('runs the WebAssembly kernel here', () => {
    expect(wasmKernels('svd')).toBeDefined();
  });

  it('layout: band entries at distinct places in the array, b clamped to n − 1', () => {
    for (const [n, b] of [
      [1, 4],
      [2, 1],
      [5, 2],
      [9, 8],
      [9, 30],
    ] as const) {
      const m = emptyUpperBand(n, b);
      expect(m.b).toBe(Math.min(b, n - 1));
      const seen = new Set<number>();
      for (let i = 0; i < n; i++) {
        for (let j = i; j <= Math.min(n - 1, i + b); j++) {
          const k = upperBandIndex(m, i, j);
          expect(k).toBeGreaterThanOrEqual(0);
          expect(k).toBeLessThan(m.band.length);
          seen.add(k);
        }
      }
      expect(seen.size).toBe(
        Array.from({ length: n }, (_, i) => Math.min(n - 1, i + b) - i + 1).reduce((a, x) => a + x),
      );
    }
    expect(bandToBidiagonal(emptyUpperBand(0, 3)).d).toHaveLength(0);
  });

  for (const n of [1, 2, 3, 17, 64, 200]) {
    it(`n = ${n}, b = 1…32, Gaussian: σ² within 4nε·σ²_max of the dense route, Σσ² = ‖B‖²_F, only d, e left`, () => {
      const rng = new Rng(100 + n);
      for (const b of [1, 2, 3, 8, 16, 32]) {
        const { m, W } = gaussianBand(rng, n, b);
        const want = accurateSquaredSingularValues(W, n, n);
        const { d, e, left } = reduced(m);
        expect(e[n - 1]).toBe(0);
        const got = squares(d, e);
        const top = want[n - 1]!;
        for (let k = 0; k < n; k++) {
          expect(Math.abs(got[k]! - want[k]!), `b = ${b}, σ²[${k}]`).toBeLessThanOrEqual(4 * n * EPS * top);
        }
        const f2 = frobenius2(W);
        const bidiagonal2 = d.reduce((a, x) => a + x * x, 0) + e.reduce((a, x) => a + x * x, 0);
        expect(Math.abs(bidiagonal2 - f2) / f2, `b = ${b}`).toBeLessThanOrEqual(1e-13);
        // Every bulge was chased off: the band holds exact zeros outside d and e.
        for (let k = 0; k < left.band.length; k++) {
          const i = Math.floor(k / left.ld);
          const j = i + (k % left.ld) - left.off;
          if (j !== i && j !== i + 1) expect(left.band[k], `b = ${b}, B[${i}, ${j}]`).toBe(0);
        }
      }
    });
  }

  it('b = 1: the bidiagonal is the band itself', () => {
    const { m, W } = gaussianBand(new Rng(3), 40, 1);
    const { d, e } = bandToBidiagonalFast(copyOf(m));
    for (let i = 0; i < 40; i++) {
      expect(d[i]).toBe(W[i * 40 + i]);
      expect(e[i]).toBe(i < 39 ? W[i * 40 + i + 1] : 0);
    }
  });

  /** Families at the rank threshold's edge; `rank` the exact rank where the structure fixes it. */
  const FAMILIES: [string, (rng: Rng, n: number, b: number) => { m: UpperBand; W: Float64Array; rank?: number }][] = [
    [
      'zero rows (every third) and a zero column',
      (rng, n, b) => {
        const c = n >> 1;
        return bandOf(n, b, (i, j) => (i % 3 === 0 || j === c ? 0 : rng.normal()));
      },
    ],
    [
      'duplicated rows: row r−1 = −2·row r for r ≡ 1 (mod 4), exact rank n − #pairs',
      (rng, n, b) => {
        // B[r−1, r−1] = 0 and B[r, r+b] = 0, so rows r−1 and r share their support; ×(−2) is exact.
        const pairs = new Set<number>();
        for (let r = 1; r < n; r += 4) pairs.add(r);
        const x = new Float64Array(n * n);
        for (let i = 0; i < n; i++) for (let j = i; j < n; j++) x[i * n + j] = rng.normal();
        const out = bandOf(n, b, (i, j) => {
          if (pairs.has(i) && j === i + b) return 0;
          if (pairs.has(i + 1)) return j === i ? 0 : -2 * x[(i + 1) * n + j]!;
          return x[i * n + j]!;
        });
        return { ...out, rank: n - pairs.size };
      },
    ],
    [
      'a trapezoid: only the first k = n/4 rows',
      (rng, n, b) => ({ ...bandOf(n, b, (i) => (i < n >> 2 ? rng.normal() : 0)), rank: n >> 2 }),
    ],
    [
      'graded in steps: 7 row/column groups scaled 1e75, 1e50, …, 1e-75 (entries 1e150 … 1e-150); rank: group 0',
      (rng, n, b) => stepGraded(rng, n, b, 0),
    ],
    [
      'graded the other way: 1e-150 (top left) … 1e150 (bottom right); rank: group 6',
      (rng, n, b) => stepGraded(rng, n, b, 6),
    ],
  ];

  for (const [family, make] of FAMILIES) {
    it(`${family}: the numerical rank #(σ > σ_max·n·ε) of the dense route`, () => {
      let seed = 7;
      for (const n of [17, 64, 200]) {
        for (const b of [3, 16]) {
          const { m, W, rank } = make(new Rng(seed++), n, b);
          const want = accurateSquaredSingularValues(W, n, n);
          const { d, e } = reduced(m);
          for (const x of [...d, ...e]) expect(Number.isFinite(x)).toBe(true);
          const got = squares(d, e);
          const label = `n = ${n}, b = ${b}`;
          expect(numericalRank(got, n), label).toBe(numericalRank(want, n));
          if (rank !== undefined) expect(numericalRank(got, n), label).toBe(rank);
          const f2 = frobenius2(W);
          const bidiagonal2 = got.reduce((a, x) => a + x, 0);
          expect(Math.abs(bidiagonal2 - f2) / f2, label).toBeLessThanOrEqual(1e-13);
        }
      }
    });
  }

  it('graded smoothly over 1e±150, both ways: finite, Σσ² = ‖B‖²_F, σ² within 4nε·σ²_max of the dense', () => {
    let seed = 60;
    for (const sign of [1, -1]) {
      for (const n of [17, 64, 200]) {
        for (const b of [3, 16]) {
          const g = (i: number) => 10 ** (sign * (75 - (150 * i) / (n - 1)));
          const rng = new Rng(seed++);
          const { m, W } = bandOf(n, b, (i, j) => rng.normal() * g(i) * g(j));
          const want = accurateSquaredSingularValues(W, n, n);
          const { d, e } = reduced(m);
          for (const x of [...d, ...e]) expect(Number.isFinite(x)).toBe(true);
          const got = squares(d, e);
          const label = `${sign > 0 ? 'large' : 'small'} top left, n = ${n}, b = ${b}`;
          for (let k = 0; k < n; k++) {
            expect(Math.abs(got[k]! - want[k]!), label).toBeLessThanOrEqual(4 * n * EPS * want[n - 1]!);
          }
          const f2 = frobenius2(W);
          expect(Math.abs(got.reduce((a, x) => a + x, 0) - f2) / f2, label).toBeLessThanOrEqual(1e-13);
        }
      }
    }
  });

  it("the WebAssembly kernel's d and e are the TypeScript function's, bit for bit", () => {
    expect(wasmKernels('svd')).toBeDefined();
    const rng = new Rng(41);
    const scales: [string, (i: number, j: number, n: number) => number][] = [
      ['Gaussian', () => 1],
      ['graded 1e±150', (i, j, n) => 10 ** (150 - (300 * (i + j)) / (2 * n))],
      ['tiny (dlarfg rescales)', () => 1e-300],
      ['zero rows', (i) => (i % 3 === 1 ? 0 : 1)],
    ];
    for (const [name, scale] of scales) {
      for (const n of [1, 2, 3, 5, 17, 64, 200, 333]) {
        for (const b of [2, 3, 8, 16, 17, 32]) {
          const { m } = bandOf(n, b, (i, j) => rng.normal() * scale(i, j, n));
          const ts = bandToBidiagonal(copyOf(m));
          const wasm = bandToBidiagonalFast(copyOf(m));
          const label = `${name}, n = ${n}, b = ${b}`;
          expect(bits(wasm.d), label).toEqual(bits(ts.d));
          expect(bits(wasm.e), label).toEqual(bits(ts.e));
        }
      }
    }
  });
});
