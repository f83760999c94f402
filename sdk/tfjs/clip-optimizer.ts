// Wraps a tf optimizer so that every applyGradients (and so every minimize) goes through the run.
import * as tf from '@tensorflow/tfjs';
import type { Run } from '../client/run.ts';
import type { Decision } from '../controller/types.ts';
import { scaleGradients } from './clip-gradients.ts';
import { gradientNorms, type Gradients } from './gradient-norms.ts';

export interface ClipOptimizerOptions {
  /** Record per-variable norms. Default false. */
  perLayer?: boolean;
  /** The first step number. Default: the step after the run's last observed step, or 0. */
  startStep?: number;
}

/** Per-call extras of a clipped optimizer's applyGradients. */
export interface ApplyInfo {
  step?: number;
  loss?: number | null;
  lr?: number | null;
}

/** A tf optimizer whose updates are measured, decided by the run, clipped or skipped. */
export type ClippedOptimizer<O extends tf.Optimizer> = O & {
  applyGradients(grads: Gradients, info?: ApplyInfo): void;
  /** The decision of the last step (null before the first). */
  readonly lastDecision: Decision | null;
  /** The step number the next update gets. */
  nextStep: number;
};

function learningRateOf(optimizer: tf.Optimizer): number | null {
  const lr = (optimizer as unknown as { learningRate?: unknown }).learningRate;
  return typeof lr === 'number' ? lr : null;
}

/**
 * Makes embedding one line: the returned optimizer (the same object, patched) measures the
 * global gradient norm in `applyGradients`, asks the run, scales by `coef`, and does not
 * update at all on `skip`. `minimize(f)` records the loss too, read in the same sync as the norm.
 *
 * @example
 * const run = await init({ url: 'http://127.0.0.1:7070', name: 'mnist' });
 * const optimizer = clipOptimizer(run, tf.train.adam(1e-3));
 * for (let i = 0; i < 1000; i++) optimizer.minimize(() => model.loss(nextBatch()));
 * await run.close();
 */
export function clipOptimizer<O extends tf.Optimizer>(run: Run, optimizer: O, { perLayer = false, startStep }: ClipOptimizerOptions = {}): ClippedOptimizer<O> {
  const original = optimizer.applyGradients.bind(optimizer);
  const clipped = optimizer as ClippedOptimizer<O>;
  let lastDecision: Decision | null = null;
  let pendingLoss: tf.Scalar | null = null;
  clipped.nextStep = startStep ?? (run.status().lastStep ?? -1) + 1;
  Object.defineProperty(clipped, 'lastDecision', { get: () => lastDecision, configurable: true });

  clipped.applyGradients = function applyGradients(grads: Gradients, info: ApplyInfo = {}): void {
    const step = info.step ?? clipped.nextStep;
    const { norm, layers, extra } = gradientNorms(grads, { perLayer, extra: pendingLoss ?? undefined });
    const loss = info.loss !== undefined ? info.loss : extra;
    const decision = run.observe(step, { gradNorm: norm, loss, lr: info.lr ?? learningRateOf(optimizer), layers });
    lastDecision = decision;
    clipped.nextStep = step + 1;
    if (decision.action === 'skip') return;
    if (decision.coef === 1) {
      original(grads);
      return;
    }
    const scaled = scaleGradients(grads, decision.coef);
    try {
      original(scaled);
    } finally {
      tf.dispose(scaled);
    }
  };

  const minimize = optimizer.minimize.bind(optimizer);
  clipped.minimize = function clippedMinimize(f: () => tf.Scalar, returnCost = false, varList?: tf.Variable[]): tf.Scalar | null {
    // tf's minimize computes the cost, then calls this.applyGradients: keep the cost tensor
    // alive so applyGradients reads it together with the norm.
    let cost: tf.Scalar | null;
    try {
      cost = minimize(() => {
        const value = f();
        pendingLoss = value;
        return value;
      }, true, varList);
    } finally {
      pendingLoss = null;
    }
    if (returnCost) return cost;
    cost?.dispose();
    return null;
  };
  return clipped;
}
