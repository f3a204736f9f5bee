/**
 * The HTML report as a document: self-contained (nothing to fetch, a CSP whose hashes
 * match the page's own style and script), one section per analysed layer, an index,
 * the summary and gate, and every string from a model escaped.
 */
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisReport } from '../../src/schema/index.js';
import type { AnalyzedLayer, LayerResult } from '../../src/schema/index.js';
import { CONTENT_SECURITY_POLICY, OPEN_SECTIONS_UP_TO, renderHtml } from '../../src/report/html.js';
import { REPORTERS } from '../../src/report/index.js';
import { layerNamed, referenceReports } from './report-fixture.js';

let plain: AnalysisReport;
let withMp: AnalysisReport;
beforeAll(async () => {
  ({ plain, withMp } = await referenceReports());
});

const HOSTILE = '<img src=x onerror=alert(1)>';

describe('HTML report', () => {
  it('is one self-contained document: no URL but anchors and data:, a CSP matching its own style and script', () => {
    const html = renderHtml(withMp);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(REPORTERS.html(withMp)).toBe(html);
    const urls = [...html.matchAll(/\b(?:src|href|action|xlink:href)\s*=\s*"([^"]*)"/g)].map((m) => m[1]!);
    expect(urls.length).toBeGreaterThan(12);
    for (const u of urls) expect(u).toMatch(/^(#L?\w+|data:,?)$/);
    // The only absolute URL is the SVG namespace, which is a name, not a request.
    expect([...new Set(html.match(/\bhttps?:\/\/[^\s"'<>]+/g))]).toEqual(['http://www.w3.org/2000/svg']);
    expect(html).not.toMatch(/@import|url\(|<link rel="stylesheet"|<iframe|<object|<embed/);
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    const scripts = [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
    expect(scripts).toHaveLength(1);
    const hash = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;
    expect(CONTENT_SECURITY_POLICY).toContain(`default-src 'none'`);
    expect(CONTENT_SECURITY_POLICY).toContain(`style-src ${hash(style)}`);
    expect(CONTENT_SECURITY_POLICY).toContain(`script-src ${hash(scripts[0]!)}`);
    expect(html).toContain(`<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`);
    // Inline style attributes would be blocked by that policy: there are none.
    expect(html).not.toMatch(/\sstyle="/);
  });

  it('has the summary, an index row per layer and a section with two plots per analysed layer', () => {
    const html = renderHtml(withMp);
    const analysed = withMp.layers.filter((l) => l.status === 'analyzed').length;
    expect(html.match(/<details class="layer" id="L\d+"/g)).toHaveLength(analysed);
    expect(html.match(/<svg class="plot esd-log"/g)).toHaveLength(analysed);
    expect(html.match(/<svg class="plot esd-lin"/g)).toHaveLength(analysed);
    expect(html.match(/<svg class="plot alpha-hist"/g)).toHaveLength(1);
    expect(html.match(/<svg class="phasebar"/g)).toHaveLength(1);
    withMp.layers.forEach((l, i) => {
      if (l.status === 'analyzed') expect(html).toContain(`<a href="#L${i}">${l.id}</a>`);
    });
    expect(html).toContain('skipped: 5 eigenvalues (M·slices), fewer than --min-evals 10');
    expect(html).toMatch(/<dt>layers analysed<\/dt><dd>12 <span class="meta">of 13<\/span>/);
    const b = layerNamed(withMp, 'b_gauss_spike3_1000x500');
    expect(html).toContain(`<p class="reason"><span class="badge ph2">bulk+spikes</span> ${b.phase.reason}</p>`);
    // 12 layers: sections start closed; a small model's start open.
    expect(analysed).toBeGreaterThan(OPEN_SECTIONS_UP_TO);
    expect(html).not.toMatch(/<details class="layer" id="L\d+" open>/);
    const small = { ...withMp, layers: withMp.layers.slice(0, 2) };
    expect(renderHtml(small).match(/<details class="layer" id="L\d+" open>/g)).toHaveLength(2);
  });

  it('without an MP fit, says so under the plot; without eigenvalues, says there are no plots', () => {
    const html = renderHtml(plain);
    expect(html).toContain('<figcaption>Marchenko–Pastur fit failed: not implemented (no MP curve)');
    const bare: AnalysisReport = {
      ...plain,
      layers: plain.layers.map((l) => (l.status === 'analyzed' ? { ...l, eigenvalues: undefined } : l)),
    };
    const h = renderHtml(bare);
    expect(h).not.toContain('esd-log');
    expect(h.match(/Eigenvalues were not kept for this report/g)).toHaveLength(12);
  });

  it('shows the tail-fit decision, and traps and localization when they were computed', async () => {
    const { analyze } = await import('../../src/analyze.js');
    const { GENERATED } = await import('../helpers.js');
    const { join } = await import('node:path');
    const path = join(GENERATED, 'safetensors', 'dtypes.safetensors');
    const plain = renderHtml(await analyze([path], { layers: ['dense.f32*'] }));
    expect(plain).toMatch(/<dt>why (PL|TPL|EXP)<\/dt><dd>[^<]+<\/dd>/);
    expect(plain).not.toContain('Correlation traps');
    expect(plain).not.toContain('Eigenvector localization');
    const report = await analyze([path], { layers: ['dense.f32*'], randomize: true, vectors: true });
    const l = report.layers[0] as AnalyzedLayer;
    const html = renderHtml(report);
    expect(html).toContain('Correlation traps (shuffled W)');
    expect(html).toContain(`<dt>traps</dt><dd>${l.traps!.numTraps}</dd>`);
    expect(html).toContain(`Eigenvector localization (tail: ${l.vectors!.split.by})`);
    expect(html).toMatch(/<dt>bulk, \d+ vectors<\/dt><dd>participation ratio [\d.]+ · localization ratio/);
  });

  it('shows the gate: failures linked to their layers', () => {
    const failed: AnalysisReport = {
      ...withMp,
      gate: {
        passed: false,
        failures: [
          { layer: 'a_gauss_1000x500', model: 0, rule: 'phase != random-like', value: 'random-like' },
          { layer: 'x', model: 0, rule: 'alpha < 6', value: 7.25 },
        ],
      },
    };
    const html = renderHtml(failed);
    expect(html).toContain('<h3>Gate failed</h3>');
    expect(html).toContain('<a href="#L0">a_gauss_1000x500</a>');
    expect(html).toContain('<td class="n">7.25</td>');
    expect(renderHtml({ ...withMp, gate: { passed: true, failures: [] } })).toContain('<h3>Gate passed</h3>');
    expect(renderHtml(withMp)).not.toContain('Gate');
  });

  it('escapes every string from the model: names, reasons, paths, gate entries', () => {
    const hostile: AnalysisReport = {
      ...withMp,
      models: [{ ...withMp.models[0]!, path: `/tmp/${HOSTILE}.safetensors` }],
      layers: withMp.layers.map((l): LayerResult => {
        const renamed = { ...l, id: HOSTILE + l.id, name: HOSTILE + l.name };
        if (renamed.status === 'skipped') return { ...renamed, skipReason: `same values as '${HOSTILE}'` };
        if (renamed.status === 'failed') return renamed;
        return { ...(renamed as AnalyzedLayer), phase: { ...renamed.phase, reason: `"'><script>alert(2)</script>` } };
      }),
      gate: { passed: false, failures: [{ layer: HOSTILE, model: 0, rule: '<b>rule</b>', value: '<i>v</i>' }] },
    };
    const html = renderHtml(hostile);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('<b>');
    expect(html).not.toContain('<i>');
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;a_gauss_1000x500');
    expect(html).toContain('&quot;&#39;&gt;&lt;script&gt;alert(2)&lt;/script&gt;');
    // Anchors come from row numbers, never from names.
    expect(
      [...html.matchAll(/\sid="([^"]*)"/g)]
        .map((m) => m[1]!)
        .every((id) => /^(L\d+|summary|index|layers|xa|ca|ss)$/.test(id)),
    ).toBe(true);
  });
});
