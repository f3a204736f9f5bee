/**
 * Reusable scratch arrays for one thread. On the target machine the first touch of fresh
 * memory costs ~3 ns/byte (page faults under the VM), as much as the GEMMs that fill it;
 * a worker that keeps its Gram and band-reduction buffers between matrices pays that once.
 * Buffers only grow, to the largest matrix the thread has seen, up to MAX_POOLED_BYTES.
 */
/**
 * Larger buffers are not kept: next to a large matrix's input and its raw bytes they would
 * push peak memory past the budget (3× the largest input + 200 MB) — measured at 3072²
 * (72 MB Gram): up to 450 MB against 416 — while their first touch is a small part of
 * that matrix's time.
 */
export const MAX_POOLED_BYTES = 48 * 2 ** 20;

export class Workspace {
  private readonly buffers = new Map<string, Float64Array>();

  /** @param keep false: every call allocates (one-shot use, nothing retained). */
  constructor(private readonly keep = true) {}

  /** A Float64Array of exactly `length` values; contents are unspecified (not zeroed). */
  get(name: string, length: number): Float64Array {
    let buf = this.buffers.get(name);
    if (buf === undefined || buf.length < length) {
      if (buf !== undefined) this.buffers.delete(name); // let the old one go before allocating
      buf = new Float64Array(length);
      if (this.keep && length * 8 <= MAX_POOLED_BYTES) this.buffers.set(name, buf);
    }
    return buf.subarray(0, length);
  }

  /** Drops every retained buffer. */
  clear(): void {
    this.buffers.clear();
  }
}
