/**
 * Eigenvalues of WᵀW against exact spectra and an independent Jacobi SVD, to 1e-9·λ_max
 * (DESIGN.md §3.2), on every path: the pure TypeScript one, the two-stage onnxruntime one
 * (forced on small sizes with small band widths so its edge cases are reached), and the
 * worker engine.
 */
import { describe, expect, it, afterAll } from 'vitest';
import {
  gramEigenvalues,
  symmetricEigenvalues,
  createSpectrumEngine,
  eigenvaluesWith,
  OrtBackend,
} from '../../src/spectrum/index.js';
import { gaussianMatrix, jacobiSquaredSingularValues, relativeError, withSingularValues } from './reference.js';

const TOL = 1e-9;

interface Case {
  readonly name: string;
  readonly rows: number;
  readonly cols: number;
  readonly W: Float64Array;
  /** Exact eigenvalues of WᵀW (any order); undefined → compare with the Jacobi reference. */
  readonly exact?: readonly number[];
}

function spectrumCase(name: string, rows: number, cols: number, sigma: number[], seed: number, rotate = true): Case {
  return { name, rows, cols, W: withSingularValues(rows, cols, sigma, seed, rotate), exact: sigma.map((s) => s * s) };
}

function cases(): Case[] {
  const out: Case[] = [];
  const seq = (k: number, f: (i: number) => number) => Array.from({ length: k }, (_, i) => f(i));
  out.push({ name: '1×1', rows: 1, cols: 1, W: Float64Array.of(-3), exact: [9] });
  out.push({ name: '2×1', rows: 2, cols: 1, W: Float64Array.of(3, 4), exact: [25] });
  out.push({ name: '1×2', rows: 1, cols: 2, W: Float64Array.of(3, 4), exact: [25] });
  out.push({ name: 'zero 3×2', rows: 3, cols: 2, W: new Float64Array(6), exact: [0, 0] });
  out.push(spectrumCase('diagonal 6×6', 6, 6, [3, 1, 4, 1, 5, 9], 1, false));
  out.push(spectrumCase('diagonal 9×5', 9, 5, [0.5, 2, 7, 1e-3, 3], 2, false));
  for (const [rows, cols] of [
    [7, 5],
    [5, 7],
    [40, 33],
    [33, 40],
    [130, 97],
    [97, 130],
    [260, 260],
    [610, 400],
    [300, 90],
    [400, 610],
    [600, 650],
  ] as const) {
    const k = Math.min(rows, cols);
    out.push(
      spectrumCase(
        `rotated spread ${rows}×${cols}`,
        rows,
        cols,
        seq(k, (i) => 0.1 + ((i * 7919) % k)),
        10 + k,
      ),
    );
    out.push(
      spectrumCase(
        `clustered ${rows}×${cols}`,
        rows,
        cols,
        seq(k, (i) => 1 + 1e-10 * i + (i % 3 === 0 ? 10 : 0)),
        20 + k,
      ),
    );
    out.push(
      spectrumCase(
        `repeated ${rows}×${cols}`,
        rows,
        cols,
        seq(k, (i) => [1, 2, 5][i % 3]!),
        30 + k,
      ),
    );
    out.push(
      spectrumCase(
        `rank-deficient ${rows}×${cols}`,
        rows,
        cols,
        seq(k, (i) => (i % 4 === 0 ? 1 + i / k : 0)),
        40 + k,
      ),
    );
    out.push(
      spectrumCase(
        `wide range ${rows}×${cols}`,
        rows,
        cols,
        seq(k, (i) => 10 ** (-4 + (8 * i) / k)),
        50 + k,
      ),
    );
    if (k <= 130) out.push({ name: `Gaussian ${rows}×${cols}`, rows, cols, W: gaussianMatrix(rows, cols, 60 + k) });
  }
  out.push({ name: 'Gaussian 200×150', rows: 200, cols: 150, W: gaussianMatrix(200, 150, 7) });
  out.push({ name: 'Gaussian 150×200', rows: 150, cols: 200, W: gaussianMatrix(150, 200, 8) });
  return out;
}

const ALL = cases();
const reference = new Map<Case, readonly number[] | Float64Array>();
function want(c: Case): readonly number[] | Float64Array {
  let r = reference.get(c);
  if (r === undefined) {
    r = c.exact ?? jacobiSquaredSingularValues(c.W, c.rows, c.cols);
    reference.set(c, r);
  }
  return r;
}

describe('reference', () => {
  it('Jacobi SVD reproduces a known spectrum', () => {
    const sigma = [1, 2, 3, 4, 5, 6, 1e-3];
    const W = withSingularValues(11, 7, sigma, 99);
    expect(
      relativeError(
        jacobiSquaredSingularValues(W, 11, 7),
        sigma.map((s) => s * s),
      ),
    ).toBeLessThan(1e-13);
  });
});

describe('gramEigenvalues (TypeScript path)', () => {
  for (const c of ALL) {
    it(c.name, () => {
      const got = gramEigenvalues(c.W.slice(), c.rows, c.cols);
      expect(got.length).toBe(Math.min(c.rows, c.cols));
      for (let i = 1; i < got.length; i++) expect(got[i]!).toBeGreaterThanOrEqual(got[i - 1]!);
      expect(relativeError(got, want(c))).toBeLessThan(TOL);
    });
  }
  it('symmetricEigenvalues of Q·diag(λ)·Qᵀ', () => {
    const lambda = [-2, -1e-3, 0, 0, 1, 1, 1, 4.5, 1e3];
    const n = lambda.length;
    // A = W·Wᵀ-free construction: rotate diag(λ) by a seeded orthogonal Q on both sides.
    const Q = withSingularValues(n, n, Array(n).fill(1), 5); // orthogonal
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += Q[i * n + k]! * lambda[k]! * Q[j * n + k]!;
        A[i * n + j] = s;
      }
    expect(relativeError(symmetricEigenvalues(A, n), lambda)).toBeLessThan(TOL);
  });
});

describe('non-finite input', () => {
  it('is refused with a clear error on both paths, not looped on', async () => {
    const W = gaussianMatrix(300, 250, 1);
    W[777] = NaN;
    expect(() => gramEigenvalues(W.slice(), 300, 250)).toThrow(/non-finite/);
    const ort = OrtBackend.load(1);
    const backend = ort instanceof OrtBackend ? ort : undefined;
    await expect(eigenvaluesWith(backend, W.slice(), 300, 250, { minTwoStage: 0 })).rejects.toThrow(/non-finite/);
    W[777] = Infinity;
    await expect(eigenvaluesWith(backend, W.slice(), 300, 250, { minTwoStage: 0 })).rejects.toThrow(/non-finite/);
    if (backend) await backend.close();
  });
});

describe('two-stage path (onnxruntime GEMMs, band reduction, bulge chasing)', () => {
  const ort = OrtBackend.load(2);
  afterAll(async () => {
    if (ort instanceof OrtBackend) await ort.close();
  });
  it('onnxruntime-node loads (the fast path is what these tests run)', () => {
    expect(ort).toBeInstanceOf(OrtBackend);
  });
  const backend = ort instanceof OrtBackend ? ort : undefined;
  for (const b of [1, 2, 3, 8, 16, 32]) {
    for (const c of ALL) {
      if (Math.min(c.rows, c.cols) < 2 && b > 1) continue;
      if (b < 8 && Math.min(c.rows, c.cols) > 130) continue; // keep small widths on small sizes (many panels)
      it(`b=${b}: ${c.name}`, async () => {
        const got = await eigenvaluesWith(backend, c.W.slice(), c.rows, c.cols, { bandwidth: b, minTwoStage: 0 });
        expect(relativeError(got, want(c))).toBeLessThan(TOL);
      });
    }
  }
});

describe('createSpectrumEngine (worker threads)', () => {
  it('gives the same eigenvalues for a mix of sizes run concurrently, and transfers W', async () => {
    const engine = createSpectrumEngine({ jobs: 2 });
    try {
      const picks = ALL.filter((c) => c.exact !== undefined).filter((_, i) => i % 3 === 0);
      const bigSigma = Array.from({ length: 800 }, (_, i) => 1 + (i % 17) + i / 800);
      const big = spectrumCase('rotated 900×800 (two-stage)', 900, 800, bigSigma, 77);
      const all = [...picks, big];
      const results = await Promise.all(all.map((c) => engine.eigenvalues(c.W.slice(), c.rows, c.cols)));
      all.forEach((c, i) => expect(relativeError(results[i]!, c.exact!), c.name).toBeLessThan(TOL));
      const W = big.W.slice();
      await engine.eigenvalues(W, big.rows, big.cols);
      expect(W.length).toBe(0); // transferred, not copied
      // The backend of the last job done: this one alone (M = 800 is below EXCLUSIVE_N, so in the
      // mix above the big matrix ran beside small one-stage ones, and any of them could end last).
      expect(engine.backendInfo.backend).toBe('onnxruntime');
    } finally {
      await engine.close();
    }
  });
  it('schedule() loads lazily and reports load errors per matrix', async () => {
    const engine = createSpectrumEngine({ jobs: 1 });
    try {
      let loaded = 0;
      const c = spectrumCase(
        'lazy 300×200',
        300,
        200,
        Array.from({ length: 200 }, (_, i) => i + 1),
        3,
      );
      const p1 = engine.schedule(300, 200, () => (loaded++, c.W.slice()));
      const p2 = engine.schedule(300, 200, () => Promise.reject(new Error('unreadable')));
      // Both may run at once (two small matrices per worker): settle them together, so that
      // p2's failure is never left unhandled while p1 is awaited.
      const [r1, r2] = await Promise.allSettled([p1, p2]);
      expect([r1.status, r2.status]).toEqual(['fulfilled', 'rejected']);
      if (r1.status === 'fulfilled') expect(relativeError(r1.value, c.exact!)).toBeLessThan(TOL);
      if (r2.status === 'rejected') expect(String(r2.reason)).toContain('unreadable');
      expect(loaded).toBe(1);
      await expect(engine.eigenvalues(new Float64Array(5), 2, 3)).rejects.toThrow(/values for/);
    } finally {
      await engine.close();
    }
  });
  it('the TypeScript-only engine gives the same result', async () => {
    const engine = createSpectrumEngine({ jobs: 2, backend: 'typescript' });
    try {
      const c = ALL.find((x) => x.name === 'clustered 260×260')!;
      expect(relativeError(await engine.eigenvalues(c.W.slice(), c.rows, c.cols), want(c))).toBeLessThan(TOL);
      expect(engine.backendInfo.backend).toBe('typescript');
    } finally {
      await engine.close();
    }
  });
});

describe('band → tridiagonal kernels', () => {
  it('WebAssembly SIMD kernel loads and agrees with the TypeScript one on eigenvalues', async () => {
    const { wasmKernels } = await import('../../src/spectrum/wasm.js');
    const { emptyBand } = await import('../../src/spectrum/band-reduce.js');
    const { bandToTridiagonal, bandToTridiagonalFast } = await import('../../src/spectrum/band-to-tridiagonal.js');
    const { tridiagonalEigenvalues } = await import('../../src/spectrum/tridiagonal-eigenvalues.js');
    expect(wasmKernels()).toBeDefined();
    for (const [n, b] of [
      [2, 2],
      [3, 2],
      [17, 4],
      [100, 7],
      [301, 16],
      [257, 32],
    ] as const) {
      const make = () => {
        const m = emptyBand(n, b);
        const rnd = gaussianMatrix(1, n * (b + 1), n + b);
        for (let j = 0; j < n; j++)
          for (let d = 0; d <= b && j + d < n; d++) m.band[j * m.ld + d] = rnd[j * (b + 1) + d]!;
        return m;
      };
      // Dense reference of the same band matrix through the one-stage path.
      const src = make();
      const A = new Float64Array(n * n);
      for (let j = 0; j < n; j++)
        for (let d = 0; d <= b && j + d < n; d++) A[(j + d) * n + j] = src.band[j * src.ld + d]!;
      const ref = symmetricEigenvalues(A, n);
      const ts = bandToTridiagonal(make());
      const fast = bandToTridiagonalFast(make());
      // relativeError is already divided by |λ|max, so the tolerance is TOL itself: both kernels
      // must give every eigenvalue within 1e-9·|λ|max of the one-stage path (measured ≤ 7e-15).
      const errTs = relativeError(tridiagonalEigenvalues(ts.d, ts.e), ref);
      const errFast = relativeError(tridiagonalEigenvalues(fast.d, fast.e), ref);
      expect(errTs, `TypeScript kernel, n=${n}, b=${b}`).toBeLessThan(TOL);
      expect(errFast, `WebAssembly kernel, n=${n}, b=${b}`).toBeLessThan(TOL);
    }
  });
});

describe('committed WebAssembly', () => {
  it('kernels.wasm.ts is what build-kernels.mjs makes from kernels.as.ts', async () => {
    const { execFileSync } = await import('node:child_process');
    const { readFileSync, mkdtempSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { fileURLToPath } = await import('node:url');
    const dir = fileURLToPath(new URL('../../src/spectrum/wasm/', import.meta.url));
    const tmp = mkdtempSync(join(tmpdir(), 'rmt-wasm-'));
    try {
      const script = join(dir, 'build-kernels.mjs');
      execFileSync(process.execPath, [script], {
        env: { ...process.env, RMT_WASM_OUT: join(tmp, 'out.ts') },
        stdio: 'pipe',
      });
      expect(readFileSync(join(tmp, 'out.ts'), 'utf8')).toBe(readFileSync(join(dir, 'kernels.wasm.ts'), 'utf8'));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('tridiagonal eigenvalues (root-free QL)', () => {
  it('Toeplitz tridiag(1, −2, 1): λ_k = −2 + 2cos(kπ/(n+1))', async () => {
    const { tridiagonalEigenvalues } = await import('../../src/spectrum/tridiagonal-eigenvalues.js');
    for (const n of [1, 2, 3, 10, 257, 1000]) {
      const d = new Float64Array(n).fill(-2);
      const e = new Float64Array(n).fill(1);
      const want = Array.from({ length: n }, (_, k) => -2 + 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
      expect(relativeError(tridiagonalEigenvalues(d, e), want)).toBeLessThan(TOL);
    }
  });
  it('split and graded matrices, and a zero matrix', async () => {
    const { tridiagonalEigenvalues } = await import('../../src/spectrum/tridiagonal-eigenvalues.js');
    const d = Float64Array.of(4, 3, 2, 1, 1e-8, 5);
    const e = Float64Array.of(0, 0, 1e-300, 0, 0, 0);
    expect(relativeError(tridiagonalEigenvalues(d, e), [4, 3, 2, 1, 1e-8, 5])).toBeLessThan(TOL);
    const n = 60;
    const dg = Float64Array.from({ length: n }, (_, i) => 10 ** (-i / 6));
    const eg = Float64Array.from({ length: n }, (_, i) => 0.3 * 10 ** (-i / 6));
    const A = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      A[i * n + i] = dg[i]!;
      if (i + 1 < n) A[(i + 1) * n + i] = A[i * n + i + 1] = eg[i]!;
    }
    // Diagonally dominant with a positive diagonal, so positive definite: λ = σ, and the
    // Jacobi SVD reference gives σ² (independent of the code under test).
    const want = jacobiSquaredSingularValues(A, n, n).map(Math.sqrt);
    expect(relativeError(tridiagonalEigenvalues(dg, eg), want)).toBeLessThan(1e-12);
    expect(Array.from(tridiagonalEigenvalues(new Float64Array(3), new Float64Array(3)))).toEqual([0, 0, 0]);
  });
});
