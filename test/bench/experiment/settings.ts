// The task and training settings, and the conditions compared. Chosen before any auto-clipping
// run, from unclipped and fixed-1 runs on seeds 1-5 only: of lr 0.05/0.1 x radius 1.2/1.5 at
// T = 20, the one setting where unclipped SGD diverged on most seeds (README "Does it help?").

/** How every run of one experiment trains. */
export interface Settings {
  seqLen: number;
  hidden: number;
  batchSize: number;
  /** Plain SGD: no momentum or adaptivity to hide the raw gradient's size. */
  lr: number;
  /** Approximate spectral radius of the recurrent init (> 1: gradients can explode). */
  recurrentScale: number;
  steps: number;
  evalEvery: number;
  evalSize: number;
}

export const FULL_SETTINGS: Omit<Settings, 'steps'> = {
  seqLen: 20,
  hidden: 32,
  batchSize: 32,
  lr: 0.1,
  recurrentScale: 1.5,
  evalEvery: 50,
  evalSize: 256,
};

/** Small enough that a run takes a fraction of a second; it checks the plumbing only. */
export const QUICK_SETTINGS: Omit<Settings, 'steps'> = {
  seqLen: 6,
  hidden: 8,
  batchSize: 8,
  lr: 0.1,
  recurrentScale: 1.5,
  evalEvery: 5,
  evalSize: 32,
};

/** A policy as the SDK's init() takes it (kind plus any fields; the rest take defaults). */
export type ConditionPolicy =
  | { kind: 'off' }
  | { kind: 'fixed'; maxNorm: number }
  | { kind: 'percentile' }
  | { kind: 'zscore' };

export interface Condition {
  /** Row label and run-name suffix. */
  label: string;
  policy: ConditionPolicy;
}

/** No clipping, a grid of fixed thresholds, and the two adaptive policies with their defaults. */
export const CONDITIONS: Condition[] = [
  { label: 'none', policy: { kind: 'off' } },
  ...[0.1, 0.3, 1, 3, 10].map((t): Condition => ({ label: `fixed ${t}`, policy: { kind: 'fixed', maxNorm: t } })),
  { label: 'percentile (p=10)', policy: { kind: 'percentile' } },
  { label: 'zscore (defaults)', policy: { kind: 'zscore' } },
];
