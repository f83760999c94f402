// Every condition on every seed, seed by seed (so a partial run still compares conditions).
import type { Run } from '@gradpilot/sdk';
import { clipStepWith } from './clip-step.ts';
import type { Condition } from './conditions.ts';
import type { Settings } from './settings.ts';
import type { RunResult } from './stats.ts';
import { trainRun } from './train-run.ts';

/** Opens the SDK run that one (condition, seed) streams to. */
export type OpenRun = (condition: Condition, seed: number, settings: Settings) => Promise<Run>;

export interface ExperimentPlan {
  settings: Settings;
  seeds: number[];
  conditions: Condition[];
  openRun: OpenRun;
  /** Progress lines (one per finished run). */
  log?: (line: string) => void;
}

export async function runExperiment({ settings, seeds, conditions, openRun, log = () => {} }: ExperimentPlan): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (const seed of seeds) {
    for (const condition of conditions) {
      const handle = await openRun(condition, seed, settings);
      let result: RunResult;
      try {
        result = await trainRun({ settings, seed, condition: condition.label, runId: handle.id, clip: clipStepWith(handle) });
      } finally {
        const report = await handle.close({ timeoutMs: 10_000 });
        // Every step must reach the server: the experiment is also a test of the SDK.
        if (report.undelivered > 0) throw new Error(`run ${handle.id} left ${report.undelivered} steps undelivered (${report.lastError ?? 'no error'})`);
      }
      results.push(result);
      const last = result.evalLoss[result.evalLoss.length - 1];
      log(
        `seed ${seed} ${condition.label.padEnd(32)} final eval loss ${last.toPrecision(3).padStart(9)}  ` +
          `clipped ${result.clipped} skipped ${result.skipped}  ${result.seconds.toFixed(1)} s  run ${handle.id}`,
      );
    }
  }
  return results;
}
