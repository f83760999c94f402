// Aggregates the steps of [from, to] into output buckets of `width` steps, reading whole
// rollup buckets of `level` in the interior and finer levels (down to the raw rows) only at
// the two ragged ends. Exact: equal to a pass over the raw rows (see bucket-agg.ts).
import { type BucketAgg, aggOfStep, mergeIntoMap } from './bucket-agg.ts';
import { LEVEL_WIDTHS, rollupBucket, rowToAgg } from '../db/rollup-store.ts';
import { type StepStore, decodeRow } from '../db/step-store.ts';

export function aggregateRange(steps: StepStore, rid: number, from: number, to: number, level: number, width: number): Map<number, BucketAgg> {
  const out = new Map<number, BucketAgg>();
  collect(steps, rid, from, to, level, width, out);
  return out;
}

function collect(steps: StepStore, rid: number, a: number, b: number, level: number, width: number, out: Map<number, BucketAgg>): void {
  if (a > b) return;
  if (level === 0) {
    for (const r of steps.rawRange(rid, a, b)) {
      const s = decodeRow(r);
      mergeIntoMap(out, Math.floor(s.step / width), aggOfStep(s.step, s.values, r.action));
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
    mergeIntoMap(out, Math.floor((rollupBucket(row) * w) / width), rowToAgg(row));
  }
  collect(steps, rid, a, firstFull * w - 1, level - 1, width, out);
  collect(steps, rid, (lastFull + 1) * w, b, level - 1, width, out);
}
