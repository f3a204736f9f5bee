/** Reporters for `rmt-analyze compare`: table, json, markdown. Pure functions of the comparison. */
import { Chalk } from 'chalk';
import type { CompareReport, LayerComparison } from '../compare.js';
import { formatNumber } from './format.js';
import { printable } from '../errors.js';
import { code, text } from './markdown.js';
import { describeFailure, failureCount } from './gate-text.js';
import { appendAll, maxOf } from '../arrays.js';

export const COMPARE_FORMATS = ['table', 'json', 'markdown'] as const;
export type CompareFormat = (typeof COMPARE_FORMATS)[number];

export function renderCompare(report: CompareReport, format: CompareFormat, options: { color: boolean }): string {
  switch (format) {
    case 'json':
      return JSON.stringify(report, null, 2) + '\n';
    case 'markdown':
      return renderCompareMarkdown(report);
    case 'table':
      return renderCompareTable(report, options);
  }
}

/** `+1.25`, `-0.031`, `0`, `—`. */
export function signed(x: number | null, digits = 3): string {
  if (x === null) return '—';
  const s = formatNumber(x, digits);
  return x > 0 ? `+${s}` : s;
}

const phaseText = (c: LayerComparison, side: 'old' | 'new') => {
  const s = c[side];
  if (s === null) return '(absent)';
  return s.phase ?? 'skipped';
};

const alphaText = (c: LayerComparison, side: 'old' | 'new') => {
  const s = c[side];
  return s?.alpha != null ? formatNumber(s.alpha, 3) : '—';
};

function note(c: LayerComparison): string {
  const paired = c.oldLayer !== undefined ? `OLD ${c.oldLayer} (${c.pairedBy})` : '';
  const what =
    c.regressions.length > 0
      ? `regression: ${c.regressions.map((r) => r.rule).join(', ')}`
      : c.presence !== 'both'
        ? c.presence
        : c.phaseChange && c.phaseChange !== 'same'
          ? c.phaseChange
          : '';
  return [what, paired].filter((s) => s !== '').join('; ');
}

const HEAD = ['layer', 'old phase', 'new phase', 'α old', 'α new', 'Δα', 'Δ log norm', 'Δ stable rank', 'note'];

function cells(c: LayerComparison): string[] {
  return [
    c.layer,
    phaseText(c, 'old'),
    phaseText(c, 'new'),
    alphaText(c, 'old'),
    alphaText(c, 'new'),
    signed(c.delta.alpha),
    signed(c.delta.logNorm),
    signed(c.delta.stableRank),
    note(c),
  ];
}

function summaryText(report: CompareReport): string {
  const s = report.summary;
  const changes = Object.entries(s.phaseChanges)
    .filter(([k, n]) => k !== 'same' && n > 0)
    .map(([k, n]) => `${n} ${k}`);
  const parts = [
    `${s.compared} layers compared` +
      (changes.length > 0 ? ` (${changes.join(', ')}, ${s.phaseChanges.same} same phase)` : ', no phase changed'),
  ];
  if (s.added > 0 || s.removed > 0) parts.push(`${s.added} added, ${s.removed} removed`);
  parts.push(
    `mean Δα ${signed(s.meanDeltaAlpha)}, mean Δ log norm ${signed(s.meanDeltaLogNorm)}, ` +
      `mean Δ stable rank ${signed(s.meanDeltaStableRank)}`,
  );
  if (s.regressed > 0) parts.push(`${s.regressed} layer${s.regressed === 1 ? '' : 's'} regressed`);
  return parts.join('; ');
}

export function renderCompareTable(report: CompareReport, options: { color: boolean }): string {
  const c = new Chalk({ level: options.color ? 1 : 0 });
  const rows = report.layers.map((l) =>
    cells(l).map((s, i) => (i === 0 || i === HEAD.length - 1 ? printable(s, 240) : s)),
  );
  const right = new Set([3, 4, 5, 6, 7]);
  const widths = HEAD.map((h, i) =>
    i === HEAD.length - 1
      ? 0
      : maxOf(
          rows.map((r) => r[i]!.length),
          h.length,
        ),
  );
  const line = (r: string[]) =>
    r
      .map((s, i) => (right.has(i) ? s.padStart(widths[i]!) : s.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  const out = [c.bold(line(HEAD))];
  report.layers.forEach((layer, i) => {
    const s = line(rows[i]!);
    out.push(layer.regressions.length > 0 ? c.red(s) : layer.phaseChange === 'heavier' ? c.green(s) : s);
  });
  out.push('', summaryText(report));
  if (report.gate) {
    if (report.gate.passed) out.push(c.green('no regression'));
    else
      appendAll(out, [
        c.red.bold(`regressions: ${failureCount(report.gate)}`),
        ...report.gate.failures.map((f) => c.red(`  ${printable(describeFailure(f), 1000)}`)),
      ]);
  }
  return out.join('\n') + '\n';
}

export function renderCompareMarkdown(report: CompareReport): string {
  const path = (side: 'old' | 'new') => report[side].models.map((m) => code(m.path)).join(', ');
  const out = [`### rmt-analyze compare: ${path('old')} → ${path('new')}`, '', text(summaryText(report)), ''];
  const row = (r: readonly string[]) => `| ${r.join(' | ')} |`;
  out.push(row(HEAD), row(HEAD.map((_, i) => (i >= 3 && i <= 7 ? '---:' : ':---'))));
  for (const l of report.layers) {
    const r = cells(l);
    out.push(
      row([
        code(r[0]!),
        ...r.slice(1, -1).map(text),
        l.regressions.length > 0 ? `**${text(r.at(-1)!)}**` : text(r.at(-1)!),
      ]),
    );
  }
  if (report.gate) {
    out.push('');
    if (report.gate.passed) out.push('**Regressions: ✅ none**');
    else {
      out.push(
        `**Regressions: ❌ ${failureCount(report.gate)}**`,
        '',
        row(['layer', 'rule', 'value']),
        row([':---', ':---', ':---']),
      );
      for (const f of report.gate.failures)
        out.push(
          row([code(f.layer), text(f.rule), text(typeof f.value === 'number' ? formatNumber(f.value, 4) : f.value)]),
        );
    }
  }
  return out.join('\n') + '\n';
}
