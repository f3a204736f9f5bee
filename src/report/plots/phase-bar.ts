/** The share of analysed layers in each phase, as one stacked horizontal bar. */
import { PHASE_NAMES, type PhaseName } from '../../schema/index.js';
import { PHASE_PALETTE } from '../palette.js';
import { num } from '../svg/path.js';

export function phaseBar(counts: Readonly<Record<PhaseName, number>>): string {
  const total = PHASE_NAMES.reduce((a, p) => a + counts[p], 0);
  if (total === 0) return '';
  const W = 1000;
  let x = 0;
  let body = '';
  for (const p of PHASE_NAMES) {
    const c = counts[p];
    if (c === 0) continue;
    const w = (W * c) / total;
    body +=
      `<rect x="${num(x)}" y="0" width="${num(w)}" height="14" fill="${PHASE_PALETTE[p].css}">` +
      `<title>${p}: ${c} of ${total}</title></rect>`;
    x += w;
  }
  return (
    `<svg class="phasebar" viewBox="0 0 ${W} 14" preserveAspectRatio="none" role="img" ` +
    `xmlns="http://www.w3.org/2000/svg"><title>Layers per phase</title>${body}</svg>`
  );
}
