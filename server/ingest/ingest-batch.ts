// One ingest batch, whichever transport brought it: store the steps, detect events, update
// the run's counters, all in one transaction; then tell dashboards. The caller acknowledges
// only after this resolves, i.e. after the commit.
import createDebug from 'debug';
import type { IngestResult } from '@gradpilot/sdk/protocol';
import type { StepColumns } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import type { RunRow } from '../db/run-store.ts';
import type { IngestHooks } from '../db/server-store.ts';
import type { Transport } from '../metrics.ts';
import { assertLayerBudget } from './layer-budget.ts';
import { withArrivalTime } from './arrival-time.ts';

const log = createDebug('gradpilot:ingest');

/** The detector's part in the store's ingest transaction. */
function detectorHooks(ctx: ServerContext, run: RunRow, cols: StepColumns): IngestHooks {
  const { detectors } = ctx;
  return {
    follows: (current, policyVersion) => detectors.follows(current, policyVersion),
    rebuild: (current, policy, policyVersion, history) => detectors.rebuild(current.rid, policy, policyVersion, history),
    detect: (current, inserted) => detectors.detect(run.rid, cols, inserted, current.non_finite > 0),
    rolledBack: () => detectors.reset(run.rid),
  };
}

export async function ingestBatch(ctx: ServerContext, run: RunRow, sent: StepColumns, transport: Transport): Promise<IngestResult> {
  const { store, metrics } = ctx;
  const endTimer = metrics.ingestSeconds.startTimer({ transport });
  const now = Date.now();
  const at = new Date(now).toISOString();
  const cols = withArrivalTime(sent, now);
  if (cols.layers.size > 0) assertLayerBudget(await store.steps.layerNames(run.rid), cols.layers);
  const { inserted, duplicates, lastStep, events } = await store.ingest(run, cols, at, detectorHooks(ctx, run, cols));
  const accepted = inserted.length;
  endTimer();
  metrics.batches.inc({ transport });
  metrics.stepsIngested.inc({ transport }, accepted);
  if (duplicates > 0) metrics.duplicates.inc({ transport }, duplicates);
  for (const e of events) metrics.events.inc({ kind: e.kind });
  log('run %s: %d stored, %d duplicates, %d events via %s', run.id, accepted, duplicates, events.length, transport);
  ctx.activity.recordSteps(run.id, accepted);
  if (accepted > 0) ctx.live.queueSteps(run.id, cols, inserted);
  await ctx.alerts.ingested(run, cols, inserted, events);
  ctx.live.queueEvents(run.id, events);
  return { accepted, duplicates, lastStep };
}
