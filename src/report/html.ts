/**
 * The HTML report (`--report FILE.html`, `--format html`): one self-contained file that
 * works offline — no scripts, styles, fonts or images from anywhere else. A summary at the
 * top (phase counts, α across layers, the gate), a layer index with anchors, then one
 * collapsible section per analysed layer with its log-log ESD and power-law fit, its
 * linear ESD and Marchenko–Pastur fit, the phase badge and its reason.
 *
 * Tensor names and every other string from a model are hostile input: all of them go
 * through escapeXml, anchors are built from row numbers, never from names, and a
 * Content-Security-Policy allows exactly the page's own inline style and script (by hash)
 * and nothing from the network, so even a missed escape could neither run script nor
 * send a request.
 */
import { createHash } from 'node:crypto';
import type { AnalyzedLayer, LayerResult, PhaseName } from '../schema/index.js';
import { PHASE_NAMES } from '../schema/index.js';
import type { AnalysisReport, GateResult } from '../schema/index.js';
import { formatShape, notAnalysed, skippedCounts } from './format.js';
import { STYLE } from './html-style.js';
import { escapeXml as esc } from './svg/escape.js';
import { printable } from '../errors.js';

/** Text from the model (names, paths, reasons quoting them), shown escaped as in the terminal. */
const text = (s: string) => esc(printable(s, Number.POSITIVE_INFINITY));
import { formatLabel } from './svg/format.js';
import { alphaHistogram } from './plots/alpha-histogram.js';
import { linearEsdPlot } from './plots/linear-esd.js';
import { logLogEsdPlot } from './plots/loglog-esd.js';
import { phaseBar } from './plots/phase-bar.js';
import type { Figure } from './plots/figure.js';

/** Up to this many analysed layers, every layer's section starts open. */
export const OPEN_SECTIONS_UP_TO = 8;

// Opens a layer's section when the index links to it (scrolled to the top), and the expand/collapse buttons.
const SCRIPT =
  '(function(){function t(){var e=document.getElementById(location.hash.slice(1));' +
  // Opening the section moves what follows; once laid out, its top is put at the top of the view.
  "if(e&&e.tagName==='DETAILS'){e.open=true;requestAnimationFrame(function(){e.scrollIntoView({block:'start'})})}}" +
  "addEventListener('hashchange',t);t();" +
  "function a(v){document.querySelectorAll('details.layer').forEach(function(d){d.open=v})}" +
  "document.getElementById('xa').addEventListener('click',function(){a(true)});" +
  "document.getElementById('ca').addEventListener('click',function(){a(false)})})();";

const sha256 = (s: string) => `'sha256-${createHash('sha256').update(s, 'utf8').digest('base64')}'`;

/** Nothing may be fetched; only this page's own style and script run. */
export const CONTENT_SECURITY_POLICY =
  `default-src 'none'; style-src ${sha256(STYLE)}; script-src ${sha256(SCRIPT)}; img-src data:; ` +
  `base-uri 'none'; form-action 'none'`;

export function renderHtml(report: AnalysisReport, options: { readonly showSkipped?: boolean } = {}): string {
  const analyzed = report.layers.filter((l): l is AnalyzedLayer => l.status === 'analyzed');
  const title = report.models.map((m) => m.path).join(', ') || 'no model';
  const open = analyzed.length <= OPEN_SECTIONS_UP_TO;
  const parts: string[] = [];
  parts.push(
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<meta http-equiv="Content-Security-Policy" content="${CONTENT_SECURITY_POLICY}">`,
    '<link rel="icon" href="data:,">',
    `<title>${text(`ESD report — ${title}`)}</title>`,
    `<style>${STYLE}</style></head><body><main>`,
  );
  parts.push(header(report));
  parts.push(summary(report));
  parts.push(index(report, options.showSkipped === true));
  parts.push(
    '<h2 id="layers">Layers <span class="tools"><button type="button" id="xa">expand all</button>' +
      '<button type="button" id="ca">collapse all</button></span></h2>',
  );
  if (analyzed.length === 0) parts.push('<p class="meta">No layer was analysed.</p>');
  report.layers.forEach((l, i) => {
    if (l.status === 'analyzed') parts.push(layerSection(l, i, open));
  });
  parts.push(
    `<footer>${esc(report.tool.name)} ${esc(report.tool.version)} · eigenvalues of WᵀW (no 1/N); power law fitted by ` +
      'Clauset–Shalizi–Newman maximum likelihood on λ ≥ xmin; ' +
      'Marchenko–Pastur density ρ(λ) = Q/(2πs²λ)·√((λ₊−λ)(λ−λ₋)) ' +
      'scaled to the share of eigenvalues in the bulk; TW is the Tracy–Widom width at λ₊.</footer>',
  );
  parts.push(`</main><script>${SCRIPT}</script></body></html>\n`);
  return parts.join('\n');
}

function header(report: AnalysisReport): string {
  const models = report.models
    .map((m) =>
      'error' in m
        ? `<code>${text(m.path)}</code> · unreadable: ${text(m.error)}`
        : `<code>${text(m.path)}</code> · ${esc(m.format)} · ${m.tensors} tensors · ${formatBytes(m.bytes)}`,
    )
    .join('<br>');
  return (
    `<header><h1>Spectral analysis of the weights</h1><p class="meta">${models}</p>` +
    '<nav class="top"><a href="#summary">Summary</a><a href="#index">Layer index</a>' +
    '<a href="#layers">Layers</a></nav></header>'
  );
}

/** A phase badge; colours come from a class per phase (inline styles would need 'unsafe-inline'). */
function badge(phase: PhaseName, text: string = phase): string {
  return `<span class="badge ph${PHASE_NAMES.indexOf(phase)}">${esc(text)}</span>`;
}

function summary(report: AnalysisReport): string {
  const s = report.summary;
  const stat = (label: string, value: string) => `<div><dt>${label}</dt><dd>${value}</dd></div>`;
  let out = '<section id="summary"><h2>Summary</h2>';
  if (report.gate) out += gate(report.gate, report.layers);
  out += '<div class="card"><dl class="stats">';
  out += stat('layers analysed', `${s.analyzed} <span class="meta">of ${s.layers}</span>`);
  if (s.skipped > 0) out += stat('skipped', String(s.skipped));
  out += stat('mean α', fmt(s.meanAlpha));
  out += stat('mean α-weighted', fmt(s.meanAlphaWeighted));
  out += stat('mean log-norm', fmt(s.meanLogNorm));
  out += stat('mean stable rank', fmt(s.meanStableRank));
  out += '</dl></div>';
  if (s.analyzed > 0) {
    out += '<div class="card"><strong>Phases</strong>';
    out += phaseBar(s.phases);
    out += '<div class="badges">';
    for (const p of PHASE_NAMES) {
      const n = s.phases[p];
      out += n > 0 ? badge(p, `${p} ${n}`) : `<span class="badge zero">${p} 0</span>`;
    }
    out += '</div></div>';
    out += `<div class="card">${figure(alphaHistogram(report.layers), 'wide')}</div>`;
  }
  return out + perModel(report) + '</section>';
}

/** With several models: each one's counts, mean α and α histogram (`models[i].summary`). */
function perModel(report: AnalysisReport): string {
  if (report.models.length < 2) return '';
  let out = '';
  report.models.forEach((m, i) => {
    if ('error' in m || m.summary === undefined) return;
    const s = m.summary;
    out += `<div class="card"><strong class="mono">${text(m.path)}</strong><p class="meta">`;
    out += `${s.analyzed} of ${s.layers} layers analysed · mean α ${fmt(s.meanAlpha)}</p>`;
    if (s.analyzed > 0) {
      const title = `α across layers — ${printable(m.path, 120)}`;
      out += figure(
        alphaHistogram(
          report.layers.filter((l) => l.model === i),
          title,
        ),
        'wide',
      );
    }
    out += '</div>';
  });
  return out;
}

function gate(g: GateResult, layers: readonly LayerResult[]): string {
  const anchor = new Map<string, number>();
  layers.forEach((l, i) => {
    if (!anchor.has(l.id)) anchor.set(l.id, i);
    if (!anchor.has(l.name)) anchor.set(l.name, i);
  });
  let out = `<div class="card gate ${g.passed ? 'pass' : 'fail'}"><h3>Gate ${g.passed ? 'passed' : 'failed'}</h3>`;
  if (g.failures.length === 0) return out + '<p class="meta">Every rule held for every layer.</p></div>';
  out += `<p class="meta">${g.failures.length} rule violation${g.failures.length === 1 ? '' : 's'}:</p>`;
  out += '<table><thead><tr><th>layer</th><th>rule</th><th class="n">value</th></tr></thead><tbody>';
  for (const f of g.failures) {
    const i = anchor.get(f.layer);
    const name =
      i !== undefined && layers[i]?.status === 'analyzed' ? `<a href="#L${i}">${text(f.layer)}</a>` : text(f.layer);
    const value = typeof f.value === 'number' ? fmt(f.value) : esc(f.value);
    out += `<tr><td class="name mono">${name}</td><td>${esc(f.rule)}</td><td class="n">${value}</td></tr>`;
  }
  return out + '</tbody></table></div>';
}

function index(report: AnalysisReport, showSkipped: boolean): string {
  const multi = report.models.length > 1;
  const skipped = skippedCounts(report.layers);
  // A CSS-only toggle (no script): unchecked, the skipped rows (class sk) are hidden.
  const toggle = skipped
    ? `<input type="checkbox" id="ss"${showSkipped ? ' checked' : ''}><label for="ss"> show the ${esc(skipped)}</label>`
    : '';
  let out = `<section id="index"><h2>Layer index</h2>${toggle}<div class="card idx"><table><thead><tr>`;
  out +=
    '<th class="n">#</th><th>layer</th><th>kind</th><th>shape</th><th class="n">N×M</th><th class="n">α</th>' +
    '<th class="n">λmax</th><th class="n">λ₊</th><th class="n">spikes</th><th>phase</th>';
  out += '</tr></thead><tbody>';
  let lastModel = -1;
  report.layers.forEach((l, i) => {
    if (multi && l.model !== lastModel) {
      lastModel = l.model;
      out += `<tr class="model"><td colspan="10" class="mono">${text(report.models[l.model]?.path ?? '')}</td></tr>`;
    }
    if (l.status !== 'analyzed') {
      out +=
        `<tr class="skip${l.status === 'skipped' ? ' sk' : ''}"><td class="n">${i + 1}</td>` +
        `<td class="name mono">${text(l.id)}</td><td>${esc(l.kind)}</td>` +
        `<td>${esc(formatShape(l.shape))}</td><td colspan="6">${text(notAnalysed(l))}</td></tr>`;
      return;
    }
    const alpha = l.powerLaw.status === 'ok' ? fmt(l.powerLaw.alpha, 3) : '—';
    const mpPlus = l.mp.status === 'ok' ? fmt(l.mp.lambdaPlus) : '—';
    const spikes = l.mp.status === 'ok' ? String(l.mp.numSpikes) : '—';
    out +=
      `<tr><td class="n">${i + 1}</td><td class="name mono"><a href="#L${i}">${text(l.id)}</a></td>` +
      `<td>${esc(l.kind)}</td><td>${esc(formatShape(l.shape))}</td><td class="n">${dims(l)}</td>` +
      `<td class="n">${alpha}</td><td class="n">${fmt(l.metrics.lambdaMax)}</td><td class="n">${mpPlus}</td>` +
      `<td class="n">${spikes}</td><td>${badge(l.phase.name)}</td></tr>`;
  });
  return out + '</tbody></table></div></section>';
}

function layerSection(l: AnalyzedLayer, i: number, open: boolean): string {
  const alpha = l.powerLaw.status === 'ok' ? `α ${fmt(l.powerLaw.alpha, 3)}` : 'no power-law fit';
  let out = `<details class="layer" id="L${i}"${open ? ' open' : ''}><summary>`;
  out += `<span class="lname mono">${text(l.id)}</span>${badge(l.phase.name)}`;
  const facts = [esc(l.kind), esc(formatShape(l.shape)), dims(l), alpha, `λmax ${fmt(l.metrics.lambdaMax)}`];
  out += `<span class="facts">${facts.join(' · ')}</span>`;
  out += '</summary><div class="body">';
  out += `<p class="reason">${badge(l.phase.name)} ${text(l.phase.reason)}</p>`;
  out += numbers(l);
  if (l.eigenvalues === undefined) {
    out += '<p class="meta">Eigenvalues were not kept for this report, so there are no plots.</p>';
  } else {
    const plots = figure(logLogEsdPlot(l, l.eigenvalues)) + figure(linearEsdPlot(l, l.eigenvalues));
    out += `<div class="figs">${plots}</div>`;
  }
  out += '<p class="up"><a href="#index">↑ layer index</a></p></div></details>';
  return out;
}

function numbers(l: AnalyzedLayer): string {
  const row = (k: string, v: string) => `<div><dt>${k}</dt><dd>${v}</dd></div>`;
  const m = l.metrics;
  let out = '<dl class="nums">';
  out += row('N × M', `${l.N} × ${l.M}${l.slices > 1 ? ` · ${l.slices} slices` : ''}`);
  out += row('Q = N/M', fmt(l.Q, 3));
  out += row('dtype', esc(l.dtype));
  out += row('eigenvalues', String(l.numEvals));
  out += row('λmax', fmt(m.lambdaMax));
  out += row('stable rank', fmt(m.stableRank));
  out += row('entropy', fmt(m.entropy, 3));
  out += row('rank loss', String(m.rankLoss));
  out += row('log-norm', fmt(m.logNorm));
  out += '<div class="h">Power law</div>';
  const pl = l.powerLaw;
  if (pl.status === 'ok') {
    out += row('α', `${fmt(pl.alpha, 3)} ± ${fmt(pl.sigma, 2)}`);
    out += row('xmin', fmt(pl.xmin));
    out += row('xmax', fmt(pl.xmax));
    out += row('KS distance D', fmt(pl.D, 3));
    out += row('tail size', String(pl.numTail));
    out += row('best fit', esc(pl.bestFit));
    out += row('α-weighted', fmt(m.alphaWeighted));
    if (pl.alternatives?.status === 'ok') {
      const a = pl.alternatives;
      out += row('TPL α, Λ', `${fmt(a.truncatedPowerLaw.alpha, 3)}, ${fmt(a.truncatedPowerLaw.lambda, 3)}`);
      out += row('EXP Λ', fmt(a.exponential.lambda, 3));
      out += `<div class="wide"><dt>why ${esc(pl.bestFit)}</dt><dd>${text(a.reason)}</dd></div>`;
    }
  } else {
    out += row('failed', text(pl.reason));
  }
  if (l.hill !== undefined) {
    out += row('Hill α (xmin median)', l.hill.alpha === null ? '—' : fmt(l.hill.alpha, 3));
  }
  out += '<div class="h">Marchenko–Pastur</div>';
  const mp = l.mp;
  if (mp.status === 'ok') {
    out += row('σ (mean-1 units)', fmt(mp.sigma, 3));
    out += row('λ₋', fmt(mp.lambdaMinus));
    out += row('λ₊', fmt(mp.lambdaPlus));
    out += row('TW width', fmt(mp.twWidth, 3));
    out += row('spikes', String(mp.numSpikes));
    out += row('bulk KS', fmt(mp.bulkKS, 3));
    out += row('soft rank λ₊/λmax', fmt(mp.softRank, 3));
  } else {
    out += row('failed', text(mp.reason));
  }
  if (l.traps) {
    const t = l.traps;
    out += '<div class="h">Correlation traps (shuffled W)</div>';
    out += row('traps', String(t.numTraps));
    out += row('λmax shuffled', fmt(t.lambdaMaxRandom));
    out += row('MP edge shuffled', fmt(t.lambdaPlusRandom));
    out += row('trap threshold', fmt(t.threshold));
    out += row('JS distance', fmt(t.distance, 3));
    out += row('KS distance', fmt(t.ksDistance, 3));
    out += row('seed', String(t.seed));
  }
  if (l.vectors) {
    const v = l.vectors;
    out += `<div class="h">Eigenvector localization (tail: ${esc(v.split.by)})</div>`;
    const wide = (k: string, v: string) => `<div class="wide"><dt>${k}</dt><dd>${v}</dd></div>`;
    const stats = (pr: number | null, lr: number | null, h: number | null) =>
      `participation ratio ${fmt(pr, 3)} · localization ratio ${fmt(lr, 3)} · entropy ${fmt(h, 3)}`;
    const group = (name: string, g: typeof v.tail) =>
      wide(
        `${name}, ${g.count} vectors${g.computed < g.count ? ` (${g.computed} computed)` : ''}`,
        g.computed > 0 ? stats(g.participationRatio, g.localizationRatio, g.entropy) : '—',
      );
    out += group('tail', v.tail);
    out += group('bulk', v.bulk);
    out += wide('random vectors', stats(v.random.participationRatio, v.random.localizationRatio, v.random.entropy));
    out += row('min PR in tail', fmt(v.tail.minParticipationRatio, 3));
  }
  return out + '</dl>';
}

function figure(f: Figure, cls?: string): string {
  const notes = f.notes.map(esc).join('<br>');
  return `<figure${cls ? ` class="${cls}"` : ''}>${f.svg}${notes ? `<figcaption>${notes}</figcaption>` : ''}</figure>`;
}

function dims(l: AnalyzedLayer): string {
  return `${l.N}×${l.M}${l.slices > 1 ? `·${l.slices}` : ''}`;
}

function fmt(x: number | null | undefined, digits = 4): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  return esc(formatLabel(x, digits));
}

function formatBytes(b: number): string {
  if (b < 1024) return `${b} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = b;
  let u = -1;
  do {
    v /= 1024;
    u++;
  } while (v >= 1024 && u < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}
