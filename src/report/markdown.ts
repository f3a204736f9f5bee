/**
 * `--format markdown`: a GitHub-flavoured Markdown report fit for a pull-request comment or
 * a job summary: the gate's verdict with its failures first, a one-line summary, a table of
 * the analysed layers, the skipped ones folded away. Names, rules and globs are code spans.
 */
import type { LayerResult } from '../schema/index.js';
import type { AnalysisReport, GateResult } from '../schema/index.js';
import { formatNumber, formatShape } from './format.js';
import { failureCount, formatValue } from './gate-text.js';
import { printable } from '../errors.js';
import { appendAll, maxOf } from '../arrays.js';

export function renderMarkdown(report: AnalysisReport): string {
  const multiModel = report.models.length > 1;
  const out: string[] = [];
  out.push(`### rmt-analyze: ${report.models.map((m) => code(m.path)).join(', ')}`, '');
  // The verdict first: in a pull-request comment it is what the reader needs.
  if (report.gate) appendAll(out, [...gateSection(report.gate, multiModel), '']);
  out.push(summaryLine(report), '');
  for (const m of report.models) if ('error' in m) out.push(`> unreadable: ${text(m.error)}`, '');

  const analyzed = report.layers.filter((l) => l.status === 'analyzed');
  if (analyzed.length > 0) {
    const head = [
      ...(multiModel ? ['model'] : []),
      'layer',
      'kind',
      'shape',
      'N×M',
      'α',
      'D',
      'log norm',
      'stable rank',
      'phase',
    ];
    const align = [
      ...(multiModel ? ['---:'] : []),
      ':---',
      ':---',
      ':---',
      '---:',
      '---:',
      '---:',
      '---:',
      '---:',
      ':---',
    ];
    out.push(row(head), row(align));
    for (const l of analyzed) {
      if (l.status !== 'analyzed') continue;
      const ok = l.powerLaw.status === 'ok' ? l.powerLaw : undefined;
      out.push(
        row([
          ...(multiModel ? [String(l.model + 1)] : []),
          code(l.id),
          l.kind,
          formatShape(l.shape),
          `${l.N}×${l.M}${l.slices > 1 ? `·${l.slices}` : ''}`,
          ok ? formatNumber(ok.alpha, 3) : '—',
          ok ? formatNumber(ok.D, 2) : '',
          formatNumber(l.metrics.logNorm, 4),
          formatNumber(l.metrics.stableRank, 4),
          l.phase.name,
        ]),
      );
    }
    out.push('');
  }

  const skipped = report.layers.filter((l): l is Extract<LayerResult, { status: 'skipped' }> => l.status === 'skipped');
  if (skipped.length > 0) {
    out.push(`<details><summary>${skipped.length} skipped layer${skipped.length === 1 ? '' : 's'}</summary>`, '');
    out.push(
      row([...(multiModel ? ['model'] : []), 'layer', 'shape', 'reason']),
      row([...(multiModel ? ['---:'] : []), ':---', ':---', ':---']),
    );
    for (const l of skipped)
      out.push(
        row([...(multiModel ? [String(l.model + 1)] : []), code(l.id), formatShape(l.shape), text(l.skipReason)]),
      );
    out.push('', '</details>', '');
  }

  return out.join('\n').replace(/\n+$/, '') + '\n';
}

function summaryLine(report: AnalysisReport): string {
  const s = report.summary;
  const parts = [`${s.analyzed} of ${s.layers} layers analysed${s.skipped > 0 ? `, ${s.skipped} skipped` : ''}`];
  const phases = Object.entries(s.phases)
    .filter(([, n]) => n > 0)
    .map(([p, n]) => `${p} ${n}`);
  if (phases.length > 0) parts.push(phases.join(', '));
  if (s.analyzed > 0) {
    parts.push(
      `mean α ${formatNumber(s.meanAlpha, 3)}`,
      `mean log norm ${formatNumber(s.meanLogNorm, 3)}`,
      `mean stable rank ${formatNumber(s.meanStableRank, 3)}`,
    );
  }
  return parts.join(' · ');
}

function gateSection(gate: GateResult, multiModel: boolean): string[] {
  if (gate.passed) return ['**Gate: ✅ passed**'];
  const out = [`**Gate: ❌ failed** (${failureCount(gate)})`, ''];
  out.push(
    row([...(multiModel ? ['model'] : []), 'layer', 'rule', 'value']),
    row([...(multiModel ? ['---:'] : []), ':---', ':---', ':---']),
  );
  for (const f of gate.failures)
    out.push(
      row([...(multiModel ? [String(f.model + 1)] : []), code(f.layer), code(f.rule), text(formatValue(f.value))]),
    );
  return out;
}

function row(cells: readonly string[]): string {
  return `| ${cells.join(' | ')} |`;
}

/**
 * Plain text in a table cell: pipes escaped, HTML and newlines neutralised, and Markdown's
 * emphasis, code and link characters escaped (a name's `*` or `_` is no italics).
 */
export function text(s: string): string {
  return printable(s, 2000)
    .replace(/[\\`*_~[\]]/g, (c) => `\\${c}`)
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** A code span holding `s` verbatim (in a table cell, pipes still need escaping: GFM spec). */
export function code(s: string): string {
  const clean = printable(s, 2000).replace(/\|/g, '\\|');
  const longest = maxOf(
    (clean.match(/`+/g) ?? []).map((m) => m.length),
    0,
  );
  const fence = '`'.repeat(longest + 1);
  const pad = clean.startsWith('`') || clean.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${clean}${pad}${fence}`;
}
