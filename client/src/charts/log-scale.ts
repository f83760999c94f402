// When the gradient norm is drawn on a log scale by itself: one early spike on a linear
// scale flattens the rest of the run, so a range spanning more than two decades gets a log
// axis unless the user chose otherwise.
import type { Col } from '../series.ts';

export const AUTO_LOG_DECADES = 2;

/** log10(max / min) over the positive values of the columns' first `n` entries; 0 if none. */
export function decadesSpanned(cols: Col[], n: number): number {
  let min = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const c of cols) {
    for (let i = 0; i < n; i++) {
      const v = c[i];
      if (v === null || !(v > 0)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  return max > 0 && min < max ? Math.log10(max / min) : 0;
}
