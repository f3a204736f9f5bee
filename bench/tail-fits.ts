/**
 * Timing of the issue-8 tail comparison (TPL + EXP fits and the likelihood-ratio tests) at
 * 4,096 eigenvalues — the budget is < 0.1 s per layer (WeightWatcher's TPL: 30–115 s).
 * Not a test: timings depend on the machine and its load.
 *   npx tsx bench/tail-fits.ts [n = 4096] [repeats = 20]
 * For each family it times compareTailModels on an n-point tail (the worst case: every
 * eigenvalue in the tail) and the whole power-law stage of a layer: the xmin search over
 * the n eigenvalues, then the comparison on the tail it chose.
 */
import { compareTailModels } from '../src/fit/best-fit.js';
import { fitPowerLaw } from '../src/fit/powerlaw.js';
import { samplePowerLaw, sampleExponential, sampleTruncatedPowerLaw } from '../test/fit/samplers.js';

const n = Number(process.argv[2] ?? 4096);
const repeats = Number(process.argv[3] ?? 20);

const families: [string, Float64Array][] = [
  ['PL α=2.5', samplePowerLaw(n, 2.5, 1, 1)],
  ['TPL α=1.5 Λ=0.01', sampleTruncatedPowerLaw(n, 1.5, 0.01, 1, 1)],
  ['TPL α=-20 Λ=20 (MP-edge-like hump)', sampleHump(n)],
  ['EXP Λ=0.5', sampleExponential(n, 0.5, 1, 1)],
];

function sampleHump(count: number): Float64Array {
  // y^{20} e^{−20y} on y ≥ 1 (α = −20, Λ = 20): a Gamma(21, 20) variable kept when ≥ 1 — the
  // shape a random layer's tail near the MP edge fits (negative α, large Λ).
  const out = new Float64Array(count);
  let s = 12345;
  const u = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) + 0.5) / 4294967296;
  for (let i = 0; i < count; ) {
    let g = 0;
    for (let k = 0; k < 21; k++) g -= Math.log(u());
    const y = g / 20;
    if (y >= 1) out[i++] = y;
  }
  return out.sort();
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

console.log(`n = ${n}, ${repeats} repeats, node ${process.version}`);
for (const [name, tail] of families) {
  let alpha = 0;
  for (const x of tail) alpha += Math.log(x / tail[0]!);
  alpha = 1 + tail.length / alpha;
  const compare: number[] = [];
  let result = compareTailModels(tail, tail[0]!, alpha);
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    result = compareTailModels(tail, tail[0]!, alpha);
    compare.push(performance.now() - t0);
  }
  // The whole power-law stage of a layer: the xmin search, then the comparison on its tail.
  const stage: number[] = [];
  let stageBest = '';
  for (let r = 0; r < Math.max(3, repeats >> 2); r++) {
    const t0 = performance.now();
    const pl = fitPowerLaw(tail);
    if (pl.status === 'ok') stageBest = `${compareTailModels(pl.tail, pl.xmin, pl.alpha).bestFit} on ${pl.numTail}`;
    stage.push(performance.now() - t0);
  }
  const tpl = result.models.status === 'ok' ? result.models.truncatedPowerLaw : undefined;
  console.log(
    `${name.padEnd(36)} best ${result.bestFit.padEnd(3)}  TPL α ${tpl?.alpha.toFixed(3)} Λ ${tpl?.lambda.toExponential(3)}  ` +
      `compare median ${median(compare).toFixed(2)} ms, max ${Math.max(...compare).toFixed(2)} ms  |  ` +
      `xmin search + compare median ${median(stage).toFixed(0)} ms (best ${stageBest})`,
  );
}
