/**
 * Reusable scratch arrays for one thread. On the target machine the first touch of fresh
 * memory costs ~3 ns/byte (page faults under the VM), as much as the GEMMs that fill it;
 * a worker that keeps its Gram and band-reduction buffers between matrices pays that once.
 * Buffers only grow, to the largest matrix the thread has seen (within the memory budget).
 */
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
      if (this.keep) this.buffers.set(name, buf);
    }
    return buf.subarray(0, length);
  }

  /** Drops every retained buffer. */
  clear(): void {
    this.buffers.clear();
  }
}
