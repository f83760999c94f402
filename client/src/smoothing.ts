// EMA smoothing as TensorBoard does it (debiased, so the start is not pulled towards 0),
// with one difference: the weight decays per *step*, not per plotted point. A bucket of
// 1000 steps counts as 1000 steps, so the same setting gives the same curve zoomed out
// (buckets) and zoomed in (raw steps); TensorBoard's per-point EMA smooths more when the
// points are denser.
import type { Col } from './series.ts';

/** Half-lives offered in the UI, in steps; 0 is off. */
export const HALF_LIVES = [0, 10, 30, 100, 300, 1000, 3000, 10000];

/**
 * Debiased EMA of `values` over the first `n` points, where point i stands at step
 * `steps[i]` for the steps since the previous point (the first for `firstSpan` steps, e.g.
 * its bucket's size). A step's weight halves every `halfLife` steps. Non-finite and missing
 * values are skipped (null out): they neither move the average nor get a smoothed value.
 */
export function emaOverSteps(steps: ArrayLike<number>, values: Col, halfLife: number, n = values.length, firstSpan = 1): Col {
  const out: Col = new Array(n);
  if (!(halfLife > 0)) {
    for (let i = 0; i < n; i++) out[i] = values[i];
    return out;
  }
  const lnKeep = Math.log(0.5) / halfLife;
  let acc = 0;
  let norm = 0;
  let prevStep: number | null = null;
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    const k = prevStep === null ? Math.max(1, firstSpan) : Math.max(1, steps[i] - prevStep);
    const keep = Math.exp(lnKeep * k);
    acc = acc * keep + (1 - keep) * v;
    norm = norm * keep + (1 - keep);
    out[i] = acc / norm;
    prevStep = steps[i];
  }
  return out;
}

/** Steps the first bucket of a series stands for (its EMA weight). */
export function firstSpan(s: { step: number[]; lastStep: number[] }): number {
  return s.step.length > 0 ? s.lastStep[0] - s.step[0] + 1 : 1;
}

type Listener = (halfLife: number) => void;
const KEY = 'gradpilot.smoothing';

/** The smoothing chosen on the page, shared by the charts that smooth, kept per browser. */
export class Smoothing {
  #halfLife: number;
  readonly #listeners = new Set<Listener>();

  constructor() {
    let saved = 0;
    try {
      saved = Number(localStorage.getItem(KEY) ?? 0);
    } catch {
      saved = 0;
    }
    this.#halfLife = HALF_LIVES.includes(saved) ? saved : 0;
  }

  get halfLife(): number {
    return this.#halfLife;
  }

  set(halfLife: number): void {
    if (halfLife === this.#halfLife) return;
    this.#halfLife = halfLife;
    try {
      localStorage.setItem(KEY, String(halfLife));
    } catch {
      // private mode: not remembered
    }
    for (const l of this.#listeners) l(halfLife);
  }

  onChange(fn: Listener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }
}
