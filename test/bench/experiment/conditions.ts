// The clipping conditions compared on both tasks. The four candidate defaults and the rules
// below were committed before any candidate was run (test/bench/experiment/study.ts applies them):
//
// Choice, on seeds 1-5 of both tasks: a candidate that diverged on no seed of either task is
// eligible (if none is, those with the fewest diverged seeds over both tasks). Each eligible
// one is scored per task by the mean over seeds of its paired score / the best fixed
// threshold's on the same seed (stats.ts pairedScore: a diverged run counts as untrained), and
// overall by the worse of its two tasks; the lowest score wins (a tie: fewer clipped steps).
//
// Adoption, on fresh seeds 6-15 of both tasks: the chosen rule becomes DEFAULT_POLICY only if
// on each task it diverged on no more seeds than the current default and it is not worse than
// it: the 95 % t interval of the per-seed difference (chosen - current) does not lie wholly above 0.

/** A policy as the SDK's init() takes it (kind plus any fields; the rest take defaults). */
export type ConditionPolicy =
  | { kind: 'off' }
  | { kind: 'fixed'; maxNorm: number }
  | { kind: 'percentile'; p?: number; window?: number }
  | { kind: 'zscore'; maxNorm?: number; warmupSteps?: number };

export type ConditionRole = 'baseline' | 'fixed' | 'adaptive' | 'candidate';

export interface Condition {
  /** Short name for `--conditions` (no spaces or commas). */
  id: string;
  /** Row label and run-name suffix. */
  label: string;
  role: ConditionRole;
  policy: ConditionPolicy;
}

/** The id of today's DEFAULT_POLICY (AutoClip: percentile p = 10, full history). */
export const CURRENT_DEFAULT_ID = 'p10';

/**
 * The zscore-with-a-cap condition caps at the one fixed threshold that each task's setting was
 * chosen with (1 on both): a cap is a hand-picked number, so this is not a zero-tuning rule.
 */
export const ZSCORE_CAP = 1;

/** Candidate defaults: at most four, fixed before any was run (zero tuning: no task-specific number). */
export const CANDIDATES: Condition[] = [
  // AutoClip at the median: clips about half the steps instead of about 90 %.
  { id: 'c-p50', label: 'cand: percentile p=50', role: 'candidate', policy: { kind: 'percentile', p: 50 } },
  // A high percentile: clips only the top tenth, like a well-chosen fixed threshold.
  { id: 'c-p90', label: 'cand: percentile p=90', role: 'candidate', policy: { kind: 'percentile', p: 90 } },
  // The median of the recent past: follows the norm's level as training moves on.
  { id: 'c-p50-w100', label: 'cand: percentile p=50 window 100', role: 'candidate', policy: { kind: 'percentile', p: 50, window: 100 } },
  // ZClip whose warm-up is too short for an explosion to hide in it.
  { id: 'c-z-w5', label: 'cand: zscore warm-up 5', role: 'candidate', policy: { kind: 'zscore', warmupSteps: 5 } },
];

/** Every condition of one task, in table order: the fixed grid spans 100x around the task's norms. */
export function conditionsFor(fixedGrid: readonly number[]): Condition[] {
  return [
    { id: 'none', label: 'none', role: 'baseline', policy: { kind: 'off' } },
    ...fixedGrid.map((t): Condition => ({ id: `fixed-${t}`, label: `fixed ${t}`, role: 'fixed', policy: { kind: 'fixed', maxNorm: t } })),
    { id: CURRENT_DEFAULT_ID, label: 'percentile p=10 (default)', role: 'adaptive', policy: { kind: 'percentile' } },
    { id: 'p10-w100', label: 'percentile p=10 window 100', role: 'adaptive', policy: { kind: 'percentile', window: 100 } },
    { id: 'zscore', label: 'zscore (defaults)', role: 'adaptive', policy: { kind: 'zscore' } },
    { id: 'zscore-cap', label: `zscore + maxNorm ${ZSCORE_CAP}`, role: 'adaptive', policy: { kind: 'zscore', maxNorm: ZSCORE_CAP } },
    ...CANDIDATES,
  ];
}

/** The conditions named by `--conditions a,b,c` (all when null); throws naming an unknown id. */
export function selectConditions(all: Condition[], ids: string[] | null): Condition[] {
  if (ids === null) return all;
  for (const id of ids) {
    if (!all.some((c) => c.id === id)) {
      throw new RangeError(`Unknown condition "${id}" in "--conditions". Expected ids among: ${all.map((c) => c.id).join(', ')}`);
    }
  }
  return all.filter((c) => ids.includes(c.id));
}
