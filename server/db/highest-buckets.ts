// Per key (a run, or a run's layer) and rollup level, a bucket at or above the highest
// stored one. A bucket past it has no row yet, so a batch that appends skips looking it up.
// Only ever too high (a put rolled back with its transaction leaves it raised), never too
// low; forgotten when rows are deleted.

export class HighestBuckets<K> {
  readonly #levels: number;
  readonly #load: (key: K, level: number) => number | null;
  readonly #bounds = new Map<K, number[]>();

  /** Levels 1..`levels`; `load`: the highest stored bucket of a key and level (null: none), read on first use. */
  constructor(levels: number, load: (key: K, level: number) => number | null) {
    this.#levels = levels;
    this.#load = load;
  }

  /** Bounds of `key` by level (index 0, the raw steps, unused). Raise an entry after a put. */
  of(key: K): number[] {
    let bounds = this.#bounds.get(key);
    if (!bounds) {
      bounds = [-1];
      for (let level = 1; level <= this.#levels; level++) bounds.push(this.#load(key, level) ?? -1);
      this.#bounds.set(key, bounds);
    }
    return bounds;
  }

  forget(key: K): void {
    this.#bounds.delete(key);
  }

  forgetAll(): void {
    this.#bounds.clear();
  }
}
