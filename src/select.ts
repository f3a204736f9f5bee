/**
 * The k-th smallest of an array without sorting it: Hoare's FIND (quickselect) with a
 * median-of-three pivot, as `select` in Numerical Recipes (3rd ed., §8.5). O(n) on average
 * against the sort's O(n log n): robustEntryRms (phase.ts) needs one quantile of a 65536-entry
 * sample per tensor, and sorting it was ~10 ms of every tensor's main-thread time.
 * The value returned is the one a sort would put at index k, whatever the order of ties.
 */

/** The element a numeric ascending sort of `a` would put at index k; reorders `a`. No NaN allowed. */
export function kthSmallest(a: Float64Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  const swap = (i: number, j: number) => {
    const t = a[i]!;
    a[i] = a[j]!;
    a[j] = t;
  };
  for (;;) {
    if (hi <= lo + 1) {
      if (hi === lo + 1 && a[hi]! < a[lo]!) swap(lo, hi);
      return a[k]!;
    }
    swap((lo + hi) >>> 1, lo + 1);
    if (a[lo]! > a[hi]!) swap(lo, hi);
    if (a[lo + 1]! > a[hi]!) swap(lo + 1, hi);
    if (a[lo]! > a[lo + 1]!) swap(lo, lo + 1);
    // a[lo] ≤ pivot = a[lo + 1] ≤ a[hi]: sentinels for the scans below.
    let i = lo + 1;
    let j = hi;
    const pivot = a[lo + 1]!;
    for (;;) {
      do i++;
      while (a[i]! < pivot);
      do j--;
      while (a[j]! > pivot);
      if (j < i) break;
      swap(i, j);
    }
    a[lo + 1] = a[j]!;
    a[j] = pivot;
    if (j >= k) hi = j - 1;
    if (j <= k) lo = i;
  }
}
