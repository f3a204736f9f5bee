/**
 * `rmt-analyze merge PART.json…`: the parts written by `--shard 1/n … n/n` put back into
 * exactly the document a single run prints (same layer order, summary, models; no `shard`,
 * and a `gate` only if the merge itself is given rules). Pure: the CLI reads the files.
 *
 * Parts that do not belong together (another model, other options, another version of the
 * tool, another split, a part missing or given twice) are refused with a UsageError.
 */
import { UsageError } from './errors.js';
import { skipped } from './analyze.js';
import { makeReport, withoutModelSummary } from './schema/index.js';
import { TOOL_NAME, TOOL_VERSION } from './version.js';
import { SCHEMA_VERSION, type AnalysisReport, type ShardInfo } from './schema/index.js';
import type { LayerResult } from './schema/index.js';

export interface ShardPart {
  /** Where the part came from, for messages. */
  readonly file: string;
  readonly report: AnalysisReport;
}

type Part = ShardPart & { readonly shard: ShardInfo };

export function mergeShards(parts: readonly ShardPart[]): AnalysisReport {
  if (parts.length === 0) throw new UsageError('merge: no parts given');
  const checked: Part[] = parts.map((p) => {
    checkShape(p.report, p.file);
    return { ...p, shard: p.report.shard! };
  });
  const first = checked[0]!;
  for (const p of checked) {
    const { name, version } = p.report.tool;
    if (name !== TOOL_NAME || version !== TOOL_VERSION) {
      throw new UsageError(
        `${p.file}: written by ${name} ${version}; this is ${TOOL_NAME} ${TOOL_VERSION} ` +
          '(merge with the version that wrote the parts)',
      );
    }
  }
  for (const p of checked.slice(1)) {
    const both = `${first.file} and ${p.file}`;
    // Per-model summaries are each part's own (its layers): the merge recomputes them.
    if (!same(p.report.models.map(withoutModelSummary), first.report.models.map(withoutModelSummary))) {
      throw new UsageError(
        `${both} are parts of runs on different models ` +
          `(${describeModels(first.report)} vs ${describeModels(p.report)})`,
      );
    }
    if (!same(p.shard.options, first.shard.options)) {
      throw new UsageError(
        `${both} were made with different options ` +
          `(${JSON.stringify(first.shard.options)} vs ${JSON.stringify(p.shard.options)})`,
      );
    }
    if (p.shard.count !== first.shard.count || p.shard.totalLayers !== first.shard.totalLayers) {
      throw new UsageError(
        `${both} are parts of different splits ` +
          `(${first.shard.index}/${first.shard.count} vs ${p.shard.index}/${p.shard.count})`,
      );
    }
  }

  const count = first.shard.count;
  const byIndex = new Map<number, Part>();
  for (const p of checked) {
    const other = byIndex.get(p.shard.index);
    if (other) throw new UsageError(`${other.file} and ${p.file} are both part ${p.shard.index}/${count}`);
    byIndex.set(p.shard.index, p);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0)
    throw new UsageError(
      `merge: missing part${missing.length === 1 ? '' : 's'} ${missing.map((i) => `${i}/${count}`).join(', ')}`,
    );

  const total = first.shard.totalLayers;
  const slots: (LayerResult | undefined)[] = new Array(total).fill(undefined);
  for (const p of checked) {
    p.report.layers.forEach((layer, k) => {
      const at = p.shard.positions[k]!;
      if (slots[at] !== undefined)
        throw new UsageError(`${p.file}: layer '${layer.id}' overlaps another part (position ${at})`);
      slots[at] = layer;
    });
  }
  const empty = slots.indexOf(undefined);
  if (empty >= 0)
    throw new UsageError(`merge: no part holds layer ${empty + 1} of ${total} (the parts are inconsistent)`);
  const layers = slots as LayerResult[];
  redoTiedWeights(layers, checked);

  return makeReport(first.report.models, layers, first.report.tool);
}

/**
 * A shard only knows the tensors it read, so it cannot tell that one of them repeats the
 * values of a tensor another shard read. The single run analyses the first tensor of each
 * content (per model, in file order) and lists the later ones as skipped, naming the first:
 * redo that from the digests of all parts.
 */
function redoTiedWeights(layers: LayerResult[], parts: readonly Part[]): void {
  const digests = parts.flatMap((p) => p.shard.digests).sort((a, b) => a.position - b.position);
  const firstOf = new Map<string, string>();
  for (const d of digests) {
    const head = layers[d.position]!;
    const key = `${head.model}\u0000${d.sha1}`;
    const original = firstOf.get(key);
    if (original === undefined) {
      firstOf.set(key, head.name);
      continue;
    }
    for (let i = d.position; i < d.position + d.layers; i++) {
      const l = layers[i]!;
      layers[i] = skipped(
        { id: l.id, model: l.model, name: l.name, kind: l.kind, shape: l.shape, dtype: l.dtype },
        { code: 'tied', original },
      );
    }
  }
}

/** Enough structure to merge safely; anything else is not a part written by `--shard`. */
function checkShape(doc: AnalysisReport, file: string): void {
  const bad = (why: string): never => {
    throw new UsageError(`${file}: ${why}`);
  };
  const d = doc as unknown as Record<string, unknown>;
  if (typeof d !== 'object' || d === null || Array.isArray(d)) bad('not an rmt-analyze JSON report');
  if (d.schemaVersion !== SCHEMA_VERSION)
    bad(`schemaVersion ${JSON.stringify(d.schemaVersion)}, expected ${SCHEMA_VERSION}`);
  if (!Array.isArray(d.layers) || !Array.isArray(d.models) || typeof d.tool !== 'object' || d.tool === null)
    bad('not an rmt-analyze JSON report');
  const s = d.shard as Record<string, unknown> | undefined;
  if (s === undefined) bad('not a shard part (no "shard" field): write the parts with --shard i/n --json');
  const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x);
  if (!isInt(s!.index) || !isInt(s!.count) || !isInt(s!.totalLayers) || s!.index < 1 || s!.index > s!.count)
    bad('malformed "shard" field');
  const total = s!.totalLayers as number;
  const positions = s!.positions;
  if (
    !Array.isArray(positions) ||
    positions.length !== (d.layers as unknown[]).length ||
    !positions.every((p) => isInt(p) && p >= 0 && p < total)
  ) {
    bad('malformed "shard.positions"');
  }
  const digests = s!.digests;
  const okDigest = (x: unknown) => {
    const g = x as Record<string, unknown>;
    return (
      typeof g === 'object' &&
      g !== null &&
      isInt(g.position) &&
      isInt(g.layers) &&
      typeof g.sha1 === 'string' &&
      g.position >= 0 &&
      g.layers >= 1 &&
      g.position + g.layers <= total
    );
  };
  if (!Array.isArray(digests) || !digests.every(okDigest)) bad('malformed "shard.digests"');
  if (typeof s!.options !== 'object' || s!.options === null) bad('malformed "shard.options"');
}

function describeModels(report: AnalysisReport): string {
  return report.models.map((m) => ('error' in m ? `${m.path}, unreadable` : `${m.path}, ${m.bytes} bytes`)).join('; ');
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
