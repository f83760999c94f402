// The TS half of the differential test (test/python/test_differential.py): fresh random
// streams and policies from a seed, run through the TS controller; the inputs, the policy
// changes, every decision, one saved state per case and the decisions of the run resumed
// from it go to a file that the Python controller replays and compares bit for bit.
// Run: node --import tsx test/conformance/differential.ts --seed 123 --steps 120000 --out /tmp/diff.json
//
// Streams switch between regimes: a noisy level, level shifts (x0.05-x20), single spikes and
// bursts, NaN/±Inf bursts, ties and zeros (-0 too), norms near 1e-7, values over 16 decades,
// and huge norms that overflow the statistics. Policies cover every kind and option, and
// change mid-run. Columns are base64 of little-endian typed arrays: exact and compact.

import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Controller, parsePolicy, type Decision } from '../../sdk/controller/index.ts';
import { mulberry32 } from '../support/random.ts';

type Rand = () => number;

const { values: args } = parseArgs({ options: { seed: { type: 'string' }, steps: { type: 'string' }, out: { type: 'string' } } });
if (args.seed === undefined || args.out === undefined) throw new Error('usage: differential.ts --seed N --out FILE [--steps N]');
const seed = Number(args.seed);
const totalSteps = Number(args.steps ?? 120_000);
const r = mulberry32(seed);

const int = (lo: number, hi: number): number => lo + Math.floor(r() * (hi - lo + 1));
const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
const maybe = (p: number): boolean => r() < p;

function randomPolicy(): Record<string, unknown> {
  // The adaptive kinds twice as often: they have the most arithmetic to get right.
  const kind = pick(['percentile', 'percentile', 'zscore', 'zscore', 'fixed', 'off'] as const);
  const p: Record<string, unknown> = { kind };
  if (maybe(0.3) || kind === 'fixed') p.maxNorm = pick([1e-7, 0.5, 1, 2.5, 10, 1e3]) * (0.5 + r());
  if (maybe(0.3)) p.onNonFinite = pick(['skip', 'clip', 'raise']);
  if (maybe(0.25)) p.skipOnSpike = true;
  if (maybe(0.3)) p.spikeZ = 1 + 7 * r();
  if (maybe(0.3)) p.explosionFactor = 1 + 19 * r();
  if (maybe(0.4)) p.coefRule = pick(['gradpilot', 'torch']);
  if (kind === 'percentile' || kind === 'zscore') {
    if (maybe(0.25)) p.minThreshold = pick([0, 1e-8, 0.3, 1]) * r();
    if (maybe(0.25)) p.maxThreshold = (p.minThreshold as number | undefined ?? 0) + pick([1e-7, 1, 5]) * (0.1 + r());
  }
  if (kind === 'percentile') {
    p.p = pick([0, 100, 10, 50, 12.5, 99.9, r() * 100, 100 - 1e-12]);
    if (maybe(0.6)) p.window = pick([1, 2, 3, int(4, 60), int(100, 3000)]);
    if (maybe(0.4)) p.warmupSteps = int(0, 300);
  } else if (kind === 'zscore') {
    if (maybe(0.6)) p.alpha = pick([0.9, 0.97, 0.99, 0.5 + 0.499 * r()]);
    if (maybe(0.6)) p.z = 1 + 3 * r();
    if (maybe(0.7)) p.warmupSteps = pick([1, 2, int(3, 30), int(31, 200)]);
    if (maybe(0.4)) p.clipOption = pick(['adaptive_scaling', 'mean']);
    if (maybe(0.4)) p.clipFactor = 0.5 + r();
    if (maybe(0.4)) p.updateStatsOnSpike = maybe(0.5);
  }
  parsePolicy(p); // valid by construction; this would say otherwise
  return p;
}

function randomStream(n: number): Float64Array {
  const out = new Float64Array(n);
  let level = Math.exp(4 * r() - 2);
  let regime = 'normal';
  let left = 0;
  for (let i = 0; i < n; i++) {
    if (left-- <= 0) {
      regime = pick(['normal', 'normal', 'normal', 'shift', 'spike', 'burst', 'nonfinite', 'ties', 'tiny', 'wide', 'huge']);
      left = regime === 'nonfinite' ? int(1, 8) : regime === 'spike' || regime === 'huge' ? 1 : int(20, 600);
      if (regime === 'shift') level *= pick([0.05, 0.2, 3, 20]) * (0.8 + 0.4 * r());
    }
    const noise = 1 + 0.15 * (r() + r() + r() - 1.5);
    switch (regime) {
      case 'spike':
        out[i] = level * (5 + 500 * r());
        break;
      case 'burst':
        out[i] = level * (maybe(0.3) ? 10 + 100 * r() : noise);
        break;
      case 'nonfinite':
        out[i] = pick([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]);
        break;
      case 'ties':
        out[i] = maybe(0.1) ? pick([0, -0]) : Math.floor(r() * 4) * 0.25 * level;
        break;
      case 'tiny':
        out[i] = 1e-7 * (0.5 + r());
        break;
      case 'wide':
        out[i] = r() * 10 ** (Math.floor(r() * 17) - 8);
        break;
      case 'huge':
        out[i] = pick([1e150, 1e300, 1.7e308]);
        break;
      default:
        out[i] = level * Math.abs(noise);
    }
  }
  return out;
}

const b64 = (a: Float64Array | Uint8Array | Int32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');

interface Columns {
  threshold: Float64Array;
  thresholdNull: Uint8Array;
  coef: Float64Array;
  action: Uint8Array;
  events: [number, string][];
  stats: Record<'percentile' | 'emaMean' | 'emaStd' | 'zScore', { values: Float64Array; isNull: Uint8Array }>;
  historySize: Int32Array;
  consecutiveNonFinite: Int32Array;
}

const ACTIONS = ['apply', 'clip', 'skip'];

function record(ds: Decision[]): Columns {
  const n = ds.length;
  const nullable = (pick: (d: Decision) => number | null) => {
    const values = new Float64Array(n);
    const isNull = new Uint8Array(n);
    ds.forEach((d, i) => {
      const v = pick(d);
      if (v === null) isNull[i] = 1;
      else values[i] = v;
    });
    return { values, isNull };
  };
  const threshold = nullable((d) => d.threshold);
  return {
    threshold: threshold.values,
    thresholdNull: threshold.isNull,
    coef: Float64Array.from(ds, (d) => d.coef),
    action: Uint8Array.from(ds, (d) => ACTIONS.indexOf(d.action)),
    events: ds.flatMap((d, i): [number, string][] => (d.events.length > 0 ? [[i, d.events.join(',')]] : [])),
    stats: {
      percentile: nullable((d) => d.stats.percentile),
      emaMean: nullable((d) => d.stats.emaMean),
      emaStd: nullable((d) => d.stats.emaStd),
      zScore: nullable((d) => d.stats.zScore),
    },
    historySize: Int32Array.from(ds, (d) => d.stats.historySize),
    consecutiveNonFinite: Int32Array.from(ds, (d) => d.stats.consecutiveNonFinite),
  };
}

function encode(cols: Columns) {
  return {
    threshold: b64(cols.threshold),
    thresholdNull: b64(cols.thresholdNull),
    coef: b64(cols.coef),
    action: b64(cols.action),
    events: cols.events,
    stats: Object.fromEntries(Object.entries(cols.stats).map(([k, v]) => [k, { values: b64(v.values), isNull: b64(v.isNull) }])),
    historySize: b64(cols.historySize),
    consecutiveNonFinite: b64(cols.consecutiveNonFinite),
  };
}

const cases = [];
let done = 0;
while (done < totalSteps) {
  const n = Math.min(totalSteps - done, int(1500, 8000));
  done += n;
  const policy = randomPolicy();
  const changes = Array.from({ length: int(0, 4) }, () => ({ step: int(1, n - 1), policy: randomPolicy() })).sort((a, b) => a.step - b.step);
  const gradNorm = randomStream(n);
  const lossMode = pick(['none', 'finite', 'sometimes-nonfinite']);
  const loss = lossMode === 'none' ? null : Float64Array.from({ length: n }, () => (lossMode === 'sometimes-nonfinite' && maybe(0.01) ? pick([Number.NaN, Number.POSITIVE_INFINITY]) : r()));
  const stateAfter = int(0, n - 1);
  const controller = new Controller(parsePolicy(policy));
  const decisions: Decision[] = [];
  let state: unknown = null;
  for (let step = 0; step < n; step++) {
    for (const c of changes) if (c.step === step) controller.setPolicy(parsePolicy(c.policy));
    decisions.push(controller.decide(loss === null ? { step, gradNorm: gradNorm[step] } : { step, gradNorm: gradNorm[step], loss: loss[step] }));
    if (step === stateAfter) state = JSON.parse(JSON.stringify(controller.toState()));
  }
  // The same run resumed from the saved state: what Python, restoring the same JSON, must
  // decide. It can differ from the uninterrupted run where a norm was -0, which
  // JSON.stringify writes as 0.
  const resumed = Controller.fromState(state);
  const continued: Decision[] = [];
  for (let step = stateAfter + 1; step < n; step++) {
    for (const c of changes) if (c.step === step) resumed.setPolicy(parsePolicy(c.policy));
    continued.push(resumed.decide(loss === null ? { step, gradNorm: gradNorm[step] } : { step, gradNorm: gradNorm[step], loss: loss[step] }));
  }
  cases.push({
    policy,
    changes,
    stateAfter,
    state,
    gradNorm: b64(gradNorm),
    loss: loss === null ? null : b64(loss),
    decisions: encode(record(decisions)),
    resumed: encode(record(continued)),
  });
}
writeFileSync(args.out, JSON.stringify({ seed, steps: done, actions: ACTIONS, cases }));
