/**
 * The model-level picture: how the layers' power-law exponents α are distributed, each
 * bar stacked by phase colour, over the bands the seed work reads them against —
 * α < 2 very heavy, 2–4 the well-trained regime, and 6 as the upper end of bulk-decay;
 * larger α is what random-like layers fit.
 */
import { PHASE_NAMES, type LayerResult, type PhaseName } from '../../schema/index.js';
import { PHASE_PALETTE } from '../palette.js';
import { axes } from '../svg/axes.js';
import { chart, plotArea, type ChartSpec } from '../svg/chart.js';
import { LEGEND_ROW, legendBelow, type LegendEntry } from '../svg/legend.js';
import { num } from '../svg/path.js';
import { linearScale, niceStep } from '../svg/scale.js';
import type { Figure } from './figure.js';
import { maxOf } from '../../arrays.js';

/** α above this is drawn in one overflow bin at the right end. */
export const ALPHA_AXIS_MAX = 20;
export const WELL_TRAINED: readonly [number, number] = [2, 4];
export const BULK_DECAY_MAX = 6;

const SPEC: ChartSpec = {
  width: 1000,
  height: 270 + LEGEND_ROW,
  margins: { top: 26, right: 14, bottom: 44 + LEGEND_ROW, left: 46 },
  title: 'Power-law exponent α across layers',
  className: 'alpha-hist',
};

/** `title`: the chart's (already printable) title; per model, it names the model. */
export function alphaHistogram(layers: readonly LayerResult[], title = SPEC.title): Figure {
  const area = plotArea(SPEC);
  const points: { alpha: number; phase: PhaseName }[] = [];
  let noFit = 0;
  for (const l of layers) {
    if (l.status !== 'analyzed') continue;
    if (l.powerLaw.status === 'ok' && Number.isFinite(l.powerLaw.alpha))
      points.push({ alpha: l.powerLaw.alpha, phase: l.phase.name });
    else noFit++;
  }
  const notes = noFit > 0 ? [`${noFit} analysed layer${noFit === 1 ? '' : 's'} without a power-law fit not shown`] : [];
  const top = Math.min(
    ALPHA_AXIS_MAX,
    Math.max(
      8,
      Math.ceil(
        maxOf(
          points.map((p) => p.alpha),
          1,
        ),
      ),
    ),
  );
  const width = top <= 10 ? 0.25 : 0.5;
  const binsN = Math.round((top - 1) / width);
  const overflow = points.some((p) => p.alpha > top);
  const xHi = overflow ? top + 2 * width : top;
  const stacks = Array.from({ length: binsN + (overflow ? 1 : 0) }, () => new Map<PhaseName, number>());
  for (const p of points) {
    const k = p.alpha > top ? binsN : Math.min(binsN - 1, Math.max(0, Math.floor((p.alpha - 1) / width)));
    const m = stacks[k]!;
    m.set(p.phase, (m.get(p.phase) ?? 0) + 1);
  }
  const maxCount = maxOf(
    stacks.map((m) => [...m.values()].reduce((a, b) => a + b, 0)),
    1,
  );
  const x = linearScale([1, xHi], [area.x0, area.x1], xHi <= 12 ? 11 : 10);
  // Integer counts: never a tick at 0.5 layers.
  const yTop = Math.ceil((maxCount * 1.25) / Math.max(1, niceStep(maxCount, 4))) * Math.max(1, niceStep(maxCount, 4));
  const y = linearScale([0, yTop], [area.y1, area.y0], 4);
  const yInt = { ...y, ticks: () => y.ticks().filter((t) => Number.isInteger(t.value)) };

  let body = '';
  const band = (a: number, b: number, cls: string, label: string) =>
    `<rect class="${cls}" x="${num(x.map(a))}" y="${area.y0}" ` +
    `width="${num(x.map(b) - x.map(a))}" height="${area.y1 - area.y0}"/>` +
    `<text class="bandt" x="${num((x.map(a) + x.map(b)) / 2)}" y="${area.y0 + 11}" ` +
    `text-anchor="middle">${label}</text>`;
  body += band(1, 2, 'vheavy', 'α < 2');
  body += band(WELL_TRAINED[0], WELL_TRAINED[1], 'good', 'well trained (2–4)');
  body += axes(area, x, yInt, { x: 'α', y: 'layers' });
  const bx = x.map(BULK_DECAY_MAX);
  body +=
    `<path class="six" d="M${num(bx)} ${area.y0}V${area.y1}"/>` +
    `<text class="bandt" x="${num(bx + 3)}" y="${area.y0 + 11}">bulk-decay ≤ 6</text>`;
  if (overflow) {
    const ox = x.map(top + width);
    body += `<text class="tk" x="${num(ox)}" y="${area.y1 + 16}" text-anchor="middle">&gt;${top}</text>`;
  }
  stacks.forEach((m, k) => {
    const a = k === binsN ? top + width / 2 : 1 + k * width;
    const b = a + width;
    let acc = 0;
    for (const phase of PHASE_NAMES) {
      const c = m.get(phase) ?? 0;
      if (c === 0) continue;
      const y0 = y.map(acc + c);
      const y1 = y.map(acc);
      const w = Math.max(1, x.map(b) - x.map(a) - 1);
      body +=
        `<rect x="${num(x.map(a) + 0.5)}" y="${num(y0)}" width="${num(w)}" height="${num(y1 - y0)}" ` +
        `fill="${PHASE_PALETTE[phase].css}"><title>${phase}: ${c}</title></rect>`;
      acc += c;
    }
  });
  const present = PHASE_NAMES.filter((p) => points.some((q) => q.phase === p));
  const entries: LegendEntry[] = present.map((p) => ({ key: 'box', cls: 'phk', fill: PHASE_PALETTE[p].css, label: p }));
  body += legendBelow(area, entries, area.y1 + 40, entries.length, true);
  return { svg: chart({ ...SPEC, title }, body), notes };
}
