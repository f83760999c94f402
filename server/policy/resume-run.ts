// Resume: the controller state a restarted SDK continues from.
//
// With `fromStep` k (the checkpoint's step), the stored steps after k are superseded: moved
// to the audit table `superseded_steps`, their events dropped, rollups and counters
// recomputed, so the steps the restarted run sends again (with new values) are stored as
// new rather than ignored as duplicates. Without `fromStep` nothing is superseded and the
// state is the one after the last stored step. The state is computed by running the
// controller over the stored norms up to k, switching policy versions at their effective steps.
import type { ResumeResult } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import type { RunRow } from '../db/run-store.ts';
import { replayController } from './replay-controller.ts';

export async function resumeRun(ctx: ServerContext, run: RunRow, fromStep: number | undefined): Promise<ResumeResult & { superseded: number }> {
  let superseded = 0;
  await ctx.stops.resumed(run);
  if (fromStep !== undefined) {
    superseded = await ctx.store.supersedeAfter(run.rid, fromStep, new Date().toISOString());
    if (superseded > 0) {
      ctx.replays.changed(run.rid);
      ctx.detectors.reset(run.rid);
      ctx.live.queueRun(run.id);
      await ctx.alerts.superseded(run, fromStep, superseded);
    }
  }
  return { ...(await controllerStateAfter(ctx, run, fromStep)), superseded };
}

/**
 * The state after step `after` (default: the last stored step), read-only. `mayRefuse`: with
 * the replay queue full, answer 503 instead of waiting (a dashboard's read, not a resume).
 */
export async function controllerStateAfter(
  ctx: ServerContext, run: RunRow, after: number | undefined, { mayRefuse = false }: { mayRefuse?: boolean } = {},
): Promise<ResumeResult> {
  const lastStep = (await ctx.store.runs.byRid(run.rid))?.last_step ?? null;
  const upTo = after ?? lastStep ?? -1;
  return ctx.replays.stateAfter(run.rid, upTo, async () => {
    ctx.metrics.replays.inc({ kind: 'state' });
    const controller = await ctx.replayQueue.run(() => replayController(ctx.store, run.rid, { upTo }), { mayRefuse });
    return { state: controller.toState(), fromStep: after ?? lastStep };
  });
}
