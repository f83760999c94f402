// One training step's measure -> decide -> clip, for loops that call applyGradients themselves.
import * as tf from '@tensorflow/tfjs';
import type { Run } from '../client/run.ts';
import type { Decision } from '../controller/types.ts';
import { entries, gradientNorms, type Gradients } from './gradient-norms.ts';

export interface ClipStepOptions {
  /** The step's loss (recorded; a non-finite loss raises a `nonfinite` event). */
  loss?: number | null;
  lr?: number | null;
  /** Record per-variable norms too. Default false. */
  perLayer?: boolean;
}

export interface ClipResult {
  decision: Decision;
  /**
   * What to apply: the same tensors when coef is 1, scaled copies (yours to dispose) when
   * clipped, null when the step is to be skipped.
   */
  grads: tf.NamedTensorMap | null;
}

/**
 * Multiplies every gradient by `coef` (new tensors, yours to dispose); coef 0 gives zeros even
 * where a gradient is NaN, so a scaled-away NaN step cannot poison the weights.
 *
 * @example
 * const scaled = scaleGradients(grads, decision.coef);
 * optimizer.applyGradients(scaled);
 * tf.dispose(scaled);
 */
export function scaleGradients(grads: Gradients, coef: number): tf.NamedTensorMap {
  const out: tf.NamedTensorMap = {};
  for (const [name, t] of entries(grads)) out[name] = coef === 0 ? tf.zerosLike(t) : tf.tidy(() => tf.mul(t, coef));
  return out;
}

/**
 * Measures the gradients' global norm, lets the run decide, and returns the gradients to
 * apply. Never waits on the network. Throws `NonFiniteGradientError` under `onNonFinite: 'raise'`.
 *
 * @example
 * const { value, grads } = tf.variableGrads(() => model.loss(batch));
 * const { grads: toApply } = clipGradients(run, step, grads, { loss: value.dataSync()[0] });
 * if (toApply) optimizer.applyGradients(toApply);
 * tf.dispose([value, grads, toApply ?? {}]);
 */
export function clipGradients(run: Run, step: number, grads: Gradients, { loss, lr, perLayer = false }: ClipStepOptions = {}): ClipResult {
  const { norm, layers } = gradientNorms(grads, { perLayer });
  const decision = run.observe(step, { gradNorm: norm, loss, lr, layers });
  if (decision.action === 'skip') return { decision, grads: null };
  if (decision.coef === 1) {
    const same: tf.NamedTensorMap = {};
    for (const [name, t] of entries(grads)) same[name] = t;
    return { decision, grads: same };
  }
  return { decision, grads: scaleGradients(grads, decision.coef) };
}
