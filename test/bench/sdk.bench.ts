// The SDK's own work per training step (run.observe: the controller's decision plus
// recording the step, including the amortised batch seal and socket emit) as a share of a
// small TensorFlow.js training step (the adding-problem RNN, wasm backend), both measured in
// this run against a real server. Target: <= 1 %. Prints a table; `npm run bench`.
import * as tf from '@tensorflow/tfjs';
import { rmSync } from 'node:fs';
import { afterAll, bench, describe } from 'vitest';
import { computeGradients, createAddingProblem, createRnn, useWasmBackend } from '../../server/demo/adding-problem.ts';
import { init, type Run } from '../../sdk/index.ts';
import { gradientNorms } from '../../sdk/tfjs/index.ts';
import { withServer } from '../support/server.ts';
import { tempDir } from '../sdk/helpers.ts';

const TF_STEPS = 40;
const OBSERVE_STEPS = 200_000;

await useWasmBackend();
const server = await withServer();
const spillDir = tempDir();
const task = createAddingProblem({ seqLen: 20, batchSize: 32, seed: 1 });
const model = createRnn({ hidden: 32, seed: 1, prefix: 'bench/' });
const optimizer = tf.train.sgd(0.05);

function trainStep(): { loss: number; grads: tf.NamedTensorMap } {
  const batch = task.nextBatch();
  const r = computeGradients(model, batch);
  tf.dispose(batch);
  return r;
}

function tfStep(): void {
  const { grads } = trainStep();
  optimizer.applyGradients(grads);
  tf.dispose(grads);
}

const yieldNow = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Mean ms of a tf training step (after warm-up). */
async function measureTfStep(): Promise<number> {
  for (let i = 0; i < 5; i++) tfStep();
  const t0 = performance.now();
  for (let i = 0; i < TF_STEPS; i++) {
    tfStep();
    await yieldNow();
  }
  return (performance.now() - t0) / TF_STEPS;
}

/** Mean ms of gradientNorms (the adapter's norm: tf ops + one dataSync) on the RNN's gradients. */
async function measureNorm(): Promise<number> {
  const { grads } = trainStep();
  for (let i = 0; i < 5; i++) gradientNorms(grads);
  const n = 200;
  const t0 = performance.now();
  for (let i = 0; i < n; i++) gradientNorms(grads);
  const ms = (performance.now() - t0) / n;
  tf.dispose(grads);
  return ms;
}

/**
 * Mean ms of run.observe over many steps, timed in blocks of one batch between yields (as a
 * training loop yields), so socket acks are processed and only the SDK's own work is timed.
 */
async function measureObserve(run: Run, steps: number): Promise<number> {
  const norms = new Float64Array(4096);
  for (let i = 0; i < norms.length; i++) norms[i] = Math.exp(Math.sin(i) * 0.7) * (i % 997 === 3 ? 30 : 1);
  let timed = 0;
  const block = 256;
  for (let s = 0; s < steps; s += block) {
    const end = Math.min(s + block, steps);
    const t0 = performance.now();
    for (let k = s; k < end; k++) run.observe(k, { gradNorm: norms[k & 4095], loss: 0.1, lr: 0.05 });
    timed += performance.now() - t0;
    await yieldNow();
  }
  return timed / steps;
}

const run = await init({ url: server.url, name: 'sdk-bench', spillDir });
while (!run.status().ready) await new Promise((r) => setTimeout(r, 10));

const tfMs = await measureTfStep();
const normMs = await measureNorm();
const observeMs = await measureObserve(run, OBSERVE_STEPS);
const delivered = await run.flush({ timeoutMs: 60_000 });
const status = run.status();
const fmt = (ms: number): string => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(2)} µs`);
const pct = (ms: number): string => `${((ms / tfMs) * 100).toFixed(3)} %`;
const table = [
  '',
  `SDK overhead per training step (adding-problem RNN T=20 h=32 batch=32, tfjs ${tf.version.tfjs} ${tf.getBackend()}; ${OBSERVE_STEPS} observed steps, policy percentile p=10 full history)`,
  '| what | per step | share of the tf step |',
  '|---|---|---|',
  `| tf training step (forward, backward, SGD update) | ${fmt(tfMs)} | 100 % |`,
  `| run.observe (decision + record + amortised batch send) | ${fmt(observeMs)} | ${pct(observeMs)} |`,
  `| gradientNorms (adapter: tf ops + one dataSync) | ${fmt(normMs)} | ${pct(normMs)} |`,
  `delivered all: ${delivered} (${status.delivered} steps acknowledged, ${status.undelivered} undelivered)`,
  '',
].join('\n');
process.stdout.write(table + '\n');

describe('sdk per-step cost', () => {
  let step = OBSERVE_STEPS;
  bench('tf training step (adding-problem RNN)', () => {
    tfStep();
  }, { time: 1000, warmupIterations: 2 });
  bench('run.observe', () => {
    run.observe(step++, { gradNorm: 1 + (step % 7), loss: 0.1 });
  }, { time: 500 });
});

afterAll(async () => {
  await run.close({ timeoutMs: 10_000 });
  model.dispose();
  task.dispose();
  await server.close();
  rmSync(spillDir, { recursive: true, force: true });
});
