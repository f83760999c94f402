import { describe, expect, it } from 'vitest';
import { isDiverged, mean, median, sd, stepsToTarget, summarize, type RunResult } from '../bench/experiment/stats.ts';
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
    expect(rows[0]).toMatchObject({ seeds: 2, diverged: 1, finalMean: 0.3, finalSd: 0, reached: 0, stepsToTargetMedian: null, skippedFraction: 0.15, seedsWithNonFinite: 1 });
    expect(rows[1].finalMean).toBeCloseTo(0.1, 12);
    expect(rows[1]).toMatchObject({ diverged: 0, reached: 1, stepsToTargetMedian: 5, clippedFraction: 0.5 });
  });

  it('should format one table row per condition and spell out non-finite numbers', () => {
    const table = formatTable(summarize([result('none', 1, [1, Number.NaN]), result('zscore', 1, [1, 0.05])]));
    const lines = table.split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toMatch(/^\| none \| 1\/1 \| — \| NaN \|/);
    expect(lines[3]).toMatch(/^\| zscore \| 0\/1 \| 0.0500 \(n=1\) \|/);
    expect(fmt(Number.POSITIVE_INFINITY)).toBe('Infinity');
    expect(fmt(3.6e36)).toBe('3.60e+36');
  });
});
