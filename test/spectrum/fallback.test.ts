/**
 * The two-stage path with WebAssembly disabled: the TypeScript panel QR and bulge chasing
 * (householder.ts, band-to-tridiagonal.ts) that stand in when WebAssembly SIMD is missing.
 */
import { describe, expect, it, afterAll } from 'vitest';
import { gaussianMatrix, jacobiSquaredSingularValues, relativeError, withSingularValues } from './reference.js';

process.env.RMT_ANALYZE_NO_WASM = '1';
const { eigenvaluesWith, OrtBackend } = await import('../../src/spectrum/index.js');
const { wasmKernels } = await import('../../src/spectrum/wasm.js');

describe('two-stage path without WebAssembly', () => {
  const ort = OrtBackend.load(2);
  afterAll(async () => {
    if (ort instanceof OrtBackend) await ort.close();
  });
  it('really runs without the kernels', () => {
    expect(wasmKernels()).toBeUndefined();
    expect(ort).toBeInstanceOf(OrtBackend);
  });
  const backend = ort instanceof OrtBackend ? ort : undefined;
  for (const [rows, cols, b] of [
    [40, 33, 3],
    [97, 130, 8],
    [300, 260, 16],
    [260, 300, 32],
  ] as const) {
    it(`${rows}×${cols}, b=${b}: known spectrum and Gaussian`, async () => {
      const k = Math.min(rows, cols);
      const sigma = Array.from({ length: k }, (_, i) => (i % 5 === 0 ? 0 : 1 + ((i * 37) % k) / k));
      const W = withSingularValues(rows, cols, sigma, rows + cols);
      const got = await eigenvaluesWith(backend, W, rows, cols, { bandwidth: b, minTwoStage: 0 });
      expect(
        relativeError(
          got,
          sigma.map((s) => s * s),
        ),
      ).toBeLessThan(1e-9);
      const G = gaussianMatrix(rows, cols, b);
      const ref = jacobiSquaredSingularValues(G, rows, cols);
      expect(
        relativeError(await eigenvaluesWith(backend, G, rows, cols, { bandwidth: b, minTwoStage: 0 }), ref),
      ).toBeLessThan(1e-9);
    });
  }
});
