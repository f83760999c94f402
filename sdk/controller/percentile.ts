// numpy's percentile, method "linear" (the default, numpy >= 1.22), operation for operation
// (numpy/lib/function_base.py: _quantile, _get_indexes, _lerp). The textbook a + g·(b − a)
// alone differs from numpy in the last bit on some inputs: numpy switches to b − d·(1 − g)
// when g >= 0.5, and so do we.

/** Where the p-th percentile of n sorted values falls: ranks lo and hi and the weight g. */
export interface PercentileIndex {
  lo: number;
  hi: number;
  g: number;
}

/** Ranks and interpolation weight of the p-th percentile of n (>= 1) sorted values. */
export function percentileIndex(n: number, p: number, out: PercentileIndex): PercentileIndex {
  const q = p / 100;
  const i = (n - 1) * q;
  const lo = Math.floor(i);
  out.lo = lo;
  out.g = i - lo;
  out.hi = Math.min(lo + 1, n - 1);
  return out;
}

/** numpy's _lerp: interpolates between the values a and b at weight g. */
export function lerpNumpy(a: number, b: number, g: number): number {
  const d = b - a;
  return g >= 0.5 ? b - d * (1 - g) : a + d * g;
}

/**
 * The p-th percentile (0 <= p <= 100) of an ascending array, equal to
 * `np.percentile(values, p)` to the last bit.
 *
 * @example
 * percentileOfSorted([1, 2, 3, 4], 10); // 1.3, as np.percentile([1, 2, 3, 4], 10)
 */
export function percentileOfSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('percentileOfSorted: expected at least one value, got an empty array');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentileOfSorted: expected p in [0, 100], got ${p}`);
  const { lo, hi, g } = percentileIndex(n, p, { lo: 0, hi: 0, g: 0 });
  return lerpNumpy(sorted[lo], sorted[hi], g);
}
