// Runs the controller over a run's stored norms, in step order, page by page. Used for
// resume (the controller state after step k, with the run's policy versions switching at
// their effective steps, exactly as the SDK switched) and for the what-if replay (one
// fixed policy from the start). Steps without a gradNorm are not decided.
//
// A page at a time, yielding to the event loop in between: a million steps take seconds,
// and in one piece they would hold up every SDK's acknowledgements and every dashboard.
import { Controller } from '@gradpilot/sdk/controller';
import type { Decision, Policy } from '@gradpilot/sdk/controller';
import type { PolicyVersion } from '@gradpilot/sdk/protocol';
import type { ServerStore } from '../db/server-store.ts';
import { decodeValue } from '../db/step-codec.ts';

/** Steps read and decided between two turns of the event loop (~10-30 ms here). */
const PAGE = 10_000;

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The policy schedule: the newest version whose effectiveStep <= s applies at step s. */
export function policySchedule(history: PolicyVersion[]): { from: number; policy: Policy }[] {
  const schedule: { from: number; policy: Policy }[] = [];
  for (const v of history) {
    // A later version with an earlier (or equal) effectiveStep overrides what it overlaps.
    while (schedule.length > 0 && schedule[schedule.length - 1].from >= v.effectiveStep) schedule.pop();
    schedule.push({ from: v.effectiveStep, policy: v.policy });
  }
  return schedule;
}

export interface ReplayOptions {
  /** Last step to decide (inclusive). */
  upTo?: number;
  /** One policy from the start (what-if); default: the run's own versions. */
  policy?: Policy;
  onDecision?: (d: Decision) => void;
}

/**
 * The controller after deciding the stored steps up to `upTo`. Steps stored meanwhile after
 * `upTo` are not read; give `upTo` for a result that does not depend on concurrent ingest.
 */
export async function replayController(store: ServerStore, rid: number, { upTo = Number.MAX_SAFE_INTEGER, policy, onDecision }: ReplayOptions = {}): Promise<Controller> {
  const schedule = policy ? [{ from: 0, policy }] : policySchedule(await store.policies.history(rid));
  if (schedule.length === 0) throw new Error(`run ${rid} has no policy`);
  let next = 1;
  const controller = new Controller(schedule[0].policy);
  let after = -1;
  for (;;) {
    // Arrays (step, gradNorm, loss, lr, threshold, coef, action, NaN mask): no object per row.
    const rows = await store.steps.rawRangeArrays(rid, after + 1, upTo, PAGE);
    for (const r of rows) {
      const step = r[0] as number;
      while (next < schedule.length && schedule[next].from <= step) controller.setPolicy(schedule[next++].policy);
      const mask = r[7] as number;
      const g = decodeValue(r[1], mask, 0);
      if (g === null) continue;
      const d = controller.decide({ step, gradNorm: g, loss: decodeValue(r[2], mask, 1) });
      onDecision?.(d);
    }
    if (rows.length < PAGE) break;
    after = rows[rows.length - 1][0] as number;
    await nextTurn();
  }
  // The state carries the policy in force at step `upTo` (versions effective later are
  // pushed to the SDK with their effectiveStep, so it switches by itself).
  if (upTo < Number.MAX_SAFE_INTEGER) while (next < schedule.length && schedule[next].from <= upTo) controller.setPolicy(schedule[next++].policy);
  return controller;
}
