// Aggregates the steps of [from, to] into output buckets of `width` steps, reading whole
// rollup buckets of `level` in the interior and finer levels (down to the raw rows) only at
// the two ragged ends. Exact: equal to a pass over the raw rows (see bucket-agg.ts).
import { type BucketAgg, addStep } from './bucket-agg.ts';
import { LEVEL_WIDTHS, mergeRowInto, rollupBucket } from '../db/rollup-store.ts';
import type { StepStore } from '../db/step-store.ts';
import { decodeNaN } from '../db/step-codec.ts';

export function aggregateRange(steps: StepStore, rid: number, from: number, to: number, level: number, width: number): Map<number, BucketAgg> {
  const out = new Map<number, BucketAgg>();
  collect(steps, rid, from, to, level, width, out);
  return out;
}

function collect(steps: StepStore, rid: number, a: number, b: number, level: number, width: number, out: Map<number, BucketAgg>): void {
  if (a > b) return;
  if (level === 0) {
    const values: (number | null)[] = [null, null, null, null, null];
    for (const r of steps.rawRangeArrays(rid, a, b)) {
      const step = r[0] as number;
      for (let c = 0; c < 5; c++) values[c] = r[c + 1];
      const nan = r[7] as number;
      if (nan !== 0) decodeNaN(values, nan);
      addStep(out, Math.floor(step / width), step, values, r[6], r[8]);
    }
    return;
  }
  const w = LEVEL_WIDTHS[level];
  const firstFull = Math.ceil(a / w);
  const lastFull = Math.floor((b + 1) / w) - 1;
  if (firstFull > lastFull) {
    collect(steps, rid, a, b, level - 1, width, out);
    return;
  }
  for (const row of steps.rollups.range(rid, level, firstFull, lastFull)) {
    mergeRowInto(out, Math.floor((rollupBucket(row) * w) / width), row);
  }
  collect(steps, rid, a, firstFull * w - 1, level - 1, width, out);
  collect(steps, rid, (lastFull + 1) * w, b, level - 1, width, out);
}
