// The TensorFlow.js adapter on the wasm backend, with a real server behind the run.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { rmSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { init, NonFiniteGradientError, type InitOptions, type Run } from '../../sdk/index.ts';
import { clipGradients, clipOptimizer, gradientNorms } from '../../sdk/tfjs/index.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { storedSteps, tempDir } from './helpers.ts';

let server: TestServer;
let spillDir: string;
const runs: Run[] = [];

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
  server = await withServer();
  spillDir = tempDir();
});
afterEach(async () => {
  for (const r of runs.splice(0)) await r.close({ timeoutMs: 2000 });
});
afterAll(async () => {
  await server.close();
  rmSync(spillDir, { recursive: true, force: true });
});

async function newRun(options: Partial<InitOptions>): Promise<Run> {
  const run = await init({ url: server.url, name: 'tfjs-test', spillDir, flushIntervalMs: 20, ...options });
  runs.push(run);
  return run;
}

/** Deterministic float32 values in [-2, 2). */
function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    out[i] = (x / 2147483648) * 4 - 2;
  }
  return out;
}

function handNorm(...arrays: Float32Array[]): number {
  let s = 0;
  for (const a of arrays) for (const v of a) s += v * v;
  return Math.sqrt(s);
}

describe('gradientNorms', () => {
  it('should equal a hand computation: exactly on representable sums, to float32 precision otherwise', () => {
    const exact = { a: tf.tensor2d([[3, 4], [1, -2]]), b: tf.tensor1d([0.5]) };
    const r = gradientNorms(exact, { perLayer: true });
    expect(r.norm).toBe(5.5);
    expect(r.layers).toEqual({ a: Math.sqrt(30), b: 0.5 });
    tf.dispose(exact);

    const va = values(1000, 1);
    const vb = values(37, 2);
    const grads = [{ name: 'w', tensor: tf.tensor2d(va, [100, 10]) }, { name: 'b', tensor: tf.tensor1d(vb) }];
    const m = gradientNorms(grads, { perLayer: true });
    expect(m.norm).toBeCloseTo(handNorm(va, vb), 4);
    expect(Math.abs(m.norm / handNorm(va, vb) - 1)).toBeLessThan(1e-6);
    expect(Math.abs(m.layers!.w / handNorm(va) - 1)).toBeLessThan(1e-6);
    expect(m.layers!.b).toBeCloseTo(handNorm(vb), 5);
    tf.dispose(grads.map((g) => g.tensor));
  });

  it('should read NaN and Infinity as they are, and leak no tensors', () => {
    const before = tf.memory().numTensors;
    const g = { a: tf.tensor1d([1, Number.NaN]), b: tf.tensor1d([Number.POSITIVE_INFINITY]) };
    expect(gradientNorms({ a: g.a }).norm).toBeNaN();
    expect(gradientNorms({ b: g.b }).norm).toBe(Number.POSITIVE_INFINITY);
    tf.dispose(g);
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('clipGradients', () => {
  it('should scale every gradient by exactly coef when the norm is above the threshold', async () => {
    const run = await newRun({ policy: { kind: 'fixed', maxNorm: 1 } });
    const va = values(64, 3);
    const vb = values(8, 4);
    const grads = { w: tf.tensor2d(va, [8, 8]), b: tf.tensor1d(vb) };
    const { decision, grads: out } = clipGradients(run, 0, grads);
    const norm = gradientNorms(grads).norm;
    expect(decision.action).toBe('clip');
    expect(decision.threshold).toBe(1);
    expect(decision.coef).toBe(1 / (norm + 1e-6));
    const c = Math.fround(decision.coef);
    const w = out!.w.dataSync();
    const b = out!.b.dataSync();
    for (let i = 0; i < va.length; i++) expect(w[i]).toBe(Math.fround(va[i] * c));
    for (let i = 0; i < vb.length; i++) expect(b[i]).toBe(Math.fround(vb[i] * c));
    expect(gradientNorms(out!).norm).toBeCloseTo(1, 5);
    tf.dispose([grads, out!]);
  });

  it('should hand back the very same tensors when the step is not clipped', async () => {
    const run = await newRun({ policy: { kind: 'fixed', maxNorm: 100 } });
    const grads = { w: tf.tensor1d([1, 2]) };
    const { decision, grads: out } = clipGradients(run, 0, grads);
    expect(decision).toMatchObject({ action: 'apply', coef: 1 });
    expect(out!.w).toBe(grads.w);
    tf.dispose(grads);
  });
});

describe('clipOptimizer', () => {
  it('should leave the weights unchanged on a skipped step and update them on the next', async () => {
    const run = await newRun({ policy: { kind: 'fixed', maxNorm: 10, onNonFinite: 'skip' } });
    const w = tf.variable(tf.tensor1d([1, 2, 3]), true, 'skiptest/w');
    const opt = clipOptimizer(run, tf.train.sgd(0.5));
    const bad = tf.tensor1d([1, Number.NaN, 1]);
    opt.applyGradients({ [w.name]: bad });
    expect(opt.lastDecision).toMatchObject({ step: 0, action: 'skip' });
    expect(Array.from(w.dataSync())).toEqual([1, 2, 3]);
    const good = tf.tensor1d([2, 0, -2]);
    opt.applyGradients({ [w.name]: good });
    expect(opt.lastDecision).toMatchObject({ step: 1, action: 'apply', coef: 1 });
    expect(Array.from(w.dataSync())).toEqual([0, 2, 4]);
    tf.dispose([bad, good, w]);
    opt.dispose();
  });

  it('should give the same weights as plain SGD when not clipping, and record the loss from minimize()', async () => {
    const run = await newRun({ policy: { kind: 'off' } });
    const x = tf.tensor2d(values(40, 5), [20, 2]);
    const y = tf.tensor2d(values(20, 6), [20, 1]);
    const w1 = tf.variable(tf.tensor2d([[0.1], [-0.2]]), true, 'sgd1/w');
    const w2 = tf.variable(tf.tensor2d([[0.1], [-0.2]]), true, 'sgd2/w');
    const plain = tf.train.sgd(0.05);
    const clipped = clipOptimizer(run, tf.train.sgd(0.05));
    const losses: number[] = [];
    for (let i = 0; i < 5; i++) {
      plain.minimize(() => tf.losses.meanSquaredError(y, tf.matMul(x, w1)) as tf.Scalar, false, [w1]);
      const cost = clipped.minimize(() => tf.losses.meanSquaredError(y, tf.matMul(x, w2)) as tf.Scalar, true, [w2]);
      losses.push(cost!.dataSync()[0]);
      cost!.dispose();
    }
    expect(Array.from(w2.dataSync())).toEqual(Array.from(w1.dataSync()));
    expect(await run.flush({ timeoutMs: 5000 })).toBe(true);
    const stored = await storedSteps(server.url, run.id);
    expect(stored.step).toEqual([0, 1, 2, 3, 4]);
    expect(stored.loss).toEqual(losses);
    tf.dispose([x, y, w1, w2]);
    plain.dispose();
    clipped.dispose();
  });
});

describe("onNonFinite: 'raise'", () => {
  it('should throw an error naming the step, and still deliver that step', async () => {
    const run = await newRun({ policy: { kind: 'percentile', p: 10, onNonFinite: 'raise' } });
    for (let s = 0; s < 5; s++) run.observe(s, { gradNorm: 1 + s });
    let thrown: unknown;
    try {
      run.observe(5, { gradNorm: Number.NaN, loss: 0.3 });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(NonFiniteGradientError);
    expect((thrown as Error).message).toMatch(/^Step 5: the gradient norm is NaN/);
    expect((thrown as NonFiniteGradientError).step).toBe(5);
    expect(() => run.observe(6, { gradNorm: 1, loss: Number.POSITIVE_INFINITY })).toThrow(/Step 6: the loss is Infinity/);
    expect(await run.flush({ timeoutMs: 5000 })).toBe(true);
    const stored = await storedSteps(server.url, run.id);
    expect(stored.step).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(stored.gradNorm[5]).toBeNaN();
    expect(stored.loss[6]).toBe(Number.POSITIVE_INFINITY);
  });
});
