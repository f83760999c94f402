// The global L2 gradient norm (and per-variable norms) with tf ops and a single read back.
import * as tf from '@tensorflow/tfjs';

/** Gradients as `optimizer.applyGradients` takes them: by name, or a list of { name, tensor }. */
export type Gradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

/** The result of `gradientNorms`. */
export interface GradientNorms {
  /** sqrt(sum over all tensors of sum(x²)), the norm before clipping; NaN/Infinity when the gradients are. */
  norm: number;
  /** The L2 norm of each gradient, by variable name (only when asked). */
  layers: Record<string, number> | null;
  /** The value of the `extra` scalar, read in the same sync (e.g. the loss), or null. */
  extra: number | null;
}

/** Gradients as [name, tensor] pairs, in the caller's order. */
export function entries(grads: Gradients): [string, tf.Tensor][] {
  return Array.isArray(grads) ? grads.map((g) => [g.name, g.tensor] as [string, tf.Tensor]) : Object.entries(grads);
}

/**
 * Measures gradients: each tensor's sum of squares on the backend, then one `dataSync()`
 * of those few numbers (plus `extra`, e.g. the loss, so reading it costs no second sync);
 * the sums are added and square-rooted in float64.
 * Note: a tensor whose float32 sum of squares overflows (norm above ~1.8e19) reads as Infinity.
 *
 * @example
 * const { grads } = tf.variableGrads(lossFn);
 * const { norm, layers } = gradientNorms(grads, { perLayer: true });
 */
export function gradientNorms(grads: Gradients, { perLayer = false, extra }: { perLayer?: boolean; extra?: tf.Scalar } = {}): GradientNorms {
  const list = entries(grads);
  if (list.length === 0 && !extra) return { norm: 0, layers: perLayer ? {} : null, extra: null };
  const values = tf.tidy(() => {
    const parts = list.map(([, t]) => tf.sum(tf.square(t.dtype === 'float32' ? t : tf.cast(t, 'float32'))));
    if (extra) parts.push(tf.cast(extra, 'float32'));
    return tf.stack(parts);
  });
  const sums = values.dataSync();
  values.dispose();
  let total = 0;
  for (let i = 0; i < list.length; i++) total += sums[i];
  let layers: Record<string, number> | null = null;
  if (perLayer) {
    layers = {};
    for (let i = 0; i < list.length; i++) layers[list[i][0]] = Math.sqrt(sums[i]);
  }
  return { norm: Math.sqrt(total), layers, extra: extra ? sums[list.length] : null };
}
