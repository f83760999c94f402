// RunSummary as the API shows it, from the stored row and the in-memory activity.
import type { RunSummary } from '@gradpilot/sdk/protocol';
import type { RunRow } from '../db/run-store.ts';
import type { ServerStore } from '../db/server-store.ts';
import type { RunActivity } from './run-activity.ts';
import { SERVER_DEFAULT_POLICY } from '../policy/policy-rules.ts';

/**
 * `withConfig`: only the single-run answer carries the config. Lists and live pushes leave it
 * out: it is the one field that can be large, and it never changes.
 */
export async function toRunSummary(store: ServerStore, activity: RunActivity, row: RunRow, { withConfig = false } = {}): Promise<RunSummary> {
  const policy = (await store.policies.latest(row.rid)) ?? {
    version: 0,
    effectiveStep: 0,
    policy: SERVER_DEFAULT_POLICY,
    createdAt: row.created_at,
    author: 'server',
    acks: [],
  };
  return {
    id: row.id,
    name: row.name,
    project: row.project,
    createdAt: row.created_at,
    status: row.finished_at !== null ? 'finished' : activity.isRunning(row.id, row.last_step_at === null ? null : Date.parse(row.last_step_at)) ? 'running' : 'idle',
    steps: row.steps,
    lastStep: row.last_step,
    lastStepAt: row.last_step_at,
    stepsPerSecond: activity.stepsPerSecond(row.id),
    clipped: row.clipped,
    skipped: row.skipped,
    nonFinite: row.non_finite,
    events: row.events,
    policy,
    ...(withConfig ? { config: row.config === null ? null : (JSON.parse(row.config) as Record<string, unknown>) } : {}),
  };
}
