// `POST /api/runs/:id/replay`: what the run would have done under another policy. The
// controller decides every stored norm with that policy; thresholds are bucketed like the
// steps query (same edges, min/max/last per bucket) and the actions and events counted
// beside what the run actually did.
import type { EventKind, Policy } from '@gradpilot/sdk/controller';
import type { ReplayResult, ReplaySummary } from '@gradpilot/sdk/protocol';
import { encodeNumber } from '@gradpilot/sdk/protocol';
import type { RunRow } from '../db/run-store.ts';
import type { ServerStore } from '../db/server-store.ts';
import { pickMax, pickMin } from '../query/bucket-agg.ts';
import { planBuckets } from '../query/bucket-plan.ts';
import { replayController } from './replay-controller.ts';

function noEvents(): Record<EventKind, number> {
  return { nonfinite: 0, spike: 0, explosion: 0 };
}

interface ThresholdBucket {
  first: number;
  min: number | null;
  max: number | null;
  last: number | null;
}

/** Replays the run's stored steps up to its last step at the call (later ones are left out). */
export async function whatIf(store: ServerStore, run: RunRow, policy: Policy, points: number): Promise<ReplayResult> {
  const to = run.last_step ?? 0;
  const raw = (await store.steps.countRange(run.rid, 0, to, points + 1)) <= points;
  const width = raw ? 1 : planBuckets(0, to, points).width;
  const buckets = new Map<number, ThresholdBucket>();
  const summary: ReplaySummary = { steps: 0, clipped: 0, skipped: 0, events: noEvents() };
  await replayController(store, run.rid, {
    upTo: to,
    policy,
    onDecision(d) {
      summary.steps++;
      if (d.action === 'clip') summary.clipped++;
      else if (d.action === 'skip') summary.skipped++;
      for (const e of d.events) summary.events[e]++;
      const key = Math.floor(d.step / width);
      const b = buckets.get(key);
      // Steps arrive in order, so the latest decision is the bucket's last.
      if (!b) buckets.set(key, { first: d.step, min: d.threshold, max: d.threshold, last: d.threshold });
      else {
        b.min = pickMin(b.min, d.threshold);
        b.max = pickMax(b.max, d.threshold);
        b.last = d.threshold;
      }
    },
  });
  const keys = [...buckets.keys()].sort((a, b) => a - b);
  const stored = await store.events.countByKind(run.rid);
  const actualEvents = noEvents();
  for (const kind of Object.keys(actualEvents) as EventKind[]) actualEvents[kind] = stored[kind] ?? 0;
  return {
    policy,
    bucketSize: width,
    step: keys.map((k) => buckets.get(k)!.first),
    threshold: {
      min: keys.map((k) => encodeNumber(buckets.get(k)!.min)),
      max: keys.map((k) => encodeNumber(buckets.get(k)!.max)),
      last: keys.map((k) => encodeNumber(buckets.get(k)!.last)),
    },
    summary,
    actual: { steps: run.steps, clipped: run.clipped, skipped: run.skipped, events: actualEvents },
  };
}
