import { describe, expect, it } from 'vitest';
import { adoption, chooseCandidate, meanRatio, pairedInterval, type RunRecord, type TaskRecords } from '../bench/experiment/study-rules.ts';

function runs(condition: string, scores: number[], diverged: number[] = [], clipped = 0): RunRecord[] {
  return scores.map((s, i) => ({ condition, seed: i + 1, steps: 10, clipped, diverged: diverged.includes(i + 1), pairedScore: s }));
}

function task(name: string, ...groups: RunRecord[][]): TaskRecords {
  return { task: name, runs: groups.flat(), bestFixed: 'fixed' };
}

describe('default-policy study rules', () => {
  it('should average per-seed ratios over the seeds both sides have', () => {
    expect(meanRatio(runs('a', [2, 3, 9]), runs('b', [1, 1]))).toBe(2.5);
  });

  it('should choose by the worse task, only among candidates that never diverged', () => {
    const rnn = task('rnn', runs('fixed', [1, 1]), runs('A', [0.9, 0.9]), runs('B', [1.1, 1.1]), runs('C', [0.5, 0.5], [1]));
    const tf = task('transformer', runs('fixed', [2, 2]), runs('A', [2.6, 2.6]), runs('B', [2.2, 2.2]), runs('C', [1, 1]));
    const { chosen, eligible, scores } = chooseCandidate([rnn, tf], ['A', 'B', 'C']);
    // A: worst 1.3 (transformer); B: worst 1.1; C is the best on both but diverged once.
    expect(eligible).toEqual(['B', 'A']);
    expect(chosen).toBe('B');
    expect(scores.find((s) => s.condition === 'C')?.diverged).toEqual([1, 0]);
  });

  it('should fall back to the fewest diverged seeds when every candidate diverged somewhere, ties to fewer clipped steps', () => {
    const rnn = task('rnn', runs('fixed', [1, 1]), runs('A', [1, 1], [1, 2]), runs('B', [1, 1], [1], 9), runs('C', [1, 1], [2], 3));
    expect(chooseCandidate([rnn], ['A', 'B', 'C']).chosen).toBe('C');
  });

  it('should adopt only when the chosen rule is not worse on every task', () => {
    const same = (n: number): number[] => Array.from({ length: n }, (_, i) => 1 + 0.01 * (i % 3));
    const current = runs('cur', same(10));
    const better = runs('new', same(10).map((s) => s - 0.1));
    const worse = runs('new', same(10).map((s, i) => s + 0.1 + 0.01 * (i % 2)));
    expect(adoption([task('a', current, better), task('b', current, better)], 'new', 'cur').adopt).toBe(true);
    const split = adoption([task('a', current, better), task('b', current, worse)], 'new', 'cur');
    expect(split.adopt).toBe(false);
    expect(split.perTask.map((p) => p.noWorse)).toEqual([true, false]);
    expect(split.perTask[1].difference.lo).toBeGreaterThan(0);
    // Better on average but one more diverged seed: not adopted.
    const diverges = runs('new', same(10).map((s) => s - 0.1), [3]);
    expect(adoption([task('a', current, diverges)], 'new', 'cur').adopt).toBe(false);
  });

  it('should give a t interval around the mean paired difference', () => {
    const i = pairedInterval(runs('a', [1.1, 1.3, 1.2]), runs('b', [1, 1, 1]));
    expect(i.mean).toBeCloseTo(0.2, 12);
    expect(i.hi - i.mean).toBeCloseTo((4.303 * 0.1) / Math.sqrt(3), 12);
    expect(() => pairedInterval(runs('a', [1]), runs('b', [1]))).toThrow(/at least 2 paired seeds/);
  });
});
