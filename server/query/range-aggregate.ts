// Aggregates the steps of [from, to] into output buckets of `width` steps, reading whole
// rollup buckets of `level` in the interior and finer levels (down to the raw rows) only at
// the two ragged ends. Exact: equal to a pass over the raw rows (see bucket-agg.ts).
import { type BucketAgg, addStep } from './bucket-agg.ts';
import { LEVEL_WIDTHS, mergeRowInto, rollupBucket } from '../db/rollup-store.ts';
import type { StepsApi } from '../db/server-store.ts';
import { decodeNaN } from '../db/step-codec.ts';

export async function aggregateRange(steps: StepsApi, rid: number, from: number, to: number, level: number, width: number): Promise<Map<number, BucketAgg>> {
  const out = new Map<number, BucketAgg>();
  await collect(steps, rid, from, to, level, width, out);
  return out;
}

async function collect(steps: StepsApi, rid: number, a: number, b: number, level: number, width: number, out: Map<number, BucketAgg>): Promise<void> {
  if (a > b) return;
  if (level === 0) {
    const values: (number | null)[] = [null, null, null, null, null];
    for (const r of await steps.rawRangeArrays(rid, a, b)) {
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
    await collect(steps, rid, a, b, level - 1, width, out);
    return;
  }
  for (const row of await steps.rollupRange(rid, level, firstFull, lastFull)) {
    mergeRowInto(out, Math.floor((rollupBucket(row) * w) / width), row);
  }
  await collect(steps, rid, a, firstFull * w - 1, level - 1, width, out);
  await collect(steps, rid, (lastFull + 1) * w, b, level - 1, width, out);
}
