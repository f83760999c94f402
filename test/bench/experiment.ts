// `npm run experiment`: does auto-clipping help? A vanilla RNN on the adding problem under
// no clipping, fixed thresholds, AutoClip (percentile) and ZClip (z-score), every run
// streamed to a gradpilot server through the SDK. See test/bench/experiment/RESULTS.md.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '@gradpilot/sdk';
import { startServer, type RunningServer } from '../../server/start-server.ts';
import { useWasmBackend } from '../../server/demo/adding-problem.ts';
import { parseArgs, USAGE, type ExperimentArgs } from './experiment/args.ts';
import { writeReport } from './experiment/report.ts';
import { runExperiment, type OpenRun } from './experiment/run-experiment.ts';
import { CONDITIONS, FULL_SETTINGS, QUICK_SETTINGS, type Settings } from './experiment/settings.ts';
import { DEFAULT_CRITERIA } from './experiment/stats.ts';

function commandLine(argv: string[]): string {
  return ['npm run experiment', ...(argv.length ? ['--', ...argv] : [])].join(' ');
}

/** Runs the experiment; resolves to the process exit code. */
export async function run(argv: string[]): Promise<number> {
  let args: ExperimentArgs;
  try {
    args = parseArgs(argv);
  } catch (err) {
    process.stderr.write(`gradpilot experiment: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const settings: Settings = { ...(args.quick ? QUICK_SETTINGS : FULL_SETTINGS), steps: args.steps };
  await useWasmBackend();

  let server: RunningServer | null = null;
  let dbDir: string | null = null;
  if (args.url === null) {
    dbDir = mkdtempSync(join(tmpdir(), 'gradpilot-experiment-'));
    server = await startServer({ db: join(dbDir, 'experiment.db'), port: 0 });
  }
  const url = args.url ?? server!.url;
  const say = (line: string): void => void process.stdout.write(line + '\n');
  try {
    say(`gradpilot experiment: ${CONDITIONS.length} conditions × ${args.seeds.length} seeds × ${settings.steps} steps, streaming to ${url} (project "${args.project}")`);
    const openRun: OpenRun = (condition, seed) =>
      init({
        url,
        name: `${condition.label} · seed ${seed}`,
        project: args.project,
        policy: condition.policy,
        config: { ...settings, seed, condition: condition.label, task: 'adding-problem' },
        // The runs are short and the server is local: keep undelivered steps in memory, not in a spill file.
        spillDir: null,
      });
    const load0 = loadavg()[0];
    const t0 = performance.now();
    const results = await runExperiment({ settings, seeds: args.seeds, conditions: CONDITIONS, openRun, log: say });
    const seconds = (performance.now() - t0) / 1000;
    const files = writeReport({
      out: args.out,
      results,
      settings,
      criteria: DEFAULT_CRITERIA,
      command: commandLine(argv),
      seconds,
      // Other processes share the cores; the load average says how much of them the runs got.
      machine: `${availableParallelism()} cores (1-min load average ${load0.toFixed(1)} at the start, ${loadavg()[0].toFixed(1)} at the end)`,
      serverUrl: args.url ?? 'a temporary server',
      project: args.project,
    });
    say('');
    say(files.table);
    say('');
    say(`wrote ${join(args.out, 'RESULTS.md')}, ${join(args.out, 'results.html')} and results.json in ${seconds.toFixed(1)} s`);
    return 0;
  } finally {
    await server?.close();
    if (dbDir) rmSync(dbDir, { recursive: true, force: true });
  }
}

// `npm run experiment -- [options]` runs this file directly (the experiment is not a
// command of the installed package: it needs TensorFlow.js and imports the server).
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await run(process.argv.slice(2));
}
