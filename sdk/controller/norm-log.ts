// Every finite norm of the run in arrival order. The controller keeps it whatever the
// policy so that a policy change mid-run (say zscore -> percentile, or a new window) sees
// the run's whole history; it is also what the state serialises. 8 bytes per finite step.

export class NormLog {
  #values: Float64Array;
  #length = 0;

  constructor(initial: ArrayLike<number> = []) {
    this.#values = new Float64Array(Math.max(1024, initial.length * 2));
    this.#values.set(initial);
    this.#length = initial.length;
  }

  get length(): number {
    return this.#length;
  }

  push(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  get(index: number): number {
    return this.#values[index];
  }

  /** A view of values [start, end): valid until the next push. */
  view(start = 0, end = this.#length): Float64Array {
    return this.#values.subarray(start, end);
  }
}
