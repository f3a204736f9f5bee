/**
 * `rmt-analyze plot <model...> --layer NAME`: one layer's ESD in full terminal width.
 * Only that layer is read and decomposed. NAME must pick exactly one layer: its id, its
 * tensor name, or a unique part of one; otherwise exit 2 with the candidates listed.
 */
import { Command, Option } from 'commander';
import { openModel } from '../load/index.js';
import { planLayers, type LayerPlan } from '../matrices.js';
import { analyze } from '../analyze.js';
import { skipReason } from '../schema/words.js';
import { printable, UsageError } from '../errors.js';
import type { TensorRef } from '../types.js';
import { fullHistogram } from '../report/terminal-histogram.js';
import { terminalStyle } from '../report/table.js';
import { addOptions, colorOption, minEvalsOption, positiveInteger, type ColorChoice } from './options.js';
import { progressBar } from './progress.js';
import { useColor, type CliIO } from './context.js';

interface PlotCliOptions {
  layer: string;
  width?: number;
  height: number;
  minEvals: number;
  color: ColorChoice;
}

/** Candidates listed in an error message at most. */
const MAX_LISTED = 20;

export function plotCommand(io: CliIO, done: (code: Promise<number>) => void): Command {
  const cmd = new Command('plot')
    .description('draw one layer’s eigenvalue histogram (log λ) in the terminal, with xmin and the MP edge')
    .argument('<model...>', 'ONNX file, safetensors file, *.safetensors.index.json, or Hugging Face model directory')
    .requiredOption('--layer <name>', 'the layer: its id or tensor name (or a unique part of one)')
    .addOption(
      new Option('--width <n>', 'width in characters (default: the terminal’s, else 80)').argParser(
        positiveInteger('--width'),
      ),
    )
    .addOption(new Option('--height <n>', 'rows of bars').default(12).argParser(positiveInteger('--height')))
    .addOption(minEvalsOption());
  addOptions(cmd, colorOption());
  return cmd.action((paths: string[], opts: PlotCliOptions) => done(runPlot(paths, opts, io)));
}

interface Candidate {
  readonly model: number;
  readonly path: string;
  readonly tensor: TensorRef;
  readonly plan: LayerPlan;
  readonly id: string;
}

async function runPlot(paths: string[], opts: PlotCliOptions, io: CliIO): Promise<number> {
  const candidates: Candidate[] = [];
  for (const [model, path] of paths.entries()) {
    const m = await openModel(path);
    try {
      for (const tensor of m.tensors) {
        for (const plan of planLayers(tensor, opts.minEvals)) {
          candidates.push({ model, path, tensor, plan, id: tensor.name + plan.idSuffix });
        }
      }
    } finally {
      await m.close();
    }
  }
  const chosen = pickLayer(candidates, opts.layer, paths.length > 1);
  if (chosen.plan.status === 'skipped') {
    throw new UsageError(
      `layer '${printable(chosen.id)}' is not analysed: ${printable(skipReason(chosen.plan.detail))}`,
    );
  }
  // The same pipeline as `analyze` (non-finite checks, identity, fits), for this one tensor.
  const progress = progressBar(io.stderr);
  progress?.update({ done: 0, total: 1, layer: chosen.id, model: 0, models: 1 });
  let report;
  try {
    report = await analyze([chosen.path], {
      tensors: [chosen.tensor.name],
      minEvals: opts.minEvals,
      eigenvalues: true,
    });
  } finally {
    progress?.clear();
  }
  const layer = report.layers.find((l) => l.id === chosen.id);
  if (layer === undefined) throw new Error(`plot: the pipeline returned no layer '${chosen.id}'`);
  if (layer.status !== 'analyzed')
    throw new UsageError(
      `layer '${printable(chosen.id)}' is not analysed: ` +
        printable(layer.status === 'skipped' ? layer.skipReason : layer.failure.reason),
    );
  const width = opts.width ?? (io.stdout.isTTY === true && (io.stdout as { columns?: number }).columns) ?? 80;
  const lines = fullHistogram(layer, layer.eigenvalues ?? [], {
    width: Math.max(30, width || 80),
    height: opts.height,
    style: terminalStyle(useColor(io, opts.color)),
  });
  io.stdout.write(lines.join('\n') + '\n');
  return 0;
}

/** Exact id (or `path: id`), then exact tensor name, then a unique case-insensitive substring of the id. */
export function pickLayer<C extends Pick<Candidate, 'id' | 'tensor' | 'plan' | 'path'>>(
  candidates: readonly C[],
  query: string,
  multiModel: boolean,
): C {
  const label = (c: C) => printable(multiModel ? `${c.path}: ${c.id}` : c.id);
  // With several models the candidates are listed as `path: id`: that is accepted too.
  const byId = candidates.filter((c) => c.id === query || (multiModel && `${c.path}: ${c.id}` === query));
  const byName = byId.length > 0 ? byId : candidates.filter((c) => c.tensor.name === query);
  const q = query.toLowerCase();
  const matches = byName.length > 0 ? byName : candidates.filter((c) => c.id.toLowerCase().includes(q));
  if (matches.length === 1) return matches[0]!;
  const list = (cs: readonly C[]) => {
    const shown = cs.slice(0, MAX_LISTED).map((c) => `  ${label(c)}${c.plan.status === 'skipped' ? ' (skipped)' : ''}`);
    if (cs.length > MAX_LISTED) shown.push(`  … and ${cs.length - MAX_LISTED} more`);
    return shown.join('\n');
  };
  if (matches.length === 0) {
    const analysable = candidates.filter((c) => c.plan.status !== 'skipped');
    throw new UsageError(
      `--layer '${printable(query)}' matches no layer; the analysable layers are:\n` +
        (analysable.length > 0 ? list(analysable) : '  (none)'),
    );
  }
  throw new UsageError(
    `--layer '${printable(query)}' matches ${matches.length} layers; give one of them exactly:\n${list(matches)}`,
  );
}
