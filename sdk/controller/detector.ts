// Spike, explosion and non-finite detection alone: the server runs it over stored norms
// for clients that send only norms, and the Controller runs the same class, so both agree.
//
// The rules (constants are documented in the README "Controller" section):
// - nonfinite: g or the loss is NaN or ±Infinity. Such a step touches no statistic.
// - spike: g > mean + spikeZ·std, where mean and var are an EMA (alpha SPIKE_ALPHA) of the
//   finite norms before this one; only once MIN_HISTORY finite norms have been seen. The
//   first MIN_HISTORY norms seed mean and population variance exactly (sum / n, then
//   sum of squared deviations / n), as ZClip's warm-up does. A spike enters the EMA
//   winsorised, as mean + spikeZ·std: one outlier does not inflate the std that judges
//   the next step, yet a lasting level shift is absorbed within a few hundred steps.
// - explosion: after MIN_HISTORY finite norms, g > explosionFactor × the median of the
//   previous MEDIAN_WINDOW finite norms, or this step is a spike and at least
//   EXPLOSION_SPIKES of the last EXPLOSION_STEPS steps (this one included) were spikes.

import { decodeNumber, encodeNumber, type WireNumber } from '../protocol/wire-number.ts';
import { percentileOfSorted } from './percentile.ts';
import type { CommonPolicyOptions, EventKind } from './types.ts';

export const SPIKE_ALPHA = 0.98;
export const MIN_HISTORY = 20;
export const MEDIAN_WINDOW = 101;
export const EXPLOSION_SPIKES = 3;
export const EXPLOSION_STEPS = 10;

export type DetectorOptions = Pick<CommonPolicyOptions, 'spikeZ' | 'explosionFactor'>;

/** The detector's plain JSON-safe state. */
export interface DetectorState {
  /** Finite norms seen. */
  count: number;
  mean: WireNumber;
  /** Population variance; during the first MIN_HISTORY norms, their running sum instead. */
  var: WireNumber;
  /** The last MEDIAN_WINDOW finite norms, oldest first. */
  recent: number[];
  /** 1 for each of the last EXPLOSION_STEPS steps that was a spike, oldest first. */
  spikes: number[];
  consecutiveNonFinite: number;
}

/**
 * Flags `nonfinite`, `spike` and `explosion` steps from the norms alone.
 *
 * @example
 * const detector = new EventDetector({ spikeZ: 6, explosionFactor: 10 });
 * for (const g of norms) console.log(detector.observe(g)); // [] ... ['spike'] ...
 */
export class EventDetector {
  #options: DetectorOptions;
  #count = 0;
  #mean = 0;
  #var = 0;
  // Seed values while count < MIN_HISTORY, then unused.
  #seed: number[] = [];
  #recent: number[] = [];
  #sorted: number[] = [];
  #spikes: number[] = [];
  #consecutiveNonFinite = 0;

  constructor(options: DetectorOptions, state?: DetectorState) {
    this.#options = { spikeZ: options.spikeZ, explosionFactor: options.explosionFactor };
    if (state !== undefined) this.#restore(state);
  }

  /** Non-finite steps in a row up to the last observed one. */
  get consecutiveNonFinite(): number {
    return this.#consecutiveNonFinite;
  }

  /** Finite norms observed so far. */
  get count(): number {
    return this.#count;
  }

  /** New spikeZ / explosionFactor from a policy change; the statistics are kept. */
  setOptions(options: DetectorOptions): void {
    this.#options = { spikeZ: options.spikeZ, explosionFactor: options.explosionFactor };
  }

  /** Observes one step and returns its events, in the order nonfinite, spike, explosion. */
  observe(gradNorm: number, loss?: number | null): EventKind[] {
    if (!Number.isFinite(gradNorm) || (typeof loss === 'number' && !Number.isFinite(loss))) {
      this.#consecutiveNonFinite++;
      this.#pushSpike(0);
      return ['nonfinite'];
    }
    this.#consecutiveNonFinite = 0;
    const g = gradNorm;
    const events: EventKind[] = [];
    let spike = false;
    let explosion = false;
    if (this.#count >= MIN_HISTORY) {
      const level = this.#mean + this.#options.spikeZ * Math.sqrt(this.#var);
      spike = g > level;
      explosion = g > this.#options.explosionFactor * percentileOfSorted(this.#sorted, 50);
      this.#pushSpike(spike ? 1 : 0);
      if (spike && !explosion) {
        let n = 0;
        for (const s of this.#spikes) n += s;
        explosion = n >= EXPLOSION_SPIKES;
      }
      const x = spike ? level : g;
      this.#mean = SPIKE_ALPHA * this.#mean + (1 - SPIKE_ALPHA) * x;
      const dev = x - this.#mean;
      this.#var = SPIKE_ALPHA * this.#var + (1 - SPIKE_ALPHA) * (dev * dev);
    } else {
      this.#pushSpike(0);
      this.#seed.push(g);
      if (this.#seed.length === MIN_HISTORY) this.#seedStatistics();
    }
    this.#count++;
    this.#pushRecent(g);
    if (spike) events.push('spike');
    if (explosion) events.push('explosion');
    return events;
  }

  /** The state as plain JSON-safe data. */
  toState(): DetectorState {
    const seeding = this.#count < MIN_HISTORY;
    return {
      count: this.#count,
      mean: seeding ? null : encodeNumber(this.#mean),
      var: seeding ? null : encodeNumber(this.#var),
      recent: this.#recent.slice(),
      spikes: this.#spikes.slice(),
      consecutiveNonFinite: this.#consecutiveNonFinite,
    };
  }

  /** Restores a detector from `toState()` output (validated). */
  static fromState(options: DetectorOptions, state: unknown): EventDetector {
    return new EventDetector(options, state as DetectorState);
  }

  #seedStatistics(): void {
    let sum = 0;
    for (const v of this.#seed) sum += v;
    const mean = sum / this.#seed.length;
    let sq = 0;
    for (const v of this.#seed) sq += (v - mean) * (v - mean);
    this.#mean = mean;
    this.#var = sq / this.#seed.length;
    this.#seed = [];
  }

  #pushSpike(flag: number): void {
    this.#spikes.push(flag);
    if (this.#spikes.length > EXPLOSION_STEPS) this.#spikes.shift();
  }

  #pushRecent(g: number): void {
    this.#recent.push(g);
    insertSorted(this.#sorted, g);
    if (this.#recent.length > MEDIAN_WINDOW) {
      const old = this.#recent.shift() as number;
      this.#sorted.splice(lowerBound(this.#sorted, old), 1);
    }
  }

  #restore(raw: unknown): void {
    const fail = (field: string, expected: string): never => {
      throw new TypeError(`Invalid detector state: expected "${field}" to be ${expected}`);
    };
    if (typeof raw !== 'object' || raw === null) fail('state', 'an object');
    const s = raw as Record<string, unknown>;
    const count = s.count;
    if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) fail('count', 'a non-negative integer');
    const recent = finiteArray(s.recent) ?? fail('recent', `an array of at most ${MEDIAN_WINDOW} finite numbers`);
    if (recent.length > MEDIAN_WINDOW || recent.length !== Math.min(count as number, MEDIAN_WINDOW)) {
      fail('recent', `an array of min(count, ${MEDIAN_WINDOW}) finite numbers`);
    }
    const spikes = finiteArray(s.spikes);
    if (spikes === null || spikes.length > EXPLOSION_STEPS || spikes.some((v) => v !== 0 && v !== 1)) {
      fail('spikes', `an array of at most ${EXPLOSION_STEPS} zeros and ones`);
    }
    const cnf = s.consecutiveNonFinite;
    if (typeof cnf !== 'number' || !Number.isSafeInteger(cnf) || cnf < 0) fail('consecutiveNonFinite', 'a non-negative integer');
    this.#count = count as number;
    this.#recent = recent.slice();
    this.#sorted = recent.slice().sort((a, b) => a - b);
    this.#spikes = (spikes as number[]).slice();
    this.#consecutiveNonFinite = cnf as number;
    if (this.#count < MIN_HISTORY) {
      // While seeding, the seed is exactly the recent norms (count < MEDIAN_WINDOW).
      this.#seed = recent.slice();
    } else {
      const mean = decodeNumber(s.mean);
      const variance = decodeNumber(s.var);
      if (typeof mean !== 'number') fail('mean', 'a number (or "NaN"/"Infinity" wire string)');
      if (typeof variance !== 'number') fail('var', 'a number (or "NaN"/"Infinity" wire string)');
      this.#mean = mean as number;
      this.#var = variance as number;
    }
  }
}

function finiteArray(value: unknown): number[] | null {
  if (!Array.isArray(value)) return null;
  for (const v of value) if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  return value as number[];
}

function lowerBound(sorted: number[], v: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function insertSorted(sorted: number[], v: number): void {
  sorted.splice(lowerBound(sorted, v), 0, v);
}
