// The multiset of finite norms a percentile policy reads: the whole log, or its last W
// entries. Each norm's sequence number is its index in the log, so the value leaving a
// window is deleted exactly (see order-stat-tree.ts).

import type { NormLog } from './norm-log.ts';
import { OrderStatTree } from './order-stat-tree.ts';
import { lerpNumpy, percentileIndex, type PercentileIndex } from './percentile.ts';

export class PercentileHistory {
  readonly window: number | null;
  readonly #log: NormLog;
  readonly #tree: OrderStatTree;
  readonly #pair = new Float64Array(2);
  readonly #index: PercentileIndex = { lo: 0, hi: 0, g: 0 };

  /** Builds the multiset from the log as it stands; call `added()` after each push. */
  constructor(log: NormLog, window: number | null) {
    this.#log = log;
    this.window = window;
    this.#tree = new OrderStatTree({ deletable: window !== null });
    if (window === null) {
      this.#tree.loadSorted(log.view().slice().sort());
    } else {
      for (let i = Math.max(0, log.length - window); i < log.length; i++) this.#tree.insert(log.get(i), i);
    }
  }

  get size(): number {
    return this.#tree.size;
  }

  /** Takes in the log's newest value (and drops the one that left the window). */
  added(): void {
    const seq = this.#log.length - 1;
    this.#tree.insert(this.#log.get(seq), seq);
    if (this.window !== null && this.#tree.size > this.window) {
      const old = seq - this.window;
      this.#tree.delete(this.#log.get(old), old);
    }
  }

  /** `np.percentile(values, p)` exactly; the multiset must not be empty. */
  percentile(p: number): number {
    const { lo, hi, g } = percentileIndex(this.#tree.size, p, this.#index);
    if (hi === lo) {
      const a = this.#tree.at(lo);
      return lerpNumpy(a, a, g);
    }
    this.#tree.atPair(lo, this.#pair);
    return lerpNumpy(this.#pair[0], this.#pair[1], g);
  }

  /** The values in ascending order (tests). */
  sorted(): Float64Array {
    return this.#tree.toArray();
  }
}
