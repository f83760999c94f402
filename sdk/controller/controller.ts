// The clipping controller: one pure, deterministic function of (policy, state, step) ->
// decision, as /shared/algorithms.md specifies it (copied into the README "Controller").
// The same class runs in the SDK, the server (resume, what-if) and `gradpilot replay`.

import { EventDetector } from './detector.ts';
import { NormLog } from './norm-log.ts';
import { PercentileHistory } from './percentile-history.ts';
import { parsePolicy } from './policy.ts';
import { restoreState, statePolicy } from './state.ts';
import type { Action, ControllerState, Decision, DecisionStats, Policy, StepInput } from './types.ts';
import { ZScoreStats } from './zscore.ts';

/**
 * Turns each step's gradient norm into a threshold, a clip coefficient, an action and events.
 *
 * @example
 * const controller = new Controller(parsePolicy({ kind: 'percentile', p: 10 }));
 * const d = controller.decide({ step: 0, gradNorm: 2.5 });
 * // d.threshold, d.coef (multiply the gradients by it), d.action, d.events, d.stats
 * const saved = JSON.stringify(controller.toState());
 * const resumed = Controller.fromState(JSON.parse(saved)); // continues bit-identically
 */
export class Controller {
  #policy: Policy;
  /** Every finite norm so far, in order: a policy change keeps the whole history. */
  readonly #log: NormLog;
  readonly #detector: EventDetector;
  #percentile: PercentileHistory | null = null;
  #zscore: ZScoreStats | null = null;

  /** `state` (from `toState()`) resumes a run; a `policy` other than the state's applies from the next step. */
  constructor(policy: Policy, state?: ControllerState) {
    policy = parsePolicy(policy);
    if (state !== undefined) {
      const restored = restoreState(state);
      this.#policy = restored.policy;
      this.#log = new NormLog(restored.log);
      this.#detector = new EventDetector(restored.policy, restored.detector);
      this.#zscore = restored.zscore === null ? null : ZScoreStats.fromState(restored.zscore);
      this.#adopt(policy);
    } else {
      this.#policy = policy;
      this.#log = new NormLog();
      this.#detector = new EventDetector(policy);
      this.#adopt(policy);
    }
  }

  /** Restores a controller from `toState()` output, e.g. after `JSON.parse(JSON.stringify(...))`. Validates it. */
  static fromState(state: unknown): Controller {
    return new Controller(statePolicy(state), state as ControllerState);
  }

  /** The policy in force. */
  get policy(): Policy {
    return this.#policy;
  }

  /**
   * Switches the policy from the next step on. The history of finite norms and the spike
   * detector are kept; zscore statistics are kept zscore -> zscore and start a new warm-up
   * when switching into zscore from another kind.
   */
  setPolicy(policy: Policy): void {
    this.#adopt(parsePolicy(policy));
  }

  /** Decides one step. */
  decide(input: StepInput): Decision {
    const policy = this.#policy;
    const g = input.gradNorm;
    if (typeof g !== 'number') {
      // A string such as "NaN" from JSON must be decoded first (decodeNumber), not guessed at.
      throw new TypeError(`Expected "gradNorm" to be a number (NaN and ±Infinity allowed), got ${typeof g}`);
    }
    const events = this.#detector.observe(g, input.loss);
    const stats: DecisionStats = {
      percentile: null,
      emaMean: null,
      emaStd: null,
      zScore: null,
      historySize: 0,
      consecutiveNonFinite: this.#detector.consecutiveNonFinite,
    };
    const finite = events[0] !== 'nonfinite';
    if (finite) {
      this.#log.push(g);
      this.#percentile?.added();
    }
    let threshold: number | null = policy.maxNorm;
    // The level g is clipped at; differs from the decision's threshold only under zscore
    // without a spike, where the threshold shown is the trigger level (see zscore.ts).
    let clipAt: number | null = policy.maxNorm;
    switch (policy.kind) {
      case 'percentile': {
        const history = this.#percentile as PercentileHistory;
        stats.historySize = history.size;
        if (history.size > 0) stats.percentile = history.percentile(policy.p);
        // Warm-up counts the run's finite norms, not the window's.
        if (stats.percentile !== null && this.#log.length > policy.warmupSteps) {
          threshold = clipAt = this.#bounded(stats.percentile);
        }
        break;
      }
      case 'zscore': {
        const z = this.#zscore as ZScoreStats;
        if (finite) {
          const out = z.step(policy, g);
          stats.emaMean = out.mean;
          stats.emaStd = out.std;
          stats.zScore = out.zScore;
          if (out.spikeThreshold !== null) threshold = clipAt = this.#bounded(out.spikeThreshold);
          else if (out.trigger !== null) threshold = capped(out.trigger, policy.maxNorm);
        } else {
          const trigger = z.trigger(policy);
          if (trigger !== null) threshold = capped(trigger, policy.maxNorm);
        }
        stats.historySize = z.count;
        break;
      }
      default:
        stats.historySize = this.#log.length;
    }

    let coef = 1;
    let action: Action = 'apply';
    if (!finite) {
      // onNonFinite 'raise' returns a skip too: the SDK throws on it, after recording it.
      coef = 0;
      action = policy.onNonFinite === 'clip' ? 'clip' : 'skip';
    } else if (policy.skipOnSpike && events.includes('spike')) {
      coef = 0;
      action = 'skip';
    } else if (clipAt !== null) {
      if (policy.coefRule === 'torch') {
        // torch.nn.utils.clip_grad_norm_: clamp(max_norm / (total_norm + 1e-6), max=1.0), where
        // a float divided by a tensor is Tensor.__rdiv__, reciprocal() * max_norm.
        const c = (1 / (g + 1e-6)) * clipAt;
        if (c < 1) {
          coef = c;
          action = 'clip';
        }
      } else if (g > clipAt) {
        coef = clipAt / (g + 1e-6);
        if (coef < 1) action = 'clip';
      }
    }
    return { step: input.step, gradNorm: g, threshold, coef, action, events, stats };
  }

  /** The whole state as plain JSON-safe data. */
  toState(): ControllerState {
    return {
      version: 1,
      policy: this.#policy,
      data: {
        log: Array.from(this.#log.view()),
        detector: this.#detector.toState(),
        zscore: this.#zscore === null ? null : this.#zscore.toState(),
      },
    };
  }

  /** Adaptive threshold -> [minThreshold, maxThreshold] -> capped by maxNorm. */
  #bounded(value: number): number {
    const p = this.#policy;
    let t = value;
    if (p.minThreshold !== null && t < p.minThreshold) t = p.minThreshold;
    if (p.maxThreshold !== null && t > p.maxThreshold) t = p.maxThreshold;
    return capped(t, p.maxNorm);
  }

  #adopt(policy: Policy): void {
    const previous = this.#policy;
    this.#policy = policy;
    this.#detector.setOptions(policy);
    if (policy.kind === 'percentile') {
      const current = this.#percentile;
      if (current === null || current.window !== policy.window) this.#percentile = new PercentileHistory(this.#log, policy.window);
    } else {
      this.#percentile = null;
    }
    if (policy.kind === 'zscore') {
      if (this.#zscore === null || previous.kind !== 'zscore') this.#zscore = new ZScoreStats();
      this.#zscore.adopt(policy);
    } else {
      this.#zscore = null;
    }
  }
}

function capped(value: number, maxNorm: number | null): number {
  return maxNorm !== null && value > maxNorm ? maxNorm : value;
}
