// Per-step cost of the percentile threshold (AutoClip, p = 10, full history) against what
// AutoClip's own code does each step: np.percentile over the whole history, i.e. a copy
// and a partition (quickselect) or a sort. Both measured in the same process, same data.

import { Controller, parsePolicy } from '../../sdk/controller/index.ts';
import { NormLog } from '../../sdk/controller/norm-log.ts';
import { PercentileHistory } from '../../sdk/controller/percentile-history.ts';

export interface Row {
  size: number;
  /** PercentileHistory: insert + exact percentile, microseconds per step. */
  oursUs: number;
  /** Controller.decide (detector, percentile, decision), microseconds per step. */
  decideUs: number;
  sortUs: number;
  selectUs: number;
}

/** Gradient-norm-like data: log-normal around 1, from a fixed seed. */
export function normSource(seed = 42): () => number {
  let a = seed >>> 0;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.exp(0.5 * Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform()));
}

function percentileOf(v: Float64Array, lo: number, hi: number, g: number): number {
  const a = v[lo];
  const b = v[hi];
  const d = b - a;
  return g >= 0.5 ? b - d * (1 - g) : a + d * g;
}

// The baselines copy into a reused buffer: the most favourable reading of "copy", no
// allocation (np.percentile itself allocates a new array every call).
let scratch = new Float64Array(0);
function copyOf(history: Float64Array): Float64Array {
  if (scratch.length !== history.length) scratch = new Float64Array(history.length);
  scratch.set(history);
  return scratch;
}

/** AutoClip's step with a sort: copy the history, sort it, interpolate. */
export function baselineSort(history: Float64Array, p: number): number {
  const v = copyOf(history).sort();
  const i = (v.length - 1) * (p / 100);
  const lo = Math.floor(i);
  return percentileOf(v, lo, Math.min(lo + 1, v.length - 1), i - lo);
}

/** AutoClip's step as np.percentile does it: copy, partition around rank lo, then min of the rest. */
export function baselineSelect(history: Float64Array, p: number): number {
  const v = copyOf(history);
  const n = v.length;
  const i = (n - 1) * (p / 100);
  const lo = Math.floor(i);
  let left = 0;
  let right = n - 1;
  while (right > left) {
    // Hoare partition around the median of three.
    const mid = (left + right) >>> 1;
    const pivot = Math.max(Math.min(v[left], v[mid]), Math.min(Math.max(v[left], v[mid]), v[right]));
    let x = left;
    let y = right;
    while (x <= y) {
      while (v[x] < pivot) x++;
      while (v[y] > pivot) y--;
      if (x <= y) {
        const t = v[x];
        v[x++] = v[y];
        v[y--] = t;
      }
    }
    if (lo <= y) right = y;
    else if (lo >= x) left = x;
    else break;
  }
  let next = v[lo];
  if (lo + 1 < n) {
    next = Infinity;
    for (let j = lo + 1; j < n; j++) if (v[j] < next) next = v[j];
  }
  return percentileOf(Float64Array.of(v[lo], next), 0, 1, i - lo);
}

// The machine is shared: time several chunks and keep the fastest, so that a chunk in
// which the process was descheduled does not count (the same rule for both sides).
function timeUs(steps: number, fn: (i: number) => void, chunks = 40): number {
  const per = Math.max(1, Math.floor(steps / chunks));
  let best = Infinity;
  let i = 0;
  for (let c = 0; c < chunks; c++) {
    const t0 = process.hrtime.bigint();
    for (let k = 0; k < per; k++) fn(i++);
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / 1000 / per);
  }
  return best;
}

/** A full-history percentile structure already holding `size` norms, and the source of the next ones. */
export function filledHistory(size: number): { next: () => number; log: NormLog; history: PercentileHistory } {
  const next = normSource(size);
  const log = new NormLog();
  const history = new PercentileHistory(log, null);
  for (let i = 0; i < size; i++) {
    log.push(next());
    history.added();
  }
  return { next, log, history };
}

/** Measures one history size. */
export function measure(size: number, { steps = 20_000 } = {}): Row {
  // Ours: the percentile structure alone, and the whole controller.
  const { next, log, history } = filledHistory(size);
  let sink = 0;
  const oursUs = timeUs(steps, () => {
    log.push(next());
    history.added();
    sink += history.percentile(10);
  });
  const controller = Controller.fromState({
    version: 1,
    policy: parsePolicy({ kind: 'percentile', p: 10 }),
    data: { log: Array.from(log.view()), detector: detectorStateFor(log), zscore: null },
  });
  const decideUs = timeUs(steps, (i) => {
    sink += controller.decide({ step: size + i, gradNorm: next() }).coef;
  });
  // Baselines: a few steps each (one at 1e7 takes about a second).
  const base = Float64Array.from(log.view());
  const baseSteps = Math.max(3, Math.min(20, Math.round(2e6 / size)));
  const sortUs = timeUs(baseSteps, () => {
    sink += baselineSort(base, 10);
  }, baseSteps);
  const selectUs = timeUs(baseSteps * 2, () => {
    sink += baselineSelect(base, 10);
  }, baseSteps * 2);
  if (Number.isNaN(sink)) throw new Error('unreachable: keeps the work observable');
  return { size, oursUs, decideUs, sortUs, selectUs };
}

// A detector state consistent with a log (the bench starts the controller mid-run).
function detectorStateFor(log: NormLog): unknown {
  const n = log.length;
  const recent = Array.from(log.view(Math.max(0, n - 101), n));
  return { count: n, mean: 1, var: 0.25, recent, spikes: [], consecutiveNonFinite: 0 };
}

function fmt(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(1)} ms` : `${us.toFixed(3)} us`;
}

export function formatTable(rows: Row[]): string {
  const lines = [
    '| history | gradpilot percentile step | Controller.decide | AutoClip baseline: copy + quickselect | copy + sort | speed-up vs quickselect | vs sort |',
    '|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.size.toExponential(0).replace('+', '')} | ${fmt(r.oursUs)} | ${fmt(r.decideUs)} | ${fmt(r.selectUs)} | ${fmt(r.sortUs)} | ${Math.round(r.selectUs / r.oursUs).toLocaleString('en-US')}x | ${Math.round(r.sortUs / r.oursUs).toLocaleString('en-US')}x |`,
    );
  }
  return lines.join('\n');
}

/** Runs every size (after a JIT warm-up run) and returns the markdown table. */
export function runTable(sizes: number[]): string {
  measure(2e4, { steps: 20_000 });
  return formatTable(sizes.map((s) => measure(s)));
}
