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
  // The last MEDIAN_WINDOW finite norms twice: a ring in arrival order (oldest at
  // #recentStart) and sorted in the first #recentCount slots of #sorted. Typed arrays
  // updated in place: this runs for every step, in the SDK and in the server's ingest.
  readonly #recent = new Float64Array(MEDIAN_WINDOW);
  #recentStart = 0;
  #recentCount = 0;
  readonly #sorted = new Float64Array(MEDIAN_WINDOW);
  // Spike flags of the last EXPLOSION_STEPS steps, a ring like #recent, and their sum.
  readonly #spikes = new Uint8Array(EXPLOSION_STEPS);
  #spikeStart = 0;
  #spikeCount = 0;
  #spikeSum = 0;
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
      explosion = g > this.#options.explosionFactor * this.#median();
      this.#pushSpike(spike ? 1 : 0);
      if (spike && !explosion) explosion = this.#spikeSum >= EXPLOSION_SPIKES;
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
      recent: ringToArray(this.#recent, this.#recentStart, this.#recentCount),
      spikes: ringToArray(this.#spikes, this.#spikeStart, this.#spikeCount),
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

  #median(): number {
    const n = this.#recentCount;
    return percentileOfSorted(n === MEDIAN_WINDOW ? this.#sorted : this.#sorted.subarray(0, n), 50);
  }

  #pushSpike(flag: number): void {
    const spikes = this.#spikes;
    if (this.#spikeCount < EXPLOSION_STEPS) {
      spikes[(this.#spikeStart + this.#spikeCount++) % EXPLOSION_STEPS] = flag;
    } else {
      this.#spikeSum -= spikes[this.#spikeStart];
      spikes[this.#spikeStart] = flag;
      this.#spikeStart = (this.#spikeStart + 1) % EXPLOSION_STEPS;
    }
    this.#spikeSum += flag;
  }

  #pushRecent(g: number): void {
    const sorted = this.#sorted;
    const n = this.#recentCount;
    if (n < MEDIAN_WINDOW) {
      this.#recent[(this.#recentStart + n) % MEDIAN_WINDOW] = g;
      const at = lowerBound(sorted, n, g);
      sorted.copyWithin(at + 1, at, n);
      sorted[at] = g;
      this.#recentCount = n + 1;
      return;
    }
    // Full: the oldest norm leaves both, g takes its place in one shift of the sorted run.
    const old = this.#recent[this.#recentStart];
    this.#recent[this.#recentStart] = g;
    this.#recentStart = (this.#recentStart + 1) % MEDIAN_WINDOW;
    const from = lowerBound(sorted, n, old);
    const to = lowerBound(sorted, n, g);
    if (to > from) {
      sorted.copyWithin(from, from + 1, to);
      sorted[to - 1] = g;
    } else {
      sorted.copyWithin(to + 1, to, from);
      sorted[to] = g;
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
    this.#recent.set(recent);
    this.#recentStart = 0;
    this.#recentCount = recent.length;
    this.#sorted.set(recent.slice().sort((a, b) => a - b));
    this.#spikes.set(spikes as number[]);
    this.#spikeStart = 0;
    this.#spikeCount = (spikes as number[]).length;
    this.#spikeSum = (spikes as number[]).reduce((a, b) => a + b, 0);
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

/** The ring's `count` values from `start` on, oldest first. */
function ringToArray(ring: Float64Array | Uint8Array, start: number, count: number): number[] {
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = ring[(start + i) % ring.length];
  return out;
}

/** First index in sorted[0, n) whose value is >= v. */
function lowerBound(sorted: Float64Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
