// The README's rollback example ("On an explosion: back to the last good weights, half the
// learning rate"), the same loop, in real TensorFlow.js (wasm) against a real server.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../sdk/index.ts';
import type { RunEvent } from '../../sdk/protocol/api-types.ts';
import { clipGradients } from '../../sdk/tfjs/index.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { getJson } from './helpers.ts';

let server: TestServer;
beforeAll(async () => {
  await tf.setBackend('wasm');
  server = await withServer();
});
afterAll(() => server.close());

interface Outcome {
  runId: string;
  rollbacks: { step: number; to: number; peakLr: number; restored: boolean }[];
  finalLoss: number;
}

/** The README loop; `rollback: false` leaves out the handler (the control run). */
async function train({ rollback }: { rollback: boolean }): Promise<Outcome> {
  const run = await init({ url: server.url, name: 'rollback', policy: { kind: 'fixed', maxNorm: 10 }, spillDir: null, flushIntervalMs: 50 });

  // Linear regression whose learning-rate warm-up peaks too high.
  const x = tf.randomNormal([256, 3], 0, 1, 'float32', 1).mul(tf.tensor1d([1, 0.3, 0.1]));
  const y = tf.matMul(x, tf.tensor2d([[1], [-2], [3]])).add(tf.randomNormal([256, 1], 0, 0.5, 'float32', 2));
  const w = tf.variable(tf.zeros([3, 1]));
  const optimizer = tf.train.sgd(0.01);
  let peakLr = 1.5;
  let good = { step: -1, weights: w.clone() }; // the last good checkpoint, in memory
  let eventsSinceCheckpoint = 0;
  let rolledBack = false;
  const rollbacks: Outcome['rollbacks'] = [];

  if (rollback) {
    run.on('event', ({ kind, step }) => {
      eventsSinceCheckpoint++;
      if (kind !== 'explosion') return;
      w.assign(good.weights); // inside observe(): before this step's gradients are applied
      peakLr /= 2;
      rolledBack = true;
      const restored = tf.equal(w, good.weights).all().dataSync()[0] === 1;
      rollbacks.push({ step, to: good.step, peakLr, restored });
    });
  }

  for (let step = 0; step < 300; step++) {
    optimizer.setLearningRate(Math.min(peakLr, 0.01 * (step + 1)));
    const { value, grads } = tf.variableGrads(() => tf.losses.meanSquaredError(y, tf.matMul(x, w)) as tf.Scalar);
    const { grads: toApply } = clipGradients(run, step, grads, { loss: value.dataSync()[0] });
    if (toApply && !rolledBack) optimizer.applyGradients(toApply);
    tf.dispose([value, grads, toApply ?? {}]);
    rolledBack = false;
    if (step % 10 === 9) {
      if (eventsSinceCheckpoint === 0) {
        good.weights.dispose();
        good = { step, weights: w.clone() };
      }
      eventsSinceCheckpoint = 0;
    }
    await tf.nextFrame();
  }
  const finalLoss = tf.tidy(() => tf.losses.meanSquaredError(y, tf.matMul(x, w)).dataSync()[0]);
  expect(await run.close()).toMatchObject({ delivered: 300, undelivered: 0 });
  tf.dispose([x, y, w, good.weights]);
  optimizer.dispose();
  return { runId: run.id, rollbacks, finalLoss };
}

describe('rollback on an explosion (README example)', () => {
  it('should restore the last good weights and halve the learning rate in the exploding step, and then converge', async () => {
    const control = await train({ rollback: false });
    const rolled = await train({ rollback: true });

    expect(rolled.rollbacks.length).toBeGreaterThanOrEqual(1);
    const first = rolled.rollbacks[0];
    expect(first).toMatchObject({ peakLr: 0.75, restored: true });
    expect(first.to).toBeLessThan(first.step);
    // The server's own detector saw the same explosion in the stored norms.
    const events = await getJson<RunEvent[]>(`${server.url}/api/runs/${rolled.runId}/events`);
    expect(events.some((e) => e.kind === 'explosion' && e.step === first.step)).toBe(true);
    // The noise floor of this regression is ~0.24; the control run stays far above it.
    expect(rolled.finalLoss).toBeLessThan(0.3);
    expect(control.finalLoss).toBeGreaterThan(10 * rolled.finalLoss);
  });
});
