// `GET /api/runs/:id/layers`: per-layer norms, the max per bucket (same bucket edges as
// the steps query). Read from the raw layer rows: linear in the range, unlike the steps.
import type { LayerSeries } from '../../sdk/protocol/api-types.ts';
import { type WireNumber, encodeNumber } from '../../sdk/protocol/wire-number.ts';
import type { StepStore } from '../db/step-store.ts';
import { pickMax } from './bucket-agg.ts';
import { planBuckets } from './bucket-plan.ts';

export function queryLayers(steps: StepStore, rid: number, runId: string, from: number, to: number, points: number): LayerSeries {
  const names = [...steps.layerNames(rid).entries()].sort((a, b) => a[1] - b[1]);
  const series: LayerSeries = { runId, bucketSize: 1, step: [], names: names.map((n) => n[0]), max: [] };
  if (to < from || names.length === 0) return series;
  const raw = steps.countRange(rid, from, to, points + 1) <= points;
  const width = raw ? 1 : planBuckets(from, to, points).width;
  series.bucketSize = width;
  // bucket key -> (first step, per-layer max)
  const buckets = new Map<number, { first: number; max: (number | null)[] }>();
  names.forEach(([, idx], li) => {
    for (const { step, value } of steps.layerRange(rid, idx, from, to)) {
      const key = Math.floor(step / width);
      let b = buckets.get(key);
      if (!b) {
        b = { first: step, max: new Array<number | null>(names.length).fill(null) };
        buckets.set(key, b);
      }
      if (step < b.first) b.first = step;
      b.max[li] = pickMax(b.max[li], value);
    }
  });
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  series.step = keys.map((k) => buckets.get(k)!.first);
  series.max = names.map((_, li) => keys.map((k): WireNumber => encodeNumber(buckets.get(k)!.max[li])));
  return series;
}
