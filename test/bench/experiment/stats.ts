// Per-run results and their summary per condition. Pure: no I/O, no tensors.

/** What one training run produced (one condition, one seed). */
export interface RunResult {
  condition: string;
  seed: number;
  /** The gradpilot run id the steps were streamed to. */
  runId: string;
  steps: number;
  /** Training loss of every step (may hold NaN / Infinity). */
  trainLoss: number[];
  /** Global gradient norm of every step, before clipping. */
  gradNorm: number[];
  /** Steps at which the fixed evaluation set was scored (0 = before training). */
  evalSteps: number[];
  evalLoss: number[];
  /** Steps the controller clipped / skipped. */
  clipped: number;
  skipped: number;
  /** Steps whose gradient norm or loss was NaN or ±Infinity. */
  nonFinite: number;
  seconds: number;
}

/** What a summary row says about one condition over all its seeds. */
export interface ConditionSummary {
  condition: string;
  seeds: number;
  diverged: number;
  /** Final evaluation loss over the seeds that did not diverge (null when all diverged). */
  finalMean: number | null;
  finalSd: number | null;
  /** Final evaluation loss, median over all seeds (diverged ones included). */
  finalMedian: number;
  /** Seeds whose evaluation loss went below the target at some evaluation. */
  reached: number;
  /** Median over those seeds of the first step at which it did (null when none did). */
  stepsToTargetMedian: number | null;
  clippedFraction: number;
  skippedFraction: number;
  /** Seeds that saw at least one non-finite step. */
  seedsWithNonFinite: number;
  /** Loss spikes (see countSpikes) summed over the seeds, and the seeds with at least one. */
  spikes: number;
  seedsWithSpikes: number;
}

/** How a run is judged: the definitions the report states. */
export interface Criteria {
  /** A run diverged when its final evaluation loss is not finite or above this factor times its initial one, */
  divergeFactor: number;
  /** ... or above this loss (null: no such bound). */
  divergeLoss: number | null;
  /** The evaluation loss to reach ("steps to target"). */
  targetLoss: number;
  /** A loss spike: a training loss above spikeFactor x the median of the previous spikeWindow steps' (or non-finite). */
  spikeFactor: number;
  spikeWindow: number;
}

export const DEFAULT_CRITERIA: Criteria = { divergeFactor: 10, divergeLoss: null, targetLoss: 0.1, spikeFactor: 2, spikeWindow: 50 };

export function mean(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/** Sample standard deviation (n - 1); 0 for a single value. */
export function sd(xs: number[]): number {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  let s = 0;
  for (const x of xs) s += (x - m) * (x - m);
  return Math.sqrt(s / (xs.length - 1));
}

/** Median; NaN sorts last, so a majority of finite values gives a finite median. */
export function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => (Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : a - b));
  const n = v.length;
  if (n === 0) return Number.NaN;
  return n % 2 === 1 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

export function finalEval(r: RunResult): number {
  return r.evalLoss[r.evalLoss.length - 1];
}

export function isDiverged(r: RunResult, c: Criteria = DEFAULT_CRITERIA): boolean {
  const last = finalEval(r);
  return !Number.isFinite(last) || last > c.divergeFactor * r.evalLoss[0] || (c.divergeLoss !== null && last > c.divergeLoss);
}

/**
 * Loss spikes of one run: maximal stretches of consecutive steps whose training loss is
 * non-finite or above `spikeFactor` x the median of the previous `spikeWindow` finite losses
 * (counted from the tenth step on, so that the median means something). A stretch counts once:
 * a blow-up that never recovers is one spike, not hundreds.
 */
export function countSpikes(trainLoss: number[], c: Criteria = DEFAULT_CRITERIA): number {
  let spikes = 0;
  let inSpike = false;
  const recent: number[] = [];
  for (const loss of trainLoss) {
    const finite = Number.isFinite(loss);
    const spike = !finite || (recent.length >= 10 && loss > c.spikeFactor * median(recent));
    if (spike && !inSpike) spikes++;
    inSpike = spike;
    if (finite) {
      recent.push(loss);
      if (recent.length > c.spikeWindow) recent.shift();
    }
  }
  return spikes;
}

/**
 * The final evaluation loss used for paired comparisons: a run that diverged, or ended worse
 * than it started, counts as its loss before training (it learned nothing we can use), so one
 * blow-up to 1e20 does not swamp a mean.
 */
export function pairedScore(r: RunResult): number {
  const first = r.evalLoss[0];
  const last = finalEval(r);
  return Number.isFinite(last) ? Math.min(last, first) : first;
}

// Two-sided 95 % quantiles of Student's t for 1..30 degrees of freedom (then the normal's).
const T975 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101,
  2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function tQuantile975(df: number): number {
  return df >= 1 && df <= T975.length ? T975[df - 1] : 1.96;
}

/** Mean of the per-seed differences a - b with a 95 % t interval (null bounds for one seed). */
export interface PairedDifference {
  n: number;
  mean: number;
  lo: number | null;
  hi: number | null;
  /** Mean of the per-seed ratios a / b. */
  ratio: number;
}

/** Pairs runs of two conditions by seed (seeds missing from either side are left out). */
export function pairedDifference(a: RunResult[], b: RunResult[]): PairedDifference | null {
  const d: number[] = [];
  const ratio: number[] = [];
  for (const ra of a) {
    const rb = b.find((r) => r.seed === ra.seed);
    if (!rb) continue;
    d.push(pairedScore(ra) - pairedScore(rb));
    ratio.push(pairedScore(ra) / pairedScore(rb));
  }
  if (d.length === 0) return null;
  const m = mean(d);
  const half = d.length > 1 ? (tQuantile975(d.length - 1) * sd(d)) / Math.sqrt(d.length) : null;
  return { n: d.length, mean: m, lo: half === null ? null : m - half, hi: half === null ? null : m + half, ratio: mean(ratio) };
}

/** The fixed-threshold condition with the lowest mean paired score: the threshold picked with hindsight. */
export function bestFixed(results: RunResult[], fixedLabels: string[]): string | null {
  let best: string | null = null;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const label of fixedLabels) {
    const runs = results.filter((r) => r.condition === label);
    if (runs.length === 0) continue;
    const score = mean(runs.map(pairedScore));
    if (score < bestScore) {
      bestScore = score;
      best = label;
    }
  }
  return best;
}

/** The first evaluation step whose loss is below the target, or null. */
export function stepsToTarget(r: RunResult, c: Criteria = DEFAULT_CRITERIA): number | null {
  for (let i = 0; i < r.evalLoss.length; i++) if (r.evalLoss[i] < c.targetLoss) return r.evalSteps[i];
  return null;
}

/** One summary row per condition, in the order the conditions first appear. */
export function summarize(results: RunResult[], c: Criteria = DEFAULT_CRITERIA): ConditionSummary[] {
  const groups = new Map<string, RunResult[]>();
  for (const r of results) {
    const g = groups.get(r.condition);
    if (g) g.push(r);
    else groups.set(r.condition, [r]);
  }
  const rows: ConditionSummary[] = [];
  for (const [condition, runs] of groups) {
    const ok = runs.filter((r) => !isDiverged(r, c));
    const finals = ok.map(finalEval);
    const hit = runs.map((r) => stepsToTarget(r, c)).filter((s): s is number => s !== null);
    const steps = runs.reduce((a, r) => a + r.steps, 0);
    rows.push({
      condition,
      seeds: runs.length,
      diverged: runs.length - ok.length,
      finalMean: finals.length ? mean(finals) : null,
      finalSd: finals.length ? sd(finals) : null,
      finalMedian: median(runs.map(finalEval)),
      reached: hit.length,
      stepsToTargetMedian: hit.length ? median(hit) : null,
      clippedFraction: steps ? runs.reduce((a, r) => a + r.clipped, 0) / steps : 0,
      skippedFraction: steps ? runs.reduce((a, r) => a + r.skipped, 0) / steps : 0,
      seedsWithNonFinite: runs.filter((r) => r.nonFinite > 0).length,
      spikes: runs.reduce((a, r) => a + countSpikes(r.trainLoss, c), 0),
      seedsWithSpikes: runs.filter((r) => countSpikes(r.trainLoss, c) > 0).length,
    });
  }
  return rows;
}
