// `GET /api/runs/:id/layers`: per-layer norms, the max per bucket, with the same bucket plan
// and edges as the steps query: whole rollup buckets inside the range, finer levels and raw
// norms only at the ragged ends.
import type { LayerSeries } from '@gradpilot/sdk/protocol';
import { type WireNumber, encodeNumber } from '@gradpilot/sdk/protocol';
import { type LayerAgg, mergeLayer, mergeLayerRows, nonFiniteCount } from '../db/layer-rollup-store.ts';
import { LEVEL_WIDTHS } from '../db/rollup-store.ts';
import type { StepsApi } from '../db/server-store.ts';
import { planBuckets } from './bucket-plan.ts';

export async function queryLayers(steps: StepsApi, rid: number, runId: string, from: number, to: number, points: number): Promise<LayerSeries> {
  const names = [...(await steps.layerNames(rid)).entries()].sort((a, b) => a[1] - b[1]);
  const series: LayerSeries = { runId, bucketSize: 1, step: [], names: names.map((n) => n[0]), max: [], nonFinite: [] };
  if (to < from || names.length === 0) return series;
  const raw = (await steps.countRange(rid, from, to, points + 1)) <= points;
  const plan = raw ? { level: 0, width: 1 } : planBuckets(from, to, points);
  series.bucketSize = plan.width;
  const perLayer = await Promise.all(
    names.map(async ([, idx]) => {
      const out = new Map<number, LayerAgg>();
      await collect(steps, rid, idx, from, to, plan.level, plan.width, out);
      return out;
    }),
  );
  const keys = new Map<number, number>(); // output bucket -> first step over all layers
  for (const m of perLayer) for (const [k, a] of m) keys.set(k, Math.min(keys.get(k) ?? a.first, a.first));
  const sorted = [...keys.keys()].sort((a, b) => a - b);
  series.step = sorted.map((k) => keys.get(k)!);
  series.max = perLayer.map((m) => sorted.map((k): WireNumber => encodeNumber(m.get(k)?.max ?? null)));
  series.nonFinite = perLayer.map((m) => sorted.map((k) => m.get(k)?.nonFinite ?? 0));
  return series;
}

async function collect(steps: StepsApi, rid: number, idx: number, a: number, b: number, level: number, width: number, out: Map<number, LayerAgg>): Promise<void> {
  if (a > b) return;
  if (level === 0) {
    for (const { step, value } of await steps.layerRange(rid, idx, a, b)) mergeLayer(out, Math.floor(step / width), step, value, nonFiniteCount(value));
    return;
  }
  const w = LEVEL_WIDTHS[level];
  const firstFull = Math.ceil(a / w);
  const lastFull = Math.floor((b + 1) / w) - 1;
  if (firstFull > lastFull) {
    await collect(steps, rid, idx, a, b, level - 1, width, out);
    return;
  }
  mergeLayerRows(await steps.layerRollupRange(rid, idx, level, firstFull, lastFull), level, width, out);
  await collect(steps, rid, idx, a, firstFull * w - 1, level - 1, width, out);
  await collect(steps, rid, idx, (lastFull + 1) * w, b, level - 1, width, out);
}
