import { describe, expect, it } from 'vitest';
import { parseArgs } from '../bench/experiment/args.ts';
import { conditionsFor, selectConditions } from '../bench/experiment/conditions.ts';
import { bucketMedians, logTicks, renderPlot } from '../bench/experiment/plot.ts';
import type { RunResult } from '../bench/experiment/stats.ts';

describe('experiment plot', () => {
  it('should reduce a series to bucket medians, keeping NaN buckets off the chart', () => {
    const { x, y } = bucketMedians([1, 2, 3, Number.NaN, Number.NaN, 4], 2);
    expect(x).toEqual([1, 4]);
    expect(y).toEqual([2, Number.POSITIVE_INFINITY]);
  });

  it('should grid a log axis by decades when it spans them, and by round steps inside one', () => {
    expect(logTicks(0.01, 10).map((t) => t.label)).toEqual(['1e-2', '1e-1', '1e0', '1e1']);
    expect(logTicks(1.8, 4.5).map((t) => t.label)).toEqual(['2.0', '2.5', '3.0', '3.5', '4.0', '4.5']);
    expect(logTicks(0.02, 0.3).map((t) => t.value)).toEqual([0.05, 0.1, 0.15, 0.2, 0.25, 0.3]);
  });

  it('should render a self-contained page with one panel per condition', () => {
    const run = (condition: string, seed: number): RunResult => ({
      condition, seed, runId: 'r', steps: 4, trainLoss: [1, 0.5, Number.NaN, 0.2], gradNorm: [1, 1, 1, 1],
      evalSteps: [0, 4], evalLoss: [1, 0.2], clipped: 0, skipped: 0, nonFinite: 1, seconds: 0,
    });
    const html = renderPlot([run('none', 1), run('none', 2), run('fixed <1>', 1)], { title: 'T', caption: ['c'], targetLoss: 0.1 });
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script|src=|href=/);
    expect(html.match(/aria-label="/g)).toHaveLength(3);
    expect(html).toContain('fixed &lt;1&gt;');
    expect(html).not.toContain('NaN,');
  });
});

describe('experiment arguments', () => {
  it('should default to the full experiment and accept counts, lists and = forms', () => {
    const full = parseArgs([]);
    expect(full).toMatchObject({ task: 'rnn', quick: false, url: null, steps: 1000, project: 'adding-problem', conditions: null, lr: null, workers: 2, threads: 1 });
    expect(full.out).toMatch(/experiment\/results\/rnn$/);
    const t = parseArgs(['--task', 'transformer', '--conditions', 'none, fixed-1', '--lr=0.03', '--workers', '1', '--threads', '2']);
    expect(t).toMatchObject({ task: 'transformer', steps: 1000, project: 'char-transformer', conditions: ['none', 'fixed-1'], lr: 0.03, workers: 1, threads: 2 });
    expect(parseArgs(['--task', 'transformer', '--quick']).steps).toBe(12);
    expect(full.seeds).toEqual([1, 2, 3, 4, 5]);
    expect(parseArgs(['--quick']).seeds).toEqual([1, 2]);
    expect(parseArgs(['--seeds', '3']).seeds).toEqual([1, 2, 3]);
    expect(parseArgs(['--seeds=4,9']).seeds).toEqual([4, 9]);
    expect(parseArgs(['--steps', '50', '--url', 'http://127.0.0.1:1']).steps).toBe(50);
  });

  it('should name the flag and what it expects on bad input', () => {
    expect(() => parseArgs(['--steps', '0'])).toThrow(/"--steps" to be a positive integer/);
    expect(() => parseArgs(['--seeds', '1,x'])).toThrow(/"--seeds"/);
    expect(() => parseArgs(['--url', 'localhost'])).toThrow(/"--url" to be an http/);
    expect(() => parseArgs(['--seed', '3'])).toThrow(/Unknown option "--seed"/);
    expect(() => parseArgs(['--task', 'cnn'])).toThrow(/"--task" to be one of rnn, transformer, got "cnn"/);
    expect(() => parseArgs(['--lr', '-1'])).toThrow(/"--lr" to be a positive number/);
    expect(parseArgs(['--override', '{"norm":"post","beta2":0.999}']).override).toEqual({ norm: 'post', beta2: 0.999 });
    expect(() => parseArgs(['--override', '[1]'])).toThrow(/"--override" to be a JSON object of numbers and strings/);
    expect(() => parseArgs(['--override', '{"lr":true}'])).toThrow(/"--override"/);
    expect(() => parseArgs(['--conditions', ','])).toThrow(/"--conditions" to be a comma-separated list/);
    expect(() => selectConditions(conditionsFor([1]), ['none', 'fixed-2'])).toThrow(/Unknown condition "fixed-2" in "--conditions"\. Expected ids among: none, fixed-1, p10/);
    expect(selectConditions(conditionsFor([1, 3]), ['fixed-3', 'none']).map((c) => c.id)).toEqual(['none', 'fixed-3']);
  });
});
