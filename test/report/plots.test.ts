/**
 * The SVG plots, checked on the reference model: what each draws and where, read back
 * from the markup (the browser test checks that they render).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisReport } from '../../src/schema/index.js';
import type { AnalyzedLayer, LayerResult } from '../../src/schema/index.js';
import { logLogEsdPlot } from '../../src/report/plots/loglog-esd.js';
import { linearEsdPlot, LINEAR_AXIS_CUT } from '../../src/report/plots/linear-esd.js';
import { alphaHistogram } from '../../src/report/plots/alpha-histogram.js';
import { phaseBar } from '../../src/report/plots/phase-bar.js';
import { layerNamed, referenceReports } from './report-fixture.js';

let plain: AnalysisReport;
let withMp: AnalysisReport;
beforeAll(async () => {
  ({ plain, withMp } = await referenceReports());
});

/** The first point of the path with this class. */
const pathStart = (svg: string, cls: string) => {
  const m = new RegExp(`class="${cls}" d="M([-\\d.]+) ([-\\d.]+)`).exec(svg);
  if (!m) throw new Error(`no path .${cls}`);
  return [Number(m[1]), Number(m[2])] as const;
};
const evals = (l: AnalyzedLayer) => l.eigenvalues!;

describe('log-log ESD', () => {
  it('draws the histogram, the fitted tail, the power law from xmin, and the MP edge', () => {
    const l = layerNamed(withMp, 'b_gauss_spike3_1000x500');
    const { svg, notes } = logLogEsdPlot(l, evals(l));
    expect(svg).toMatch(/^<svg class="plot esd-log" viewBox="0 0 \d+ \d+"/);
    expect(svg).toContain('<title>Log-log ESD and power-law fit</title>');
    expect(svg).toContain('class="hist" d="M');
    expect(svg).toContain('class="hist tail" d="M');
    // The power law starts on the xmin marker.
    expect(pathStart(svg, 'pl')[0]).toBeCloseTo(pathStart(svg, 'xmin')[0], 0);
    expect(svg).toContain('power law α = 4.03 ± 0.27');
    expect(svg).toContain('xmin = 1490');
    const mp = l.mp.status === 'ok' ? l.mp : undefined;
    expect(svg).toContain(`MP edge λ₊ = ${Number(mp!.lambdaPlus.toPrecision(4))}`);
    expect(svg).toContain('10³');
    expect(notes).toEqual([]);
  });

  it('names the numerical zeros it leaves out, and a failed fit', () => {
    const l = layerNamed(plain, 'd_rank50_1000x500');
    expect(logLogEsdPlot(l, evals(l)).notes).toEqual(['450 eigenvalues ≤ 10⁻¹²·λmax (numerically zero) not shown']);
    const failed: AnalyzedLayer = {
      ...l,
      powerLaw: { status: 'failed', code: 'too-few-eigenvalues', reason: 'only 2 eigenvalue(s) above 1e-5' },
    };
    const f = logLogEsdPlot(failed, evals(l));
    expect(f.notes[0]).toBe('power-law fit failed: only 2 eigenvalue(s) above 1e-5');
    expect(f.svg).not.toContain('class="pl"');
    expect(logLogEsdPlot(l, [0, 0, 0]).notes).toEqual(['no positive eigenvalues to plot']);
  });
});

describe('linear ESD and MP fit', () => {
  it('draws the MP curve inside [λ₋, λ₊], the TW band and the spikes, and cuts the axis', () => {
    const l = layerNamed(withMp, 'b_gauss_spike3_1000x500');
    const mp = l.mp.status === 'ok' ? l.mp : undefined;
    const { svg, notes } = linearEsdPlot(l, evals(l));
    expect(svg).toContain('class="mp" d="M');
    expect(svg).toContain('class="tw"');
    expect(svg).toContain(`MP fit, σ = ${Number(mp!.sigma.toPrecision(3))}, bulk 99%`);
    // Three spikes beyond λ₊ + TW: one rug tick on the axis, two beyond the cut.
    const rug = /class="rug" d="([^"]*)"/.exec(svg)![1]!;
    expect(rug.match(/M/g)).toHaveLength(1);
    expect(svg).toContain('3 beyond λ₊ + TW');
    const cut = LINEAR_AXIS_CUT * (mp!.lambdaPlus + mp!.twWidth);
    expect(notes).toEqual([
      `axis cut at ${Number(cut.toPrecision(3))} (2.5× λ₊ + TW): 2 eigenvalues beyond, up to λmax = 23870`,
    ]);
    expect(svg).toContain('2 more →');
  });

  it('the MP curve predicts the bulk counts of a Gaussian layer', () => {
    const l = layerNamed(withMp, 'a_gauss_1000x500');
    const { svg } = linearEsdPlot(l, evals(l));
    // Compare the area under the curve with the bars' area, in SVG units.
    const bars = /class="hist" d="([^"]*)"/.exec(svg)![1]!;
    let barArea = 0;
    for (const m of bars.matchAll(/M([\d.]+) ([\d.]+)V([\d.]+)H([\d.]+)/g)) {
      barArea += (Number(m[4]) - Number(m[1])) * (Number(m[2]) - Number(m[3]));
    }
    const pts = [.../class="mp" d="([^"]*)"/.exec(svg)![1]!.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => [
      Number(m[1]),
      Number(m[2]),
    ]);
    const base = Number(/class="ax" d="M[\d.]+ [\d.]+V([\d.]+)/.exec(svg)![1]);
    let curveArea = 0;
    for (let i = 1; i < pts.length; i++)
      curveArea += (pts[i]![0]! - pts[i - 1]![0]!) * (base - (pts[i]![1]! + pts[i - 1]![1]!) / 2);
    expect(curveArea / barArea).toBeGreaterThan(0.93);
    expect(curveArea / barArea).toBeLessThan(1.07);
  });

  it('without an MP fit: no curve, a note saying why, the axis cut at the 95th percentile', () => {
    const l = layerNamed(plain, 'c_pareto_mu1_1500x500');
    const { svg, notes } = linearEsdPlot(l, evals(l));
    expect(svg).not.toContain('class="mp"');
    expect(notes[0]).toBe('Marchenko–Pastur fit failed: not implemented (no MP curve)');
    expect(notes[1]).toMatch(
      /^axis cut at .* \(2\.5× the 95th percentile\): \d+ eigenvalues beyond, up to λmax = 1\.242×10¹¹$/,
    );
  });
});

describe('summary plots', () => {
  it('α histogram: one stacked box per bin and phase, every fitted layer counted once', () => {
    const { svg, notes } = alphaHistogram(withMp.layers);
    const boxes = [...svg.matchAll(/<rect [^>]*fill="#[0-9a-f]{6}"><title>([^:]+): (\d+)<\/title>/g)];
    const total = boxes.reduce((a, m) => a + Number(m[2]), 0);
    expect(total).toBe(withMp.layers.filter((l) => l.status === 'analyzed' && l.powerLaw.status === 'ok').length);
    expect(svg).toContain('well trained (2–4)');
    expect(svg).toContain('bulk-decay ≤ 6');
    expect(notes).toEqual([]);
  });

  it('α histogram: values above the axis go to an overflow bin; layers without a fit are named', () => {
    const base = withMp.layers.find((l) => l.status === 'analyzed') as AnalyzedLayer;
    const make = (alpha: number | null): LayerResult =>
      alpha === null
        ? { ...base, powerLaw: { status: 'failed', code: 'no-finite-alpha', reason: 'x' } }
        : {
            ...base,
            powerLaw: { status: 'ok', alpha, xmin: 1, xmax: 2, D: 0.1, sigma: 0.1, numTail: 10, bestFit: 'PL' },
          };
    const { svg, notes } = alphaHistogram([make(3), make(35), make(null)]);
    expect(svg).toContain('&gt;20');
    expect(notes).toEqual(['1 analysed layer without a power-law fit not shown']);
  });

  it('phase bar: one segment per phase present, widths adding up to the whole', () => {
    const svg = phaseBar(withMp.summary.phases);
    const widths = [...svg.matchAll(/<rect x="[\d.]+" y="0" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths.length).toBe(Object.values(withMp.summary.phases).filter((n) => n > 0).length);
    expect(widths.reduce((a, b) => a + b, 0)).toBeCloseTo(1000, 0);
  });
});
