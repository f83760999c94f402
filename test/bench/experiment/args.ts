// `npm run experiment -- [options]`: defaults, validation, interpretation, in that order.
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const USAGE = `gradpilot experiment [options]

Trains a vanilla tanh RNN on the adding problem under several clipping policies (none,
fixed thresholds, AutoClip percentile, ZClip z-score), the same seeds and data for each,
streams every run to a gradpilot server and writes a table and a plot.

Options:
  --quick          a tiny version (a few seconds) that checks the machinery, not the result
  --url URL        stream to this server instead of starting one on a temporary database
  --seeds N|LIST   number of seeds (1..N) or a comma-separated list (default 5; quick 2)
  --steps N        training steps per run (default 1000; quick 20)
  --out DIR        where RESULTS.md, results.html and results.json go
                   (default: test/bench/experiment; quick: a temporary directory)
  --project NAME   the project the runs are grouped under (default "adding-problem")
  --help           this text`;

export interface ExperimentArgs {
  quick: boolean;
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
  const takesValue = new Set(['--url', '--seeds', '--steps', '--out', '--project']);
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
  const url = flags.get('--url') ?? null;
  if (flags.has('--url') && (url === null || !/^https?:\/\//.test(url))) {
    throw new TypeError(`Expected "--url" to be an http(s) URL such as http://127.0.0.1:7070, got ${JSON.stringify(url)}`);
  }
  const project = flags.get('--project') ?? 'adding-problem';
  if (project.length === 0) throw new TypeError('Expected "--project" to be a non-empty name');
  return {
    quick,
    url,
    seeds: flags.has('--seeds') ? parseSeeds(flags.get('--seeds')) : quick ? [1, 2] : [1, 2, 3, 4, 5],
    steps: flags.has('--steps') ? positiveInt('--steps', flags.get('--steps')) : quick ? 20 : 1000,
    out: resolve(flags.get('--out') ?? (quick ? join(tmpdir(), 'gradpilot-experiment-quick') : HERE)),
    project,
    help: flags.has('--help'),
  };
}
