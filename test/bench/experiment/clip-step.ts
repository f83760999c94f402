// The glue between a training step's tensors and the SDK: the SDK's TensorFlow.js adapter
// measures the global norm, the run decides (and streams the step), the adapter clips.
import * as tf from '@tensorflow/tfjs';
import type { Run } from '@gradpilot/sdk';
import { clipGradients } from '@gradpilot/sdk/tfjs';
import type { ClipStep } from './train-run.ts';

/** A ClipStep that lets the SDK run decide: skip drops the update, clip scales by the decision's coef. */
export function clipStepWith(run: Run): ClipStep {
  return function clipStep(step, grads, { loss, lr }) {
    const { decision, grads: toApply } = clipGradients(run, step, grads, { loss, lr });
    // The adapter hands back the same tensors when it does not scale; otherwise the originals are ours to free.
    const same = toApply !== null && Object.keys(grads).every((k) => toApply[k] === grads[k]);
    if (!same) tf.dispose(grads);
    return { grads: toApply, gradNorm: decision.gradNorm, action: decision.action };
  };
}
