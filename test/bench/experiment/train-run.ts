// One training run of the experiment: a seeded task and model, plain SGD, and a clipping
// step supplied by the caller (the SDK in the experiment), recorded step by step.
import * as tf from '@tensorflow/tfjs';
import { computeGradients, createAddingProblem, createRnn, evaluate } from '../../../server/demo/adding-problem.ts';
import type { RunResult } from './stats.ts';
import type { Settings } from './settings.ts';

/** What the clipping step decided; `grads` is what to apply (null: skip the update). */
export interface ClipOutcome {
  grads: Record<string, tf.Tensor> | null;
  gradNorm: number;
  action: 'apply' | 'clip' | 'skip';
}

/**
 * Measures and clips one step's gradients. Takes ownership of `grads`: whatever it does not
 * return it must dispose.
 */
export type ClipStep = (step: number, grads: Record<string, tf.Tensor>, metrics: { loss: number; lr: number }) => ClipOutcome;

export interface TrainRunOptions {
  settings: Settings;
  seed: number;
  condition: string;
  runId: string;
  clip: ClipStep;
}

/** Lets timers and sockets run: the training loop is otherwise synchronous. */
function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Trains one model; the same seed gives the same data and initial weights under every condition. */
export async function trainRun({ settings, seed, condition, runId, clip }: TrainRunOptions): Promise<RunResult> {
  const task = createAddingProblem({ seqLen: settings.seqLen, batchSize: settings.batchSize, seed, evalSize: settings.evalSize });
  const model = createRnn({ hidden: settings.hidden, seed, recurrentScale: settings.recurrentScale });
  const optimizer = tf.train.sgd(settings.lr);
  const result: RunResult = {
    condition,
    seed,
    runId,
    steps: settings.steps,
    trainLoss: [],
    gradNorm: [],
    evalSteps: [0],
    evalLoss: [evaluate(model, task.evalSet)],
    clipped: 0,
    skipped: 0,
    nonFinite: 0,
    seconds: 0,
  };
  const t0 = performance.now();
  try {
    for (let step = 0; step < settings.steps; step++) {
      const batch = task.nextBatch();
      const { loss, grads } = computeGradients(model, batch);
      tf.dispose(batch);
      const out = clip(step, grads, { loss, lr: settings.lr });
      if (out.grads) {
        optimizer.applyGradients(out.grads);
        tf.dispose(out.grads);
      }
      result.trainLoss.push(loss);
      result.gradNorm.push(out.gradNorm);
      if (out.action === 'clip') result.clipped++;
      else if (out.action === 'skip') result.skipped++;
      if (!Number.isFinite(loss) || !Number.isFinite(out.gradNorm)) result.nonFinite++;
      if ((step + 1) % settings.evalEvery === 0 || step + 1 === settings.steps) {
        result.evalSteps.push(step + 1);
        result.evalLoss.push(evaluate(model, task.evalSet));
      }
      // The server may share this event loop (the experiment's own): on a loaded machine 50
      // steps took over 3 s, long enough for the SDK to report the server unreachable.
      if ((step + 1) % 10 === 0) await breathe();
    }
  } finally {
    result.seconds = (performance.now() - t0) / 1000;
    model.dispose();
    task.dispose();
    optimizer.dispose();
  }
  return result;
}
