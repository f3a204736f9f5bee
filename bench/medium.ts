/**
 * Medium matrices (issue 14, item 4): the one-stage path (WebAssembly Gram and dsytd2, QL)
 * against the two-stage path with onnxruntime, one thread each, over a grid of shapes N×M
 * (N = q·M). The crossover chose eigen.ts usesTwoStage; its pick is marked. Not a test:
 * timings depend on the machine and its load.
 *   npx tsx bench/medium.ts [repeats = 5]
 * Each cell: one-stage / two-stage ms, best of the repeats, copying W included (both sides).
 */
import { loadavg } from 'node:os';
import { eigenvaluesTs, eigenvaluesWith, usesTwoStage } from '../src/spectrum/eigen.js';
import { OrtBackend } from '../src/spectrum/ort.js';
import { bestOf } from './best-of.js';

const repeats = Number(process.argv[2] ?? 5);
const Ms = [96, 128, 192, 224, 256, 288, 320, 384, 480];
const qs = [1, 2, 4, 9, 25];

const best = (run: () => unknown) => bestOf(repeats, run);

/** Seeded uniform entries in [−½, ½). */
function seeded(length: number, seed: number): Float64Array {
  const W = new Float64Array(length);
  let s = seed;
  for (let i = 0; i < length; i++) {
    s = (s * 48271) % 2147483647;
    W[i] = s / 2147483647 - 0.5;
  }
  return W;
}

const ort = OrtBackend.load(1);
if (!(ort instanceof OrtBackend)) {
  console.log(`onnxruntime unavailable (${ort.unavailable}): nothing to compare`);
  process.exit(0);
}
console.log(`load average ${loadavg()[0]!.toFixed(2)}; one-stage / two-stage ms, * = usesTwoStage's pick`);
console.log(['M'.padStart(4), ...qs.map((q) => `N = ${q}·M`.padStart(16))].join(''));
for (const M of Ms) {
  const cells: string[] = [];
  for (const q of qs) {
    const N = q * M;
    const W = seeded(N * M, 7 + M + q);
    const one = await best(() => eigenvaluesTs(W.slice(), N, M));
    const two = await best(() => eigenvaluesWith(ort, W.slice(), N, M, { minTwoStage: 0 }));
    const pick = usesTwoStage(N, M);
    cells.push(`${one.toFixed(1)}${pick ? '' : '*'} / ${two.toFixed(1)}${pick ? '*' : ''}`.padStart(16));
  }
  console.log([String(M).padStart(4), ...cells].join(''));
}
await ort.close();
