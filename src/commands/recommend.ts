/**
 * The flags of the per-layer decisions from α (src/recommend.ts): --prune S [--prune-epsilon E]
 * [--prune-by alpha|hill] and --lr-balance [--lr-balance-by hill|alpha]. They add
 * `recommendations` to the document and change no exit code. They need the whole model, so a
 * `--shard` part refuses them (merge takes them instead).
 */
import { InvalidArgumentError, Option, type Command } from 'commander';
import { UsageError } from '../errors.js';
import { DEFAULT_PRUNE_EPSILON, learningRateRecommendation, pruningRecommendation } from '../recommend.js';
import type { AlphaSource, AnalysisReport } from '../schema/index.js';

export interface RecommendCliOptions {
  prune?: number;
  pruneEpsilon: number;
  pruneBy?: 'alpha' | 'hill';
  lrBalance?: boolean;
  lrBalanceBy?: 'alpha' | 'hill';
}

/** A number strictly between 0 and 1. */
const fraction = (flag: string) => (v: string) => {
  const x = Number(v);
  if (v.trim() === '' || !(x > 0 && x < 1)) throw new InvalidArgumentError(`${flag} takes a number between 0 and 1`);
  return x;
};

export function addRecommendOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option(
        '--prune <S>',
        'AlphaPruning: per-layer sparsities for a global sparsity S (recommendations in JSON)',
      ).argParser(fraction('--prune')),
    )
    .addOption(
      new Option('--prune-epsilon <E>', 'AlphaPruning’s ε: sparsities span (1 ± ε)·S before rescaling')
        .default(DEFAULT_PRUNE_EPSILON)
        .argParser(fraction('--prune-epsilon')),
    )
    .addOption(new Option('--prune-by <alpha>', 'which α --prune ranks by').choices(['alpha', 'hill']).default('alpha'))
    .option('--lr-balance', 'TempBalance: per-layer learning-rate factors in [0.5, 1.5] (recommendations in JSON)')
    .addOption(
      new Option('--lr-balance-by <alpha>', 'which α --lr-balance ranks by').choices(['hill', 'alpha']).default('hill'),
    );
}

const sourceOf = (by: 'alpha' | 'hill' | undefined, fallback: AlphaSource): AlphaSource =>
  by === undefined ? fallback : by === 'hill' ? 'hill' : 'power-law';

/** The report with `recommendations` when asked for; a shard part refuses them. */
export function applyRecommendations(report: AnalysisReport, opts: RecommendCliOptions): AnalysisReport {
  if (opts.prune === undefined && !opts.lrBalance) return report;
  if (report.shard) {
    throw new UsageError('--prune and --lr-balance need the whole model: give them to `rmt-analyze merge`');
  }
  return {
    ...report,
    recommendations: {
      ...(opts.prune !== undefined
        ? {
            pruning: pruningRecommendation(report, opts.prune, opts.pruneEpsilon, sourceOf(opts.pruneBy, 'power-law')),
          }
        : {}),
      ...(opts.lrBalance
        ? { learningRate: learningRateRecommendation(report, sourceOf(opts.lrBalanceBy, 'hill')) }
        : {}),
    },
  };
}
