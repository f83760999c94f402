import type { InitOptions } from './options.ts';
import { resolveOptions } from './options.ts';
import { Run } from './run.ts';

/**
 * Starts (or resumes) a run and connects to the server in the background. A new run does
 * not wait for the server: the id is chosen here, steps are decided locally with `policy`
 * (default AutoClip) and wait in the outbox until the server is back. `resume` waits for the
 * server's controller state (or uses `state` from your checkpoint), so thresholds continue
 * exactly where they were.
 *
 * @example
 * import { init } from '@gradpilot/sdk';
 * const run = await init({
 *   url: 'http://127.0.0.1:7070',
 *   name: 'rnn-adding',
 *   project: 'clipping',
 *   policy: { kind: 'percentile', p: 10 },
 * });
 * console.log(`live at ${run.dashboardUrl}`);
 *
 * @example
 * // After a crash: continue the run from the checkpoint at step 5000.
 * const run = await init({ url, resume: 'lz3k1-9f2c41d0aa7e', fromStep: 5000 });
 */
export async function init(options: InitOptions): Promise<Run> {
  const resolved = resolveOptions(options);
  const run = new Run(resolved);
  try {
    await run._whenResumed();
  } catch (err) {
    await run.close({ timeoutMs: 0 });
    throw err;
  }
  return run;
}
