import type { LoadedModel } from '../../types.js';

/** A checkpoint opened by a container reader: the model, and the name of every tensor found (listed or not). */
export interface OpenedCheckpoint {
  readonly model: LoadedModel;
  readonly names: readonly string[];
}
