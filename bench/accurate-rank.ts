/**
 * Timing of the accurate-rank route (issue 14) against the eigen path of the same matrix,
 * one thread each. Not a test: timings depend on the machine and its load.
 *   npx tsx bench/accurate-rank.ts [repeats = 3]
 * Columns (best of the repeats, ms): the bidiagonalisation alone (WebAssembly SIMD), with the
 * Golub–Kahan QL after it (the route until dqds, now its fallback), the route as it runs (dqds
 * after it), the two-stage route with one onnxruntime thread (accurateSquaredSingularValuesOrt,
 * what the workers run from singular-values.ts TWO_STAGE_SVD_MIN_N on), and the eigen path:
 * one-stage TypeScript and, when onnxruntime loads, the two-stage path with one thread.
 */
import { loadavg } from 'node:os';
import {
  accurateSquaredSingularValues,
  accurateSquaredSingularValuesOrt,
  bidiagonal,
  golubKahanSquares,
} from '../src/spectrum/singular-values.js';
import { eigenvaluesTs, eigenvaluesWith } from '../src/spectrum/eigen.js';
import { OrtBackend } from '../src/spectrum/ort.js';
import { bestOf } from './best-of.js';

const repeats = Number(process.argv[2] ?? 3);
const shapes: [number, number][] = [
  [64, 64],
  [128, 128],
  [256, 256],
  [120, 480],
  [480, 480],
  [512, 512],
  [1000, 300],
  [1024, 1024],
];

const best = (run: () => unknown) => bestOf(repeats, run);

const ort = OrtBackend.load(1);
const backend = ort instanceof OrtBackend ? ort : undefined;
console.log(
  `load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}; onnxruntime: ${backend ? 'yes' : 'no'}`,
);
const heads = ['bidiag', 'bidiag+QL', 'route', 'route-ort', 'eigen-ts', 'eigen-ort'];
console.log(`${'shape'.padEnd(11)}${heads.map((h) => h.padStart(10)).join('')}   (ms)`);
let seed = 12345;
const rand = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296 - 0.5;
for (const [rows, cols] of shapes) {
  const W = new Float64Array(rows * cols).map(rand);
  const bidiag = await best(() => bidiagonal(W, rows, cols, true));
  const ql = await best(() => {
    const { d, e } = bidiagonal(W, rows, cols, true);
    return golubKahanSquares(d, e);
  });
  const route = await best(() => accurateSquaredSingularValues(W, rows, cols));
  const routeOrt = backend ? await best(() => accurateSquaredSingularValuesOrt(backend, W, rows, cols)) : Number.NaN;
  const eig = await best(() => eigenvaluesTs(W, rows, cols));
  const eigOrt = backend
    ? await best(() => eigenvaluesWith(backend, W.slice(), rows, cols, { minTwoStage: 0 }))
    : Number.NaN;
  const f = (x: number) => x.toFixed(1).padStart(10);
  console.log(`${`${rows}×${cols}`.padEnd(11)}${f(bidiag)}${f(ql)}${f(route)}${f(routeOrt)}${f(eig)}${f(eigOrt)}`);
}
if (backend) await backend.close();
