// The adding problem (Hochreiter & Schmidhuber 1997) and a vanilla tanh RNN in
// TensorFlow.js: the classic setting in which gradients explode (Pascanu et al. 2013).
// Shared by the demo and the experiment, so everything here is deterministic given a seed.
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

/**
 * Switches TensorFlow.js to the wasm backend (once per process).
 *
 * @example
 * await useWasmBackend();
 */
export async function useWasmBackend(): Promise<void> {
  if (tf.getBackend() === 'wasm') return;
  const ok = await tf.setBackend('wasm');
  if (!ok) throw new Error('TensorFlow.js could not initialise the "wasm" backend');
  await tf.ready();
}

// ---------------------------------------------------------------------------------------
// Seeded randomness: our own PRNG so that data and weights do not depend on tf's global seed.

/** A seeded uniform [0, 1) generator (mulberry32) with a Gaussian helper. */
export interface Rng {
  next(): number;
  normal(): number;
  int(n: number): number;
}

/** mulberry32: 32-bit state, good enough for data generation, and identical everywhere. */
export function createRng(seed: number): Rng {
  let a = (seed >>> 0) ^ 0x9e3779b9;
  let spare: number | null = null;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    normal(): number {
      if (spare !== null) {
        const s = spare;
        spare = null;
        return s;
      }
      // Box-Muller; 1 - u keeps log away from 0.
      const u = 1 - next();
      const v = next();
      const r = Math.sqrt(-2 * Math.log(u));
      spare = r * Math.sin(2 * Math.PI * v);
      return r * Math.cos(2 * Math.PI * v);
    },
    int(n: number): number {
      return Math.floor(next() * n);
    },
  };
}

// ---------------------------------------------------------------------------------------
// The task.

/** One batch. The caller owns the tensors: `tf.dispose(batch)` when done. */
// A type alias, not an interface, so that a Batch is a tf.TensorContainer for tf.dispose.
export type Batch = {
  /** [batch, T, 2]: channel 0 a value in [0, 1), channel 1 a marker (exactly two 1s per sequence). */
  inputs: tf.Tensor3D;
  /** [batch, 1]: the sum of the two marked values. */
  targets: tf.Tensor2D;
};

export interface AddingProblemOptions {
  /** Sequence length T (>= 2). */
  seqLen: number;
  batchSize: number;
  seed: number;
  /** Sequences in the fixed evaluation set. Default 256. */
  evalSize?: number;
}

export interface AddingProblem {
  readonly seqLen: number;
  readonly batchSize: number;
  /** The next training batch from the seeded stream (a new Batch each call). */
  nextBatch(): Batch;
  /** A fixed evaluation set, generated once from its own seed; do not dispose it. */
  readonly evalSet: Batch;
  /** Frees the evaluation set. */
  dispose(): void;
}

function makeBatch(rng: Rng, seqLen: number, size: number): Batch {
  const x = new Float32Array(size * seqLen * 2);
  const y = new Float32Array(size);
  const half = Math.floor(seqLen / 2);
  for (let b = 0; b < size; b++) {
    const base = b * seqLen * 2;
    for (let t = 0; t < seqLen; t++) x[base + 2 * t] = rng.next();
    // One marker in each half, as in Hochreiter & Schmidhuber: the first mark must be
    // carried across at least part of the sequence.
    const i = rng.int(half);
    const j = half + rng.int(seqLen - half);
    x[base + 2 * i + 1] = 1;
    x[base + 2 * j + 1] = 1;
    y[b] = x[base + 2 * i] + x[base + 2 * j];
  }
  return {
    inputs: tf.tensor3d(x, [size, seqLen, 2]),
    targets: tf.tensor2d(y, [size, 1]),
  };
}

/**
 * A deterministic adding-problem generator: the same seed gives the same batches.
 * Predicting the constant 1 gives an MSE of 1/6 ≈ 0.167 (the variance of the sum of two
 * U(0,1)), the level a model that has learnt nothing sits at.
 *
 * @example
 * const task = createAddingProblem({ seqLen: 30, batchSize: 32, seed: 1 });
 * const batch = task.nextBatch();
 * // ... train on batch ...
 * tf.dispose(batch);
 */
export function createAddingProblem({ seqLen, batchSize, seed, evalSize = 256 }: AddingProblemOptions): AddingProblem {
  if (!Number.isInteger(seqLen) || seqLen < 2) throw new RangeError(`Expected "seqLen" to be an integer >= 2, got ${seqLen}`);
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`Expected "batchSize" to be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(evalSize) || evalSize < 1) throw new RangeError(`Expected "evalSize" to be a positive integer, got ${evalSize}`);
  const rng = createRng(seed);
  const evalSet = makeBatch(createRng(seed ^ 0x5eed), seqLen, evalSize);
  return {
    seqLen,
    batchSize,
    nextBatch: function nextBatch() {
      return makeBatch(rng, seqLen, batchSize);
    },
    evalSet,
    dispose: function dispose() {
      tf.dispose(evalSet);
    },
  };
}

// ---------------------------------------------------------------------------------------
// The model.

export interface RnnOptions {
  hidden: number;
  seed: number;
  /**
   * Spectral radius (approximately) of the recurrent init: W_rec = scale · G / sqrt(hidden),
   * G standard normal. Above 1 the gradients can explode (Pascanu et al. 2013). Default 1.
   */
  recurrentScale?: number;
  /** Prefix for the variable names, so two models can live in one process. Default "". */
  prefix?: string;
}

export interface Rnn {
  readonly hidden: number;
  /** The trainable variables by name: `rnn/W_in`, `rnn/W_rec`, `rnn/b`, `out/W`, `out/b` (prefixed). */
  readonly variables: Record<string, tf.Variable>;
  /** Predictions [batch, 1] for inputs [batch, T, 2]. */
  predict(inputs: tf.Tensor3D): tf.Tensor2D;
  /** Mean squared error over the batch (a scalar). */
  loss(batch: Batch): tf.Scalar;
  /** Frees the variables (and their names). */
  dispose(): void;
}

function seededTensor(rng: Rng, shape: [number, number] | [number], scale: number): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.normal() * scale;
  return tf.tensor(v, shape);
}

/**
 * A vanilla tanh RNN: h_t = tanh(x_t W_in + h_{t-1} W_rec + b), y = h_T W + b_out.
 * Weights are named tf.Variables with a seeded init (independent of tf's own RNG).
 *
 * @example
 * const model = createRnn({ hidden: 32, seed: 1, recurrentScale: 1.5 });
 * const { loss, grads } = computeGradients(model, batch);
 * optimizer.applyGradients(grads);
 * model.dispose();
 */
export function createRnn({ hidden, seed, recurrentScale = 1, prefix = '' }: RnnOptions): Rnn {
  if (!Number.isInteger(hidden) || hidden < 1) throw new RangeError(`Expected "hidden" to be a positive integer, got ${hidden}`);
  if (!(recurrentScale >= 0)) throw new RangeError(`Expected "recurrentScale" to be a number >= 0, got ${recurrentScale}`);
  const rng = createRng(seed ^ 0x0badf00d);
  const make = (name: string, init: tf.Tensor): tf.Variable => {
    const full = prefix + name;
    try {
      return tf.variable(init, true, full);
    } catch (err) {
      throw new Error(`Could not create variable "${full}": dispose the previous model or pass a distinct "prefix"`, { cause: err });
    } finally {
      init.dispose();
    }
  };
  const W_in = make('rnn/W_in', seededTensor(rng, [2, hidden], 1 / Math.sqrt(2)));
  const W_rec = make('rnn/W_rec', seededTensor(rng, [hidden, hidden], recurrentScale / Math.sqrt(hidden)));
  const b = make('rnn/b', tf.zeros([hidden]));
  const W_out = make('out/W', seededTensor(rng, [hidden, 1], 1 / Math.sqrt(hidden)));
  const b_out = make('out/b', tf.zeros([1]));
  const variables: Record<string, tf.Variable> = {
    [W_in.name]: W_in,
    [W_rec.name]: W_rec,
    [b.name]: b,
    [W_out.name]: W_out,
    [b_out.name]: b_out,
  };

  function predict(inputs: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => {
      const [batch, seqLen] = inputs.shape;
      // Project all steps at once: one matmul instead of T small ones.
      const xw = tf.matMul(inputs.reshape([batch * seqLen, 2]), W_in).reshape([batch, seqLen, hidden]);
      const steps = tf.unstack(xw, 1);
      let h: tf.Tensor2D = tf.zeros([batch, hidden]);
      for (const xt of steps) h = tf.tanh(tf.add(tf.add(xt, tf.matMul(h, W_rec)), b)) as tf.Tensor2D;
      return tf.add(tf.matMul(h, W_out), b_out) as tf.Tensor2D;
    });
  }

  return {
    hidden,
    variables,
    predict,
    loss: function loss(batch: Batch): tf.Scalar {
      return tf.tidy(() => tf.losses.meanSquaredError(batch.targets, predict(batch.inputs)) as tf.Scalar);
    },
    dispose: function dispose() {
      for (const v of Object.values(variables)) v.dispose();
    },
  };
}

/** A step's loss and the gradient of every trainable variable, keyed by variable name. */
export interface GradientResult {
  loss: number;
  /** Owned by the caller: pass them to `optimizer.applyGradients` and/or `tf.dispose` them. */
  grads: Record<string, tf.Tensor>;
}

/**
 * The loss on a batch and the gradients of all the model's variables, unclipped, so that
 * the caller can measure and clip them and then call `optimizer.applyGradients(grads)`.
 *
 * @example
 * const { loss, grads } = computeGradients(model, task.nextBatch());
 * optimizer.applyGradients(grads);
 * tf.dispose(grads);
 */
export function computeGradients(model: Rnn, batch: Batch): GradientResult {
  const { value, grads } = tf.variableGrads(() => model.loss(batch), Object.values(model.variables));
  const loss = value.dataSync()[0];
  value.dispose();
  return { loss, grads };
}

/**
 * The MSE on a batch without gradients (e.g. the task's fixed evaluation set).
 *
 * @example
 * const evalLoss = evaluate(model, task.evalSet);
 */
export function evaluate(model: Rnn, batch: Batch): number {
  const l = model.loss(batch);
  const v = l.dataSync()[0];
  l.dispose();
  return v;
}
