// ZClip's statistics and rule (Kumar et al. 2025, as its reference implementation does
// it), operation for operation as /shared/algorithms.md spells it out; see zscoreStep.

import { decodeNumber, encodeNumber, type WireNumber } from '../protocol/wire-number.ts';
import type { ZScorePolicy } from './types.ts';

export interface ZScoreState {
  /** Warm-up norms until the statistics start; null afterwards. */
  buffer: number[] | null;
  mean: WireNumber;
  var: WireNumber;
  /** Finite norms the statistics have seen (warm-up included). */
  count: number;
}

/** What one finite step under zscore yields. */
export interface ZScoreOutcome {
  warmup: boolean;
  /** Step 2's adaptive threshold when zs > z, before bounds and maxNorm; else null. */
  spikeThreshold: number | null;
  /** The trigger level mean + z·(std + 1e-6) (null during warm-up). */
  trigger: number | null;
  mean: number | null;
  std: number | null;
  zScore: number | null;
}

export class ZScoreStats {
  #buffer: number[] | null = [];
  #mean = 0;
  #var = 0;
  #count = 0;

  get count(): number {
    return this.#count;
  }

  get warmedUp(): boolean {
    return this.#buffer === null;
  }

  /** The trigger level mean + z·(std + 1e-6) without a new norm (for non-finite steps). */
  trigger(policy: ZScorePolicy): number | null {
    if (this.#buffer !== null) return null;
    return this.#mean + policy.z * (Math.sqrt(this.#var) + 1e-6);
  }

  /** A policy change zscore -> zscore: a shorter warm-up may already be complete. */
  adopt(policy: ZScorePolicy): void {
    if (this.#buffer !== null && this.#buffer.length >= policy.warmupSteps) this.#start();
  }

  /** Steps 1-3 of the rule for one finite norm g; updates the statistics. */
  step(policy: ZScorePolicy, g: number): ZScoreOutcome {
    this.#count++;
    if (this.#buffer !== null) {
      this.#buffer.push(g);
      if (this.#buffer.length >= policy.warmupSteps) this.#start();
      return { warmup: true, spikeThreshold: null, trigger: null, mean: null, std: null, zScore: null };
    }
    const mean = this.#mean;
    const z = policy.z;
    const std = Math.sqrt(this.#var);
    const zs = (g - mean) / (std + 1e-6);
    let spikeThreshold: number | null = null;
    if (zs > z) {
      spikeThreshold = policy.clipOption === 'adaptive_scaling' ? (mean + (z * std) / (zs / z)) * policy.clipFactor : mean;
    }
    const trigger = mean + z * (std + 1e-6);
    if (spikeThreshold === null || policy.updateStatsOnSpike) {
      const x = spikeThreshold ?? g;
      const alpha = policy.alpha;
      this.#mean = alpha * mean + (1 - alpha) * x;
      const dev = x - this.#mean;
      this.#var = alpha * this.#var + (1 - alpha) * (dev * dev);
    }
    return { warmup: false, spikeThreshold, trigger, mean, std, zScore: zs };
  }

  toState(): ZScoreState {
    return {
      buffer: this.#buffer === null ? null : this.#buffer.slice(),
      mean: this.#buffer === null ? encodeNumber(this.#mean) : null,
      var: this.#buffer === null ? encodeNumber(this.#var) : null,
      count: this.#count,
    };
  }

  static fromState(raw: unknown): ZScoreStats {
    const fail = (field: string, expected: string): never => {
      throw new TypeError(`Invalid controller state: expected "data.zscore.${field}" to be ${expected}`);
    };
    if (typeof raw !== 'object' || raw === null) fail('', 'an object');
    const s = raw as Record<string, unknown>;
    const stats = new ZScoreStats();
    const count = s.count;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) fail('count', 'a non-negative integer');
    stats.#count = count as number;
    if (s.buffer === null) {
      const mean = decodeNumber(s.mean);
      const variance = decodeNumber(s.var);
      if (typeof mean !== 'number') fail('mean', 'a number');
      if (typeof variance !== 'number') fail('var', 'a number');
      stats.#buffer = null;
      stats.#mean = mean as number;
      stats.#var = variance as number;
    } else {
      if (!Array.isArray(s.buffer) || s.buffer.some((v) => typeof v !== 'number' || !Number.isFinite(v))) {
        fail('buffer', 'an array of finite numbers or null');
      }
      stats.#buffer = (s.buffer as number[]).slice();
    }
    return stats;
  }

  // Warm-up complete: mean = average(buffer), var = population variance(buffer), each a
  // left-to-right sum as ZClip's Python does it.
  #start(): void {
    const buffer = this.#buffer as number[];
    let sum = 0;
    for (const v of buffer) sum += v;
    const mean = sum / buffer.length;
    let sq = 0;
    for (const v of buffer) sq += (v - mean) * (v - mean);
    this.#mean = mean;
    this.#var = sq / buffer.length;
    this.#buffer = null;
  }
}
