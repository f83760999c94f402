import { describe, expect, it } from 'vitest';
import {
  bestFixed, countSpikes, DEFAULT_CRITERIA, isDiverged, mean, median, pairedDifference, pairedScore, sd, stepsToTarget, summarize, tQuantile975,
  type RunResult,
} from '../bench/experiment/stats.ts';
import { fmt, formatTable } from '../bench/experiment/table.ts';

function result(condition: string, seed: number, evalLoss: number[], extra: Partial<RunResult> = {}): RunResult {
  return {
    condition, seed, runId: `${condition}-${seed}`, steps: 10, trainLoss: [], gradNorm: [],
    evalSteps: evalLoss.map((_, i) => i * 5), evalLoss, clipped: 0, skipped: 0, nonFinite: 0, seconds: 0, ...extra,
  };
}

describe('experiment statistics', () => {
  it('should compute mean, sample sd and a median that sorts NaN last', () => {
    expect(mean([1, 2, 3])).toBe(2);
    expect(sd([1, 2, 3])).toBe(1);
    expect(sd([4])).toBe(0);
    expect(median([3, 1, 2])).toBe(2);
    expect(median([1, 2, 3, 4])).toBe(2.5);
    expect(median([Number.NaN, 1, 2])).toBe(2);
  });

  it('should call a run diverged when its final loss is non-finite or above 10x the initial loss', () => {
    expect(isDiverged(result('a', 1, [1, 0.5, Number.NaN]))).toBe(true);
    expect(isDiverged(result('a', 1, [1, 0.5, Number.POSITIVE_INFINITY]))).toBe(true);
    expect(isDiverged(result('a', 1, [1, 5, 10.5]))).toBe(true);
    expect(isDiverged(result('a', 1, [1, 50, 9]))).toBe(false);
  });

  it('should also call a run diverged above an absolute bound when the criteria set one', () => {
    const c = { ...DEFAULT_CRITERIA, divergeFactor: 1, divergeLoss: 3 };
    expect(isDiverged(result('a', 1, [5.5, 2, 3.2]), c)).toBe(true);
    expect(isDiverged(result('a', 1, [5.5, 2, 2.9]), c)).toBe(false);
    expect(isDiverged(result('a', 1, [2, 2.5]), c)).toBe(true);
  });

  it('should count a stretch of spiking steps once, non-finite losses included, and nothing in the first ten steps', () => {
    const flat = Array.from({ length: 30 }, () => 1);
    expect(countSpikes(flat)).toBe(0);
    expect(countSpikes([...flat, 2.5, 3, 1, 1, 2.1, 1])).toBe(2);
    expect(countSpikes([...flat, 1.9, 1])).toBe(0);
    expect(countSpikes([...flat, Number.NaN, Number.NaN, Number.POSITIVE_INFINITY, 1])).toBe(1);
    expect(countSpikes([1, 5, 1, 1])).toBe(0);
    expect(countSpikes([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 5], { ...DEFAULT_CRITERIA, spikeFactor: 6 })).toBe(0);
    // The median is of the previous spikeWindow finite losses: a slow fall does not count.
    expect(countSpikes(Array.from({ length: 200 }, (_, i) => 10 / (1 + i)))).toBe(0);
  });

  it('should score a diverged run as its loss before training, and pair runs by seed with a t interval', () => {
    expect(pairedScore(result('a', 1, [1, Number.NaN]))).toBe(1);
    expect(pairedScore(result('a', 1, [1, 7]))).toBe(1);
    expect(pairedScore(result('a', 1, [1, 0.25]))).toBe(0.25);
    const a = [result('a', 1, [1, 0.3]), result('a', 2, [1, 0.5]), result('a', 3, [1, 0.4]), result('a', 9, [1, 0.1])];
    const b = [result('b', 3, [1, 0.2]), result('b', 1, [1, 0.2]), result('b', 2, [1, 0.2])];
    const d = pairedDifference(a, b)!;
    expect(d.n).toBe(3);
    expect(d.mean).toBeCloseTo(0.2, 12);
    // differences 0.1, 0.3, 0.2: sd 0.1, t(2) = 4.303
    expect(d.hi! - d.mean).toBeCloseTo((4.303 * 0.1) / Math.sqrt(3), 12);
    expect(d.lo! + d.hi!).toBeCloseTo(0.4, 12);
    expect(d.ratio).toBeCloseTo(2, 12);
    expect(pairedDifference([a[0]], [b[1]])).toMatchObject({ n: 1, lo: null, hi: null });
    expect(pairedDifference([a[3]], b)).toBeNull();
    expect(tQuantile975(9)).toBe(2.262);
    expect(tQuantile975(100)).toBe(1.96);
  });

  it('should pick the fixed threshold with the lowest mean paired score, a diverged seed counting as untrained', () => {
    const runs = [
      result('fixed 1', 1, [1, 0.1]), result('fixed 1', 2, [1, Number.NaN]),
      result('fixed 3', 1, [1, 0.3]), result('fixed 3', 2, [1, 0.3]),
      result('none', 1, [1, 0.01]), result('none', 2, [1, 0.01]),
    ];
    expect(bestFixed(runs, ['fixed 1', 'fixed 3'])).toBe('fixed 3');
    expect(bestFixed(runs, ['fixed 10'])).toBeNull();
  });

  it('should report the first evaluation step below the target', () => {
    expect(stepsToTarget(result('a', 1, [1, 0.2, 0.09, 0.05]))).toBe(10);
    expect(stepsToTarget(result('a', 1, [1, 0.2, Number.NaN]))).toBeNull();
  });

  it('should summarize each condition over its seeds, excluding diverged runs from mean ± sd', () => {
    const rows = summarize([
      result('none', 1, [1, Number.NaN], { nonFinite: 3, skipped: 3 }),
      result('none', 2, [1, 0.3]),
      result('fixed 1', 1, [1, 0.08], { clipped: 5 }),
      result('fixed 1', 2, [1, 0.12], { clipped: 5 }),
    ]);
    expect(rows.map((r) => r.condition)).toEqual(['none', 'fixed 1']);
    expect(rows[0]).toMatchObject({ seeds: 2, diverged: 1, finalMean: 0.3, finalSd: 0, reached: 0, stepsToTargetMedian: null, skippedFraction: 0.15, seedsWithNonFinite: 1, spikes: 0 });
    expect(rows[1].finalMean).toBeCloseTo(0.1, 12);
    expect(rows[1]).toMatchObject({ diverged: 0, reached: 1, stepsToTargetMedian: 5, clippedFraction: 0.5 });
  });

  it('should format one table row per condition and spell out non-finite numbers', () => {
    const table = formatTable(summarize([result('none', 1, [1, Number.NaN]), result('zscore', 1, [1, 0.05])]));
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\| none \| 1\/1 \| 0 \(0\/1\) \| — \| NaN \|/);
    expect(lines[3]).toMatch(/^\| zscore \| 0\/1 \| 0 \(0\/1\) \| 0.0500 \(n=1\) \|/);
    expect(fmt(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(fmt(3.6e36)).toBe('3.60e+36');
  });
});
