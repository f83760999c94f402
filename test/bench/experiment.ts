// `npm run experiment -- [--task rnn|transformer]`: does auto-clipping help? Each task trains
// under no clipping, fixed thresholds, AutoClip (percentile), ZClip (z-score) and the candidate
// defaults, every run streamed to a gradpilot server through an SDK (TS for the RNN, Python for
// the transformer). See README "Does it help?" and test/bench/experiment/results/.
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { init } from '@gradpilot/sdk';
import { startServer, type RunningServer } from '../../server/start-server.ts';
import { useWasmBackend } from '../../server/demo/adding-problem.ts';
import { parseArgs, USAGE, type ExperimentArgs } from './experiment/args.ts';
import { conditionsFor, selectConditions, type Condition } from './experiment/conditions.ts';
import { writeReport, type ReportFiles, type TaskText } from './experiment/report.ts';
import { runExperiment, type OpenRun } from './experiment/run-experiment.ts';
import {
  FULL_SETTINGS, QUICK_SETTINGS, RNN_FIXED_GRID, TRANSFORMER_FIXED_GRID, TRANSFORMER_QUICK_SETTINGS, TRANSFORMER_SETTINGS,
  type Settings, type TransformerSettings,
} from './experiment/settings.ts';
import { DEFAULT_CRITERIA, type Criteria, type RunResult } from './experiment/stats.ts';
import { runTransformerExperiment } from './experiment/transformer-runner.ts';

/**
 * The transformer's criteria. "Diverged" is ending above the unigram loss (what a model that
 * knows only the byte frequencies scores on the held-out files, 3.08 nats, reported by every
 * run): a spike that knocks the model back to letter frequencies and no further counts too.
 * A loss spike is 1.25x the running median: a byte-level cross-entropy of ~2.5 nats varies by
 * about 0.1 from batch to batch, so +25 % is several times that noise (the RNN's MSE on 32
 * sequences varies far more, hence 2x there).
 */
export const TRANSFORMER_CRITERIA: Criteria = { divergeFactor: 1, divergeLoss: 3.08, targetLoss: 2.3, spikeFactor: 1.25, spikeWindow: 50 };

/** Applies `--override`, refusing keys the task's settings do not have or values of another type. */
function overridden<S extends object>(settings: S, override: Record<string, number | string>): S {
  for (const [k, v] of Object.entries(override)) {
    if (!Object.hasOwn(settings, k) || k === 'steps') {
      throw new RangeError(`Unknown setting "${k}" in "--override". Expected keys among: ${Object.keys(settings).filter((q) => q !== 'steps').join(', ')}`);
    }
    const cur = (settings as Record<string, unknown>)[k];
    if (typeof cur !== typeof v) throw new TypeError(`Expected "--override" ${k} to be a ${typeof cur}, got ${JSON.stringify(v)}`);
  }
  return { ...settings, ...override };
}

function commandLine(argv: string[]): string {
  return ['npm run experiment', ...(argv.length ? ['--', ...argv] : [])].join(' ');
}

interface TaskOutcome {
  results: RunResult[];
  settings: object;
  criteria: Criteria;
  text: TaskText;
}

function rnnSettings(args: ExperimentArgs): Settings {
  const base = args.quick ? QUICK_SETTINGS : FULL_SETTINGS;
  return overridden({ ...base, lr: args.lr ?? base.lr, steps: args.steps }, args.override);
}

function transformerSettings(args: ExperimentArgs): TransformerSettings {
  const base = args.quick ? TRANSFORMER_QUICK_SETTINGS : TRANSFORMER_SETTINGS;
  return overridden({ ...base, lr: args.lr ?? base.lr, steps: args.steps }, args.override);
}

async function runRnn(args: ExperimentArgs, conditions: Condition[], url: string, say: (l: string) => void): Promise<TaskOutcome> {
  await useWasmBackend();
  const settings = rnnSettings(args);
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
  const results = await runExperiment({ settings, seeds: args.seeds, conditions, openRun, log: say });
  const s = settings;
  return {
    results,
    settings,
    criteria: DEFAULT_CRITERIA,
    text: {
      task: 'rnn',
      title: 'Does auto-clipping help? Adding problem, vanilla RNN',
      settingsLine:
        `Task: adding problem, T = ${s.seqLen}, batch ${s.batchSize}. Model: vanilla tanh RNN, ${s.hidden} hidden units, ` +
        `recurrent init with spectral radius ≈ ${s.recurrentScale}. Optimizer: plain SGD, lr ${s.lr}, ${s.steps} steps. TensorFlow.js, TS SDK.`,
      lossText: `Loss is the MSE on a fixed evaluation set of ${s.evalSize} sequences, scored every ${s.evalEvery} steps.`,
      baselineText: 'predicting the constant 1 scores 1/6 ≈ 0.167',
      stepNote: 'with the wasm backend',
      notes: [],
    },
  };
}

async function runTransformer(args: ExperimentArgs, conditions: Condition[], url: string, say: (l: string) => void): Promise<TaskOutcome> {
  const settings = transformerSettings(args);
  const { results, corpus } = await runTransformerExperiment({
    settings, seeds: args.seeds, conditions, url, project: args.project, workers: args.workers, threads: args.threads, log: say,
  });
  const s = settings;
  return {
    results,
    settings: { ...settings, workers: args.workers, threads: args.threads, corpus },
    criteria: TRANSFORMER_CRITERIA,
    text: {
      task: 'transformer',
      title: 'Does auto-clipping help? Character-level transformer, PyTorch',
      settingsLine:
        `Task: next-byte prediction on Python standard-library sources, context ${s.context}, batch ${s.batchSize}. ` +
        `Model: decoder-only ${s.norm}-LayerNorm transformer, ${s.layers} layers, width ${s.width}, ${s.heads} heads, no dropout. ` +
        `Optimizer: AdamW (β = 0.9, ${s.beta2}; weight decay ${s.weightDecay}), constant lr ${s.lr}, no warm-up, ${s.steps} steps. PyTorch on CPU, Python SDK ` +
        `(${args.workers} worker process${args.workers > 1 ? 'es' : ''} × ${args.threads} thread${args.threads > 1 ? 's' : ''}).`,
      lossText:
        `Loss is the cross-entropy in nats per byte on a fixed evaluation set of ${s.evalSize} windows of held-out files, scored every ${s.evalEvery} steps.`,
      baselineText: `the byte frequencies alone score ${corpus.unigramLoss.toFixed(2)}; an untrained model about ln 256 ≈ 5.5`,
      stepNote: 'on CPU',
      notes: [
        `Corpus: 15 files of /usr/lib/python3.11 for training (${corpus.trainBytes} bytes), 5 other files for evaluation (${corpus.evalBytes} bytes), ` +
          `listed in test/bench/experiment/transformer_task.py; sha256 of the text ${corpus.sha256.slice(0, 16)}….`,
      ],
    },
  };
}

/** Runs the experiment; resolves to the process exit code. */
export async function run(argv: string[]): Promise<number> {
  let args: ExperimentArgs;
  let conditions: Condition[];
  try {
    args = parseArgs(argv);
    conditions = selectConditions(conditionsFor(args.task === 'rnn' ? RNN_FIXED_GRID : TRANSFORMER_FIXED_GRID), args.conditions);
    // Checked before anything starts: a bad --override is a usage error.
    if (args.task === 'rnn') rnnSettings(args);
    else transformerSettings(args);
  } catch (err) {
    process.stderr.write(`gradpilot experiment: ${(err as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(USAGE + '\n');
    return 0;
  }

  let server: RunningServer | null = null;
  let dbDir: string | null = null;
  if (args.url === null) {
    dbDir = mkdtempSync(join(tmpdir(), 'gradpilot-experiment-'));
    server = await startServer({ db: join(dbDir, 'experiment.db'), port: 0 });
  }
  const url = args.url ?? server!.url;
  const say = (line: string): void => void process.stdout.write(line + '\n');
  try {
    say(`gradpilot experiment (${args.task}): ${conditions.length} conditions × ${args.seeds.length} seeds × ${args.steps} steps, streaming to ${url} (project "${args.project}")`);
    const load0 = loadavg()[0];
    const t0 = performance.now();
    const outcome = args.task === 'rnn' ? await runRnn(args, conditions, url, say) : await runTransformer(args, conditions, url, say);
    const seconds = (performance.now() - t0) / 1000;
    const files: ReportFiles = writeReport({
      out: args.out,
      ...outcome,
      fixedLabels: conditions.filter((c) => c.role === 'fixed').map((c) => c.label),
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
