/**
 * Tied weights saved twice — the same values under two names — are analysed once: the later
 * tensor is reported `tied` to the first (DESIGN.md §3.1). Equal values are recognised by their
 * sha1 digest (src/tensor-checks.ts ValueDigest), but a digest is taken only when it can
 * matter (issue 14): every tensor has a fingerprint from the checks made on it anyway (shape,
 * extreme magnitudes, Σw²), equal for equal values; only a tensor whose fingerprint matches an
 * earlier original's has its digest compared with that original's, which is read again for it
 * once. Hashing every tensor cost ~0.5 s of CPU on a 44M-element dequantized model (its
 * float64 values, which float32 does not hold, hash 20 bytes an element); a repeated
 * fingerprint without equal values (a permuted copy) costs one more read, never a wrong answer.
 *
 * A sharded run takes every digest anyway (they go into the shard, for ties across shards):
 * `digested` records those, with the same answers.
 */
import { tensorReadError } from './load/index.js';
import { digestBlocks, digestWhole, type RangeReader } from './tensor-scan.js';
import type { LowRankFactors, TensorRef } from './types.js';

/** A tensor analysed as itself, against which later tensors are compared. */
interface Original {
  readonly name: string;
  digest(): Promise<string>;
}

export class TiedContent {
  private readonly byFingerprint = new Map<string, Original[]>();
  private readonly byDigest = new Map<string, string>();

  /**
   * The name of the earlier tensor whose values `name`'s repeat, or undefined: `name` is then
   * an original. `now` digests the values in hand; `later` reads them again (called at most
   * once, and only when a later tensor shares the fingerprint).
   */
  async originalOf(
    name: string,
    fingerprint: string,
    now: () => Promise<string> | string,
    later: () => Promise<string>,
  ): Promise<string | undefined> {
    const originals = this.byFingerprint.get(fingerprint);
    if (originals === undefined) {
      this.byFingerprint.set(fingerprint, [{ name, digest: once(later) }]);
      return undefined;
    }
    const digest = await now();
    for (const original of originals) if ((await original.digest()) === digest) return original.name;
    originals.push({ name, digest: async () => digest });
    return undefined;
  }

  /** The same answer from a digest already taken (a sharded run). */
  digested(name: string, digest: string): string | undefined {
    const original = this.byDigest.get(digest);
    if (original === undefined) this.byDigest.set(digest, name);
    return original;
  }
}

function once(f: () => Promise<string>): () => Promise<string> {
  let result: Promise<string> | undefined;
  return () => (result ??= f());
}

/**
 * The digest of a tensor read again (originalOf's `later`): its values read whole, or by
 * blocks, or its LoRA factors end to end (`fromFactors`). Made by a function of its own, not
 * in the pipeline's loop: a closure made there would keep that loop's scope alive, the
 * tensor's values with it, for the rest of the run (ISNet uint8: 340 → 570 MiB peak).
 */
export function digestAgain(
  tensor: TensorRef,
  shape: readonly number[],
  byMatrix: { readonly read: RangeReader; readonly piece: number } | undefined,
  fromFactors: ((f: LowRankFactors) => Float64Array) | undefined,
): () => Promise<string> {
  return async () => {
    try {
      if (byMatrix) return await digestBlocks(byMatrix.read, byMatrix.piece, shape);
      const values = fromFactors && tensor.lowRank ? fromFactors(await tensor.lowRank.factors()) : await tensor.read();
      return digestWhole(values, shape);
    } catch (e) {
      throw tensorReadError(tensor, e);
    }
  };
}
