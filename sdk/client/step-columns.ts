// Accumulates steps column by column in preallocated Float64Arrays, so that recording a
// step allocates nothing, and a batch goes out as binary columns (NaN/±Inf exact).
import type { Action } from '../controller/types.ts';
import type { ColumnarBatch } from '../protocol/api-types.ts';
import type { WireNumber } from '../protocol/wire-number.ts';
import { encodeNumber } from '../protocol/wire-number.ts';

class NumberColumn {
  readonly values: Float64Array;
  readonly present: Uint8Array;
  count = 0;

  constructor(capacity: number) {
    this.values = new Float64Array(capacity);
    this.present = new Uint8Array(capacity);
  }

  set(i: number, value: number | null | undefined): void {
    if (value === null || value === undefined) {
      this.present[i] = 0;
    } else {
      this.values[i] = value;
      this.present[i] = 1;
      this.count++;
    }
  }

  /** Binary when every row has a value, wire numbers (null = missing) with gaps, nothing when empty. */
  take(n: number, binary = true): Float64Array | WireNumber[] | undefined {
    if (this.count === 0) return undefined;
    if (binary && this.count === n) return this.values.slice(0, n);
    const out = new Array<WireNumber>(n);
    for (let i = 0; i < n; i++) out[i] = this.present[i] ? encodeNumber(this.values[i]) : null;
    return out;
  }

  clear(): void {
    this.present.fill(0);
    this.count = 0;
  }
}

/** One batch in the making; `take()` returns it as a ColumnarBatch and starts a new one. */
export class StepColumns {
  readonly capacity: number;
  #n = 0;
  readonly #step: Float64Array;
  readonly #gradNorm: Float64Array;
  readonly #coef: Float64Array;
  readonly #time: Float64Array;
  readonly #loss: NumberColumn;
  readonly #lr: NumberColumn;
  readonly #threshold: NumberColumn;
  #action: Action[] = [];
  readonly #layers = new Map<string, NumberColumn>();

  constructor(capacity: number) {
    this.capacity = capacity;
    this.#step = new Float64Array(capacity);
    this.#gradNorm = new Float64Array(capacity);
    this.#coef = new Float64Array(capacity);
    this.#time = new Float64Array(capacity);
    this.#loss = new NumberColumn(capacity);
    this.#lr = new NumberColumn(capacity);
    this.#threshold = new NumberColumn(capacity);
  }

  get length(): number {
    return this.#n;
  }

  get full(): boolean {
    return this.#n >= this.capacity;
  }

  push(
    step: number,
    gradNorm: number,
    loss: number | null | undefined,
    lr: number | null | undefined,
    threshold: number | null,
    coef: number,
    action: Action,
    layers: Record<string, number> | null | undefined,
    time: number,
  ): void {
    const i = this.#n++;
    this.#step[i] = step;
    this.#time[i] = time;
    this.#gradNorm[i] = gradNorm;
    this.#coef[i] = coef;
    this.#loss.set(i, loss);
    this.#lr.set(i, lr);
    this.#threshold.set(i, threshold);
    this.#action.push(action);
    if (layers) {
      for (const name in layers) {
        let column = this.#layers.get(name);
        if (!column) {
          column = new NumberColumn(this.capacity);
          this.#layers.set(name, column);
        }
        column.set(i, layers[name]);
      }
    }
  }

  /** The batch so far (copied out); the builder is empty afterwards. */
  take(runId: string, seq: number): ColumnarBatch {
    const n = this.#n;
    const batch: ColumnarBatch = {
      runId,
      seq,
      step: this.#step.slice(0, n),
      gradNorm: this.#gradNorm.slice(0, n),
      coef: this.#coef.slice(0, n),
      action: this.#action,
      // Binary like the other full columns: 7 attachments with loss, lr and threshold (of 10).
      time: this.#time.slice(0, n),
    };
    const loss = this.#loss.take(n);
    if (loss) batch.loss = loss;
    const lr = this.#lr.take(n);
    if (lr) batch.lr = lr;
    const threshold = this.#threshold.take(n);
    if (threshold) batch.threshold = threshold;
    if (this.#layers.size > 0) {
      // socket.io's parser refuses a packet with more than 10 binary attachments (its
      // maxAttachments default) and drops the connection, so layer columns, which can be many,
      // travel as wire numbers (exact too: JSON round-trips doubles, non-finite as strings).
      const layers: Record<string, Float64Array | WireNumber[]> = {};
      for (const [name, column] of this.#layers) {
        const values = column.take(n, false);
        if (values) layers[name] = values;
      }
      batch.layers = layers;
    }
    this.#n = 0;
    this.#action = [];
    this.#loss.clear();
    this.#lr.clear();
    this.#threshold.clear();
    this.#layers.clear();
    return batch;
  }
}
