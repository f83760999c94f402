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
}

/** How a run is judged: the definitions the report states. */
export interface Criteria {
  /** A run diverged when its final evaluation loss is not finite or above this factor times its initial one. */
  divergeFactor: number;
  /** The evaluation loss to reach ("steps to target"). */
  targetLoss: number;
}

export const DEFAULT_CRITERIA: Criteria = { divergeFactor: 10, targetLoss: 0.1 };

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
  return !Number.isFinite(last) || last > c.divergeFactor * r.evalLoss[0];
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
    });
  }
  return rows;
}
