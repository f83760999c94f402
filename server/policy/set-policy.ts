// A new policy version for a run: validated, given its effectiveStep, stored, then pushed to
// the run's SDKs and dashboards.
//
// effectiveStep: the step from which every worker applies the new policy. When not given it
// is the run's last stored step + POLICY_MARGIN_STEPS, so that workers a little ahead of the
// stored history (batches in flight) still switch at the same step; a worker already past it
// applies the policy at once and acknowledges it as `late`.
import type { Policy } from '../../sdk/controller/types.ts';
import type { PolicyVersion } from '../../sdk/protocol/api-types.ts';
import type { ServerContext } from '../context.ts';
import type { RunRow } from '../db/run-store.ts';
import { HttpError } from '../http-error.ts';

export const POLICY_MARGIN_STEPS = 10;

export function defaultEffectiveStep(run: RunRow): number {
  return run.last_step === null ? 0 : run.last_step + POLICY_MARGIN_STEPS;
}

export function setPolicy(ctx: ServerContext, run: RunRow, policy: Policy, effectiveStep: number | undefined, author: string): PolicyVersion {
  const current = ctx.store.runs.byRid(run.rid) ?? run;
  const step = effectiveStep ?? defaultEffectiveStep(current);
  if (current.last_step !== null && step <= current.last_step) {
    throw new HttpError(
      400,
      `Expected "effectiveStep" to be after the run's last stored step ${current.last_step} (a policy cannot change the past); omit it to use ${defaultEffectiveStep(current)}`,
    );
  }
  const version = ctx.store.policies.add(run.rid, policy, step, author, new Date().toISOString());
  ctx.detectors.reset(run.rid); // its spikeZ / explosionFactor may have changed
  ctx.pushPolicy(run.id, version);
  ctx.live.policy(run.id, version);
  return version;
}
