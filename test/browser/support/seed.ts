// Synthetic training runs posted over the real HTTP API, for the browser tests and the
// screenshot/first-frame scripts: a decaying noisy gradient norm with spikes, NaN steps,
// loss, a warm-up/cosine learning rate, and per-layer norms where one layer spikes first.
import type { RunSummary, WireStep } from '../../../sdk/protocol/api-types.ts';
import { encodeNumber } from '../../../sdk/protocol/wire-number.ts';
import { mulberry32 as rng } from '../../support/random.ts';

export interface SeedOptions {
  name?: string;
  project?: string;
  steps: number;
  /** First step to generate. Default 0. */
  start?: number;
  /** Steps whose gradient norm is NaN. */
  nanAt?: number[];
  /** Steps with a large spike (the layer "rnn.U" spikes one step earlier). */
  spikeAt?: number[];
  layers?: boolean;
  batch?: number;
  threshold?: number;
}


export function makeSteps(opts: SeedOptions): WireStep[] {
  const { steps, start = 0, nanAt = [], spikeAt = [], layers = true, threshold = 2 } = opts;
  const rand = rng(start + 7);
  const nan = new Set(nanAt);
  const spikes = new Set(spikeAt);
  const early = new Set(spikeAt.map((s) => s - 1));
  const out: WireStep[] = [];
  for (let i = 0; i < steps; i++) {
    const step = start + i;
    const decay = 0.6 + 1.4 * Math.exp(-step / 400);
    let g = decay * Math.exp(0.25 * (rand() - 0.5) * 2);
    if (spikes.has(step)) g *= 25;
    if (nan.has(step)) g = Number.NaN;
    const clipped = Number.isFinite(g) && g > threshold;
    const s: WireStep = {
      step,
      gradNorm: encodeNumber(g),
      loss: 2.5 * Math.exp(-step / 600) + 0.1 + 0.05 * rand(),
      lr: step < 100 ? (1e-3 * step) / 100 : 1e-3 * (0.5 + 0.5 * Math.cos((Math.PI * step) / 5000)),
      threshold,
      coef: Number.isFinite(g) ? (clipped ? threshold / (g + 1e-6) : 1) : 0,
      action: !Number.isFinite(g) ? 'skip' : clipped ? 'clip' : 'apply',
    };
    if (layers) {
      const base = Number.isFinite(g) ? g : 1;
      s.layers = {
        embed: encodeNumber(0.1 * base * (0.9 + 0.2 * rand())),
        'rnn.W': encodeNumber(0.5 * base * (0.9 + 0.2 * rand())),
        'rnn.U': encodeNumber((early.has(step) ? 40 : 1) * 0.6 * base * (0.9 + 0.2 * rand())),
        head: encodeNumber(0.3 * base * (0.9 + 0.2 * rand())),
      };
    }
    out.push(s);
  }
  return out;
}

async function json<T>(res: Response, what: string): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`${what} failed with HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function createRun(url: string, name: string, project?: string): Promise<RunSummary> {
  const res = await fetch(`${url}/api/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name, project, policy: { kind: 'percentile', p: 90 } }),
  });
  return json<RunSummary>(res, 'POST /api/runs');
}

export async function postSteps(url: string, runId: string, steps: WireStep[], batch = 5000): Promise<void> {
  for (let i = 0; i < steps.length; i += batch) {
    const res = await fetch(`${url}/api/runs/${runId}/steps`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ steps: steps.slice(i, i + batch) }),
    });
    await json(res, 'POST steps');
  }
}

/** Creates a run and posts its synthetic steps; returns the run's id. */
export async function seedRun(url: string, opts: SeedOptions): Promise<string> {
  const run = await createRun(url, opts.name ?? 'seeded run', opts.project);
  await postSteps(url, run.id, makeSteps(opts), opts.batch);
  return run.id;
}
