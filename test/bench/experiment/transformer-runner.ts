// Runs the transformer task: Python workers (transformer_task.py under Debian's python3 with
// torch) train the runs and stream every step to the server through the Python SDK; this side
// hands out the jobs and collects each finished run as a RunResult.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Condition, ConditionPolicy } from './conditions.ts';
import type { TransformerSettings } from './settings.ts';
import type { RunResult } from './stats.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
const PYTHON = '/usr/bin/python3';
// Debian's torch links the reference BLAS through the libblas.so.3 alternative, which is ~4x
// slower here than OpenBLAS; with libopenblas0-pthread installed the workers use it, whatever
// the alternative points to (the machine's default is left alone).
const OPENBLAS = '/usr/lib/x86_64-linux-gnu/openblas-pthread';

/** What the workers report about the corpus (the same on every machine with the same files). */
export interface CorpusInfo {
  trainBytes: number;
  evalBytes: number;
  sha256: string;
  /** Cross-entropy on the evaluation text of the training text's byte frequencies. */
  unigramLoss: number;
}

export interface TransformerPlan {
  settings: TransformerSettings;
  seeds: number[];
  conditions: Condition[];
  url: string;
  project: string;
  /** Worker processes run side by side; each uses `threads` intra-op threads. */
  workers: number;
  threads: number;
  log?: (line: string) => void;
}

interface Job {
  condition: string;
  policy: ConditionPolicy;
  seed: number;
}

type Wire = number | 'NaN' | 'Infinity' | '-Infinity';

function unspell(v: Wire): number {
  return typeof v === 'number' ? v : Number(v);
}

interface WireRun {
  condition: string;
  seed: number;
  runId: string;
  steps: number;
  trainLoss: Wire[];
  gradNorm: Wire[];
  evalSteps: number[];
  evalLoss: Wire[];
  clipped: number;
  skipped: number;
  nonFinite: number;
  seconds: number;
  undelivered: number;
}

function toResult(w: WireRun): RunResult {
  return {
    condition: w.condition, seed: w.seed, runId: w.runId, steps: w.steps,
    trainLoss: w.trainLoss.map(unspell), gradNorm: w.gradNorm.map(unspell),
    evalSteps: w.evalSteps, evalLoss: w.evalLoss.map(unspell),
    clipped: w.clipped, skipped: w.skipped, nonFinite: w.nonFinite, seconds: w.seconds,
  };
}

/** One worker process over its share of the jobs; resolves when it exits 0. */
function runWorker(
  specFile: string, threads: number, onCorpus: (c: CorpusInfo) => void, onRun: (r: WireRun) => void,
): Promise<void> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PYTHONPATH: join(ROOT, 'sdk', 'python'),
    PYTHONDONTWRITEBYTECODE: '1',
    OMP_NUM_THREADS: String(threads),
    OPENBLAS_NUM_THREADS: String(threads),
  };
  if (existsSync(join(OPENBLAS, 'libblas.so.3'))) env.LD_LIBRARY_PATH = [OPENBLAS, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':');
  const child = spawn(PYTHON, [join(HERE, 'transformer_task.py'), specFile], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-8000);
  });
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    const msg = JSON.parse(line) as { corpus?: CorpusInfo; run?: WireRun };
    if (msg.corpus) onCorpus(msg.corpus);
    if (msg.run) onRun(msg.run);
  });
  return new Promise((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`Could not start ${PYTHON} (the transformer task needs Debian's python3 with python3-torch): ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`transformer worker exited with ${code ?? signal}:\n${stderr}`));
    });
  });
}

/** Every condition on every seed, the jobs dealt round-robin to the workers; results in job order. */
export async function runTransformerExperiment(plan: TransformerPlan): Promise<{ results: RunResult[]; corpus: CorpusInfo }> {
  const { settings, seeds, conditions, url, project, workers, threads, log = () => {} } = plan;
  const jobs: Job[] = seeds.flatMap((seed) => conditions.map((c) => ({ condition: c.label, policy: c.policy, seed })));
  const dir = mkdtempSync(join(tmpdir(), 'gradpilot-transformer-'));
  const done = new Map<string, RunResult>();
  let corpus: CorpusInfo | null = null;
  const problems: string[] = [];
  try {
    const n = Math.max(1, Math.min(workers, jobs.length));
    const running: Promise<void>[] = [];
    for (let w = 0; w < n; w++) {
      const share = jobs.filter((_, i) => i % n === w);
      const specFile = join(dir, `worker-${w}.json`);
      writeFileSync(specFile, JSON.stringify({ url, project, threads, settings, jobs: share }));
      running.push(
        runWorker(specFile, threads, (c) => void (corpus = c), (wire) => {
          // Every step must reach the server: the experiment is also a test of the SDK.
          if (wire.undelivered > 0) problems.push(`run ${wire.runId} left ${wire.undelivered} steps undelivered`);
          const r = toResult(wire);
          done.set(`${r.condition}\u0000${r.seed}`, r);
          const last = r.evalLoss[r.evalLoss.length - 1];
          log(
            `seed ${r.seed} ${r.condition.padEnd(32)} final eval loss ${last.toPrecision(3).padStart(9)}  ` +
              `clipped ${r.clipped} skipped ${r.skipped}  ${r.seconds.toFixed(1)} s  run ${r.runId}`,
          );
        }),
      );
    }
    await Promise.all(running);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (problems.length) throw new Error(problems.join('; '));
  if (corpus === null) throw new Error('the transformer workers reported no corpus');
  const results = jobs.map((j) => {
    const r = done.get(`${j.condition}\u0000${j.seed}`);
    if (!r) throw new Error(`no result for ${j.condition}, seed ${j.seed}`);
    return r;
  });
  return { results, corpus };
}
