/**
 * Marchenko–Pastur fit of the ESD bulk (DESIGN.md §3.5). Placeholder until issue 4 lands.
 */
import type { MpResult } from '../types.js';

export interface MpContext {
  /** One slice's dimensions: N = max, M = min, Q = N/M. */
  readonly N: number;
  readonly M: number;
  readonly Q: number;
  readonly slices: number;
}

export function fitMarchenkoPastur(_evals: Float64Array, _ctx: MpContext): MpResult {
  return { status: 'failed', reason: 'not implemented' };
}
