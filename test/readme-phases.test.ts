/**
 * Issue 16, item 2: README's phase table cannot drift from the classifier. Every rule the
 * classifier has (PHASE_RULES) appears once in README, in decision order, beside the phase it
 * yields (RULE_PHASE, which decide() itself uses), and every threshold README quotes is built
 * here from the constant in src/phase-thresholds.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PHASE_RULES } from '../src/schema/index.js';
import { RULE_PHASE } from '../src/phase.js';
import * as T from '../src/phase-thresholds.js';
import { ROOT } from './helpers.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('### The phase of each layer'), readme.indexOf('**Best fit of the tail**'));

describe("README's phase table", () => {
  // "phase (`rule`)", also across a line break; the table's header "phase (`rule`)" is not a row.
  const pairs = [...section.matchAll(/([a-z+-]+)\s+\(`([a-z-]+)`\)/g)]
    .map((m) => [m[1]!, m[2]!] as const)
    .filter(([phase]) => phase !== 'phase');

  it('names every rule once, in decision order, with the phase the classifier gives it', () => {
    expect(pairs.map(([, rule]) => rule)).toEqual([...PHASE_RULES]);
    for (const [phase, rule] of pairs) expect(phase, rule).toBe(RULE_PHASE[rule as keyof typeof RULE_PHASE]);
  });

  it('quotes each threshold as the constant it is', () => {
    expect(T.CONTINUUM_SPAN, 'README calls the band (floor, 2·floor] "the octave above"').toBe(2);
    const pct = (x: number) => Math.round(x * 100);
    for (const text of [
      `σ ≤ ${T.ROUNDING_FLOOR_FACTOR}·u·RMS(W)`,
      `σ ≤ ${T.STEP_FLOOR_FACTOR}·√v·(√N+√M)`,
      `beyond ${T.CONTINUUM_WEIGHT}× those in the octave above it`,
      `at least ${pct(T.RANK_COLLAPSE_MIN_ZERO_FRACTION)} percentage points`,
      `α < ${T.HEAVY_ALPHA}`,
      `λ₊ + ${T.OUTLIER_TW}·TW`,
      `≤ max(${T.FEW_OUTLIERS_MIN}, ${pct(T.FEW_OUTLIERS_FRACTION)} % of the eigenvalues)`,
      `below ${T.SEPARATED_STRENGTH}× the BBP threshold`,
      `(< ${T.VERY_HEAVY_ALPHA}: very heavy)`,
      `≥ ${pct(T.HEAVY_TAIL_MIN_FRACTION)} % of the eigenvalues`,
      `below max(${T.KS_POOR}, ${T.KS_POOR_SMALL_SAMPLE}/√bulk size)`,
      `reaching ${T.HEAVY_SPAN}× λ₊`,
      `within ${T.LORA_RANDOM_SPREAD_MARGIN}× of what random factors`,
    ]) {
      expect(section, text).toContain(text);
    }
  });

  it('can fail: a rule renamed in the text is found', () => {
    const broken = section.replace('(`not-heavy-tail`)', '(`not-heavy`)');
    const rules = [...broken.matchAll(/([a-z+-]+)\s+\(`([a-z-]+)`\)/g)].map((m) => m[2]).filter((r) => r !== 'rule');
    expect(rules).not.toEqual([...PHASE_RULES]);
  });
});
