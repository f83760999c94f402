// Which bucket width answers a range query with at most `points` buckets: the coarsest
// rollup level whose width fits, then a multiple of that width, so every level bucket falls
// inside exactly one output bucket. Output buckets are aligned to multiples of their width
// (bucket b covers [b*w, (b+1)*w - 1]), so a zoom or pan never shifts the bucket edges.
import { LEVEL_WIDTHS } from '../db/rollup-store.ts';

export interface BucketPlan {
  level: number;
  width: number;
}

export function planBuckets(from: number, to: number, points: number): BucketPlan {
  const span = to - from + 1;
  const wanted = Math.max(1, Math.ceil(span / points));
  let level = 0;
  for (let l = LEVEL_WIDTHS.length - 1; l >= 0; l--) {
    if (LEVEL_WIDTHS[l] <= wanted) {
      level = l;
      break;
    }
  }
  const lw = LEVEL_WIDTHS[level];
  let width = Math.ceil(wanted / lw) * lw;
  // Alignment can add one partial bucket at each end; widen until the count fits.
  while (Math.floor(to / width) - Math.floor(from / width) + 1 > points) width += lw;
  return { level, width };
}
