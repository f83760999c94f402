// What one batch's insert adds up, whichever database stored it: the counters ingest reports
// (clipped, skipped, non-finite, the highest step) and the level-1 rollup buckets of the
// steps that were new. Both stores feed it the rows they actually inserted, so a duplicate
// step counts nowhere.
import { type BucketAgg, addStep } from '../query/bucket-agg.ts';
import { LEVEL_WIDTHS } from './rollup-store.ts';

/** What insert() returns to ingest. */
export interface InsertResult {
  /** Indices (into the batch) of the steps that were new. */
  inserted: number[];
  duplicates: number;
  clipped: number;
  skipped: number;
  nonFinite: number;
  maxStep: number | null;
}

const W1 = LEVEL_WIDTHS[1];

export class InsertedTally {
  readonly inserted: number[] = [];
  /** Level-1 buckets of the new steps, for the rollup store. */
  readonly level1 = new Map<number, BucketAgg>();
  #clipped = 0;
  #skipped = 0;
  #nonFinite = 0;
  #maxStep: number | null = null;

  /**
   * Counts the new step at batch index `i`. `values` are its five decoded columns (grad norm
   * first, NaN and ±Inf restored), `action` the stored code (1 clipped, 2 skipped).
   */
  add(i: number, step: number, values: ArrayLike<number | null>, action: number | null, time: number | null): void {
    this.inserted.push(i);
    addStep(this.level1, Math.floor(step / W1), step, values, action, time);
    if (action === 1) this.#clipped++;
    else if (action === 2) this.#skipped++;
    const g = values[0];
    if (g !== null && !Number.isFinite(g)) this.#nonFinite++;
    if (this.#maxStep === null || step > this.#maxStep) this.#maxStep = step;
  }

  /** The result for a batch of `size` steps (those not added were duplicates). */
  result(size: number): InsertResult {
    return {
      inserted: this.inserted,
      duplicates: size - this.inserted.length,
      clipped: this.#clipped,
      skipped: this.#skipped,
      nonFinite: this.#nonFinite,
      maxStep: this.#maxStep,
    };
  }
}
