// The controller's public types. The controller is one pure function of
// (policy, state, step input) -> (decision, new state); see ../../../shared/algorithms.md
// (copied into the README's "Controller" section).

export type NonFiniteAction = 'skip' | 'clip' | 'raise';
export type Action = 'apply' | 'clip' | 'skip';
export type EventKind = 'nonfinite' | 'spike' | 'explosion';
export type PolicyKind = 'percentile' | 'zscore' | 'fixed' | 'off';
/** How the clip coefficient is computed from the level g is clipped at; see `CommonPolicyOptions.coefRule`. */
export type CoefRule = 'gradpilot' | 'torch';

/** Options every policy may set. All are filled with their defaults by `parsePolicy`. */
export interface CommonPolicyOptions {
  /** Hard cap: the threshold is min(threshold, maxNorm). null: no cap. */
  maxNorm: number | null;
  /** Lower bound on the adaptive threshold. */
  minThreshold: number | null;
  /** Upper bound on the adaptive threshold. */
  maxThreshold: number | null;
  /** What a NaN/±Inf norm (or loss) does: skip the step (default), scale by 0, or throw in the SDK. */
  onNonFinite: NonFiniteAction;
  /** When true, a step flagged as a spike is skipped. Default false. */
  skipOnSpike: boolean;
  /** Spike: g > mean + spikeZ * std of the EMA of recent finite norms. Default 6. */
  spikeZ: number;
  /** Explosion: g > explosionFactor * median of recent finite norms. Default 10. */
  explosionFactor: number;
  /**
   * 'gradpilot' (default): coef = threshold / (g + 1e-6) when g > threshold, else exactly 1.
   * 'torch': coef = min(1, threshold / (g + 1e-6)) on every step, computed as torch's
   * clip_grad_norm_ computes it (`(1 / (g + 1e-6)) * threshold`: torch divides a float by a
   * tensor as reciprocal() * float), so it also scales steps with g in (threshold - 1e-6,
   * threshold]. Torch does this in the gradients' dtype, the controller in float64: the
   * coefficients are torch's exactly for float64 gradients, and torch's float32 ones differ
   * in the float32 rounding.
   * Optional in the type only so that policy literals written before it existed still
   * type-check; `parsePolicy` always fills it in.
   */
  coefRule?: CoefRule;
}

export interface PercentilePolicy extends CommonPolicyOptions {
  kind: 'percentile';
  /** Percentile in [0, 100]. Default 10 (AutoClip). */
  p: number;
  /** null: the full history (the paper); W: the last W finite norms. */
  window: number | null;
  warmupSteps: number;
}

export interface ZScorePolicy extends CommonPolicyOptions {
  kind: 'zscore';
  alpha: number;
  z: number;
  warmupSteps: number;
  clipOption: 'adaptive_scaling' | 'mean';
  clipFactor: number;
  updateStatsOnSpike: boolean;
}

export interface FixedPolicy extends CommonPolicyOptions {
  kind: 'fixed';
}

export interface OffPolicy extends CommonPolicyOptions {
  kind: 'off';
}

/** A validated policy with every default filled in. */
export type Policy = PercentilePolicy | ZScorePolicy | FixedPolicy | OffPolicy;

/** What the controller is told about one step. */
export interface StepInput {
  step: number;
  /** Global L2 norm of all gradients, before clipping. May be NaN or ±Infinity. */
  gradNorm: number;
  /** Optional: a non-finite loss raises a `nonfinite` event too. */
  loss?: number | null;
}

/** The statistics a dashboard shows beside each decision. */
export interface DecisionStats {
  /** percentile policy: the raw percentile of the history before bounds. */
  percentile: number | null;
  /** zscore policy: EMA mean and std used for this step (before the update). */
  emaMean: number | null;
  emaStd: number | null;
  zScore: number | null;
  /** Finite norms the policy's statistic is computed over. */
  historySize: number;
  /** Non-finite steps in a row, this one included. */
  consecutiveNonFinite: number;
}

export interface Decision {
  step: number;
  gradNorm: number;
  /** The clip threshold in force at this step; null where the policy sets none. */
  threshold: number | null;
  /**
   * threshold / (g + 1e-6) when g > threshold, else exactly 1 (coefRule 'torch': min(1, threshold / (g + 1e-6)));
   * 0 for a non-finite norm with onNonFinite 'clip'.
   */
  coef: number;
  action: Action;
  events: EventKind[];
  stats: DecisionStats;
}

/**
 * The controller's whole state as plain JSON-safe data (non-finite numbers encoded as
 * wire numbers). `JSON.parse(JSON.stringify(state))` restores a controller that continues
 * bit-identically.
 */
export interface ControllerState {
  version: 1;
  policy: Policy;
  /** Opaque to callers: the controller's own fields. */
  data: Record<string, unknown>;
}
