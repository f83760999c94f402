// `npm run experiment -- [options]`: defaults, validation, interpretation, in that order.
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const USAGE = `gradpilot experiment [options]

Trains one task under several clipping policies (none, fixed thresholds, AutoClip
percentile, ZClip z-score, candidate defaults), the same seeds, data and initial weights for
each, streams every run to a gradpilot server and writes tables and a plot.

Options:
  --task NAME      rnn (default): a vanilla tanh RNN on the adding problem, TensorFlow.js;
                   transformer: a character-level transformer in PyTorch (Debian's python3)
  --quick          a tiny version (seconds) that checks the machinery, not the result
  --url URL        stream to this server instead of starting one on a temporary database
  --seeds N|LIST   number of seeds (1..N) or a comma-separated list (default 5; quick 2)
  --steps N        training steps per run (default 1000; quick 20 rnn, 12 transformer)
  --conditions IDS comma-separated condition ids (default: all; see the table's conditions)
  --lr X           override the learning rate (for choosing the setting, not for the study)
  --override JSON  override other settings, e.g. '{"norm":"post","beta2":0.999}' (same purpose)
  --workers N      transformer: Python processes side by side (default 2)
  --threads N      transformer: torch threads per process (default 1)
  --out DIR        where RESULTS.md, results.html and results.json go
                   (default: test/bench/experiment/results/<task>; quick: a temporary directory)
  --project NAME   the project the runs are grouped under (default "adding-problem" or "char-transformer")
  --help           this text`;

export type Task = 'rnn' | 'transformer';
export const TASKS: readonly Task[] = ['rnn', 'transformer'];

export interface ExperimentArgs {
  task: Task;
  quick: boolean;
  /** Condition ids to run (null: all). */
  conditions: string[] | null;
  lr: number | null;
  /** Settings to override (keys checked against the task's settings by the caller). */
  override: Record<string, number | string>;
  workers: number;
  threads: number;
  url: string | null;
  seeds: number[];
  steps: number;
  out: string;
  project: string;
  help: boolean;
}

const HERE = dirname(fileURLToPath(import.meta.url));

function positiveInt(flag: string, value: string | undefined): number {
  const n = Number(value);
  if (value === undefined || !Number.isSafeInteger(n) || n < 1) {
    throw new RangeError(`Expected "${flag}" to be a positive integer, got ${JSON.stringify(value ?? null)}`);
  }
  return n;
}

function parseSeeds(value: string | undefined): number[] {
  if (value !== undefined && value.includes(',')) {
    const seeds = value.split(',').map((s) => Number(s.trim()));
    if (seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) {
      throw new RangeError(`Expected "--seeds" to be a count or a list of non-negative integers such as 1,2,3, got ${JSON.stringify(value)}`);
    }
    return seeds;
  }
  const n = positiveInt('--seeds', value);
  return Array.from({ length: n }, (_, i) => i + 1);
}

/** Parses the command line. Throws RangeError/TypeError naming the flag on bad input. */
export function parseArgs(argv: string[]): ExperimentArgs {
  const flags = new Map<string, string | undefined>();
  const takesValue = new Set(['--task', '--url', '--seeds', '--steps', '--conditions', '--lr', '--override', '--workers', '--threads', '--out', '--project']);
  const boolean = new Set(['--quick', '--help', '-h']);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(0, eq) : a;
    if (boolean.has(name)) flags.set(name === '-h' ? '--help' : name, 'true');
    else if (takesValue.has(name)) flags.set(name, eq > 0 ? a.slice(eq + 1) : argv[++i]);
    else throw new TypeError(`Unknown option "${a}". Expected one of: ${[...takesValue, ...boolean].join(', ')}`);
  }
  const quick = flags.has('--quick');
  const task = (flags.get('--task') ?? 'rnn') as Task;
  if (!TASKS.includes(task)) throw new RangeError(`Expected "--task" to be one of ${TASKS.join(', ')}, got ${JSON.stringify(flags.get('--task') ?? null)}`);
  let conditions: string[] | null = null;
  if (flags.has('--conditions')) {
    conditions = (flags.get('--conditions') ?? '').split(',').map((c) => c.trim()).filter((c) => c.length > 0);
    if (conditions.length === 0) throw new TypeError('Expected "--conditions" to be a comma-separated list of condition ids such as none,fixed-1');
  }
  let lr: number | null = null;
  if (flags.has('--lr')) {
    lr = Number(flags.get('--lr'));
    if (!(Number.isFinite(lr) && lr > 0)) throw new RangeError(`Expected "--lr" to be a positive number, got ${JSON.stringify(flags.get('--lr') ?? null)}`);
  }
  const url = flags.get('--url') ?? null;
  if (flags.has('--url') && (url === null || !/^https?:\/\//.test(url))) {
    throw new TypeError(`Expected "--url" to be an http(s) URL such as http://127.0.0.1:7070, got ${JSON.stringify(url)}`);
  }
  let override: Record<string, number | string> = {};
  if (flags.has('--override')) {
    const text = flags.get('--override') ?? '';
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null;
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'number' && typeof v !== 'string')) {
      throw new TypeError(`Expected "--override" to be a JSON object of numbers and strings such as {"beta2":0.999}, got ${JSON.stringify(text)}`);
    }
    override = parsed as Record<string, number | string>;
  }
  const project = flags.get('--project') ?? (task === 'rnn' ? 'adding-problem' : 'char-transformer');
  if (project.length === 0) throw new TypeError('Expected "--project" to be a non-empty name');
  const defaultSteps = task === 'rnn' ? (quick ? 20 : 1000) : quick ? 12 : 1000;
  return {
    task,
    quick,
    conditions,
    lr,
    override,
    workers: flags.has('--workers') ? positiveInt('--workers', flags.get('--workers')) : 2,
    threads: flags.has('--threads') ? positiveInt('--threads', flags.get('--threads')) : 1,
    url,
    seeds: flags.has('--seeds') ? parseSeeds(flags.get('--seeds')) : quick ? [1, 2] : [1, 2, 3, 4, 5],
    steps: flags.has('--steps') ? positiveInt('--steps', flags.get('--steps')) : defaultSteps,
    out: resolve(flags.get('--out') ?? (quick ? join(tmpdir(), `gradpilot-experiment-quick-${task}`) : join(HERE, 'results', task))),
    project,
    help: flags.has('--help'),
  };
}
