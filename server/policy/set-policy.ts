// A new policy version for a run: validated, given its effectiveStep, stored, then pushed to
// the run's SDKs and dashboards.
//
// effectiveStep: the step from which every worker applies the new policy. When not given it
// is the run's last stored step plus a margin, so that workers ahead of the stored history
// still switch at the same step. The SDK stores steps up to a flush interval (1 s) late, plus
// transit, so the margin covers POLICY_LEAD_SECONDS of the run's current step rate, and at
// least POLICY_MARGIN_STEPS; a worker already past it applies the policy at once and
// acknowledges it as `late`.
import type { Policy } from '@gradpilot/sdk/controller';
import type { PolicyVersion } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import type { RunRow } from '../db/run-store.ts';
import { HttpError } from '../http-error.ts';

export const POLICY_MARGIN_STEPS = 10;
export const POLICY_LEAD_SECONDS = 3;

/** Steps between the last stored step and a new policy's default effectiveStep. */
export function policyMargin(stepsPerSecond: number): number {
  return Math.max(POLICY_MARGIN_STEPS, Math.ceil(stepsPerSecond * POLICY_LEAD_SECONDS));
}

export function defaultEffectiveStep(run: RunRow, stepsPerSecond: number): number {
  return run.last_step === null ? 0 : run.last_step + policyMargin(stepsPerSecond);
}

export async function setPolicy(ctx: ServerContext, run: RunRow, policy: Policy, effectiveStep: number | undefined, author: string): Promise<PolicyVersion> {
  const current = (await ctx.store.runs.byRid(run.rid)) ?? run;
  const fallback = defaultEffectiveStep(current, ctx.activity.stepsPerSecond(run.id));
  const step = effectiveStep ?? fallback;
  if (current.last_step !== null && step <= current.last_step) {
    throw new HttpError(
      400,
      `Expected "effectiveStep" to be after the run's last stored step ${current.last_step} (a policy cannot change the past); omit it to use ${fallback}`,
    );
  }
  const version = await ctx.store.policies.add(run.rid, policy, step, author, new Date().toISOString());
  ctx.detectors.reset(run.rid); // its spikeZ / explosionFactor may have changed
  ctx.pushPolicy(run.id, version);
  ctx.live.policy(run.id, version);
  return version;
}
