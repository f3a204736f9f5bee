/**
 * Writes an HTML report of the reference fixture, optionally with a made-up failed gate,
 * for looking at the report while working on it.
 *   npx tsx scripts/preview-report.ts out.html [--gate]
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { analyze } from '../src/analyze.js';
import { renderHtml } from '../src/report/html.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? 'preview.html';
let report = await analyze([join(root, 'fixtures', 'reference', 'synthetic.safetensors')], { eigenvalues: true });
if (process.argv.includes('--gate')) {
  report = {
    ...report,
    gate: {
      passed: false,
      failures: [
        { layer: 'a_gauss_1000x500', model: 0, rule: 'phase in [heavy-tailed, bulk-decay]', value: 'random-like' },
        { layer: 'c_pareto_mu5_1500x500', model: 0, rule: 'alpha <= 6', value: 16.7 },
      ],
    },
  };
}
await writeFile(out, renderHtml(report));
console.error(`wrote ${out}`);
