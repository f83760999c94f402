// One ingest batch, whichever transport brought it: store the steps, detect events, update
// the run's counters, all in one transaction; then tell dashboards. The caller acknowledges
// only after this returns, i.e. after the commit.
import createDebug from 'debug';
import type { IngestResult } from '@gradpilot/sdk/protocol';
import type { StepColumns } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import type { RunRow } from '../db/run-store.ts';
import type { Transport } from '../metrics.ts';
import { assertLayerBudget } from './layer-budget.ts';
import { withArrivalTime } from './arrival-time.ts';

const log = createDebug('gradpilot:ingest');

/** Runs `fn` in a transaction; if it throws (rolled back), memory forgets what it saw of the run. */
function inTransactionOrForget<T>(ctx: ServerContext, run: RunRow, fn: () => T): T {
  try {
    return ctx.store.transaction(fn);
  } catch (err) {
    ctx.store.steps.forget(run.rid);
    ctx.detectors.reset(run.rid);
    throw err;
  }
}

export function ingestBatch(ctx: ServerContext, run: RunRow, sent: StepColumns, transport: Transport): IngestResult {
  const { store, metrics } = ctx;
  const endTimer = metrics.ingestSeconds.startTimer({ transport });
  const now = Date.now();
  const at = new Date(now).toISOString();
  const cols = withArrivalTime(sent, now);
  if (cols.layers.size > 0) assertLayerBudget(store.steps.layerNames(run.rid), cols.layers);
  const { result, events } = inTransactionOrForget(ctx, run, () => {
    const current = store.runs.byRid(run.rid) ?? run;
    const res = store.steps.insert(run.rid, cols);
    const detected = ctx.detectors.detect(run.rid, cols, res.inserted, current.non_finite > 0);
    const { events: stored, added } = store.events.insert(run.rid, run.id, detected, at);
    if (res.inserted.length > 0) {
      store.runs.bump(run.rid, { accepted: res.inserted.length, clipped: res.clipped, skipped: res.skipped, nonFinite: res.nonFinite, maxStep: res.maxStep }, at);
      store.runs.addEvents(run.rid, added);
    }
    const lastStep = res.maxStep === null ? current.last_step : Math.max(current.last_step ?? -1, res.maxStep);
    return { result: { inserted: res.inserted, accepted: res.inserted.length, duplicates: res.duplicates, lastStep }, events: stored };
  });
  endTimer();
  metrics.batches.inc({ transport });
  metrics.stepsIngested.inc({ transport }, result.accepted);
  if (result.duplicates > 0) metrics.duplicates.inc({ transport }, result.duplicates);
  for (const e of events) metrics.events.inc({ kind: e.kind });
  log('run %s: %d stored, %d duplicates, %d events via %s', run.id, result.accepted, result.duplicates, events.length, transport);
  ctx.activity.recordSteps(run.id, result.accepted);
  if (result.accepted > 0) ctx.live.queueSteps(run.id, cols, result.inserted);
  ctx.alerts.ingested(run, cols, result.inserted, events);
  ctx.live.queueEvents(run.id, events);
  return { accepted: result.accepted, duplicates: result.duplicates, lastStep: result.lastStep };
}
