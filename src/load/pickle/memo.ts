/**
 * The unpickler's memo (PUT/BINPUT/LONG_BINPUT/MEMOIZE store the top of the stack under a key,
 * GET/BINGET/LONG_BINGET push it again). Picklers number keys 0, 1, 2 … in order, so keys
 * that extend the run are kept in an array (a Map of millions of entries costs several times
 * more); any other key, however large, goes to a Map, so a hostile key allocates nothing.
 */
import type { PickleValue } from './values.js';

export class Memo {
  private readonly dense: PickleValue[] = [];
  private readonly sparse = new Map<number, PickleValue>();

  /** Entries held (Python's `len(memo)`, which MEMOIZE uses as its key). */
  get size(): number {
    return this.dense.length + this.sparse.size;
  }

  has(key: number): boolean {
    return key < this.dense.length || this.sparse.has(key);
  }

  get(key: number): PickleValue | undefined {
    return key < this.dense.length ? this.dense[key] : this.sparse.get(key);
  }

  set(key: number, value: PickleValue): void {
    if (key < this.dense.length) this.dense[key] = value;
    else if (key === this.dense.length) {
      this.dense.push(value);
      if (this.sparse.size > 0) this.sparse.delete(key);
    } else this.sparse.set(key, value);
  }
}
