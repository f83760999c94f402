// `GET /api/runs/:id/steps`: raw rows when the range holds at most `points` steps, else
// buckets (min, max, last per column) from the rollups. A bucket's time is its first step's.
import type { BucketColumn, StepSeries } from '@gradpilot/sdk/protocol';
import { type WireNumber, encodeNumber } from '@gradpilot/sdk/protocol';
import type { StepsApi } from '../db/server-store.ts';
import { decodeRow } from '../db/step-store.ts';
import { COLUMN_COUNT } from './bucket-agg.ts';
import { planBuckets } from './bucket-plan.ts';
import { aggregateRange } from './range-aggregate.ts';

function emptyColumn(): BucketColumn {
  return { min: [], max: [], last: [] };
}

export async function querySteps(steps: StepsApi, rid: number, runId: string, from: number, to: number, points: number): Promise<StepSeries> {
  const cols = Array.from({ length: COLUMN_COUNT }, emptyColumn);
  const series: StepSeries = {
    runId,
    from,
    to,
    bucketSize: 1,
    step: [],
    lastStep: [],
    time: [],
    startTime: await steps.firstTime(rid),
    count: [],
    nonFinite: [],
    clipped: [],
    skipped: [],
    gradNorm: cols[0],
    loss: cols[1],
    lr: cols[2],
    threshold: cols[3],
    coef: cols[4],
  };
  if (to < from) return series;
  if ((await steps.countRange(rid, from, to, points + 1)) <= points) {
    for (const r of await steps.rawRange(rid, from, to)) {
      const s = decodeRow(r);
      series.step.push(s.step);
      series.lastStep.push(s.step);
      series.time.push(s.time);
      series.count.push(1);
      const g = s.values[0];
      series.nonFinite.push(g !== null && !Number.isFinite(g) ? 1 : 0);
      series.clipped.push(s.action === 'clip' ? 1 : 0);
      series.skipped.push(s.action === 'skip' ? 1 : 0);
      for (let c = 0; c < COLUMN_COUNT; c++) {
        const v: WireNumber = encodeNumber(s.values[c]);
        cols[c].min.push(v);
        cols[c].max.push(v);
        cols[c].last.push(v);
      }
    }
    return series;
  }
  const plan = planBuckets(from, to, points);
  series.bucketSize = plan.width;
  const buckets = await aggregateRange(steps, rid, from, to, plan.level, plan.width);
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  for (const k of keys) {
    const b = buckets.get(k)!;
    series.step.push(b.firstStep);
    series.lastStep.push(b.lastStep);
    series.time.push(b.firstTime);
    series.count.push(b.count);
    series.nonFinite.push(b.nonFinite);
    series.clipped.push(b.clipped);
    series.skipped.push(b.skipped);
    for (let c = 0; c < COLUMN_COUNT; c++) {
      cols[c].min.push(encodeNumber(b.cols[c].min));
      cols[c].max.push(encodeNumber(b.cols[c].max));
      cols[c].last.push(encodeNumber(b.cols[c].last));
    }
  }
  return series;
}
