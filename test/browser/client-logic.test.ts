// The dashboard's pure logic (no DOM): decoding series, live appends, what-if alignment,
// heatmap spike detection, routes, policy text.
import { describe, expect, it } from 'vitest';
import { normalizePolicyState } from '../../client/src/api.ts';
import { firstSpike, startToIgnore, toGrid } from '../../client/src/charts/heatmap-model.ts';
import { clipWindow, rollingClipFraction } from '../../client/src/charts/clip-fraction.ts';
import { decadesSpanned } from '../../client/src/charts/log-scale.ts';
import { clusterMarkers } from '../../client/src/charts/marker-clusters.ts';
import { mergeNearSpans, nonFiniteSpans } from '../../client/src/charts/nonfinite-spans.ts';
import { parseRoute } from '../../client/src/router.ts';
import { emaOverSteps } from '../../client/src/smoothing.ts';
import { alignWhatIf, appendLive, floorIndex, fromStepSeries } from '../../client/src/series.ts';
import { describeAcks, describePolicy } from '../../client/src/views/policy-panel.ts';
import { suggestCap, warmupWithoutThreshold } from '../../client/src/views/warmup-warning.ts';
import type { LayerSeries, PolicyVersion, StepSeries } from '../../sdk/protocol/api-types.ts';
import { fmtRelative, makeXMap, relativeTicks, STEP_MAP, timeValues, xAxisOf } from '../../client/src/x-axis.ts';
import type { WireNumber } from '../../sdk/protocol/wire-number.ts';

function col(values: WireNumber[]) {
  return { min: values, max: values, last: values };
}

function rawSeries(norms: WireNumber[]): StepSeries {
  const step = norms.map((_, i) => i);
  return {
    runId: 'r',
    from: 0,
    to: norms.length - 1,
    bucketSize: 1,
    step,
    lastStep: step,
    time: step.map((i) => 1_764_590_400_000 + i * 1000),
    startTime: 1_764_590_400_000,
    count: step.map(() => 1),
    nonFinite: norms.map((n) => (typeof n === 'string' ? 1 : 0)),
    clipped: step.map(() => 0),
    skipped: step.map(() => 0),
    gradNorm: col(norms),
    loss: col(norms.map(() => 1)),
    lr: col(norms.map(() => null)),
    threshold: col(norms.map(() => 2)),
    coef: col(norms.map(() => 1)),
  };
}

const percentile = {
  kind: 'percentile' as const,
  p: 10,
  window: null,
  warmupSteps: 0,
  maxNorm: null,
  minThreshold: null,
  maxThreshold: null,
  onNonFinite: 'skip' as const,
  skipOnSpike: false,
  spikeZ: 6,
  explosionFactor: 10,
};

function version(v: number, acks: PolicyVersion['acks'] = []): PolicyVersion {
  return { version: v, effectiveStep: v * 100, policy: percentile, createdAt: '2026-01-01T00:00:00Z', author: 'api', acks };
}

describe('series decoding', () => {
  it('should turn non-finite norms into gaps for uPlot but keep them as markers and raw values', () => {
    const s = fromStepSeries(rawSeries([1, 'NaN', 'Infinity', 2]));
    expect(s.normLast).toEqual([1, null, null, 2]);
    expect(s.nonFinite).toEqual([0, 1, 1, 0]);
    expect(Number.isNaN(s.normLastRaw[1])).toBe(true);
    expect(s.normLastRaw[2]).toBe(Number.POSITIVE_INFINITY);
    expect(s.lr).toEqual([null, null, null, null]);
  });

  it('should mark a raw NaN row even when the nonFinite count says 0', () => {
    const series = rawSeries([1, 'NaN']);
    series.nonFinite = [0, 0];
    expect(fromStepSeries(series).nonFinite).toEqual([0, 1]);
  });

  it('should append live steps after the last one, skipping resent and out-of-range steps', () => {
    const s = fromStepSeries(rawSeries([1, 2]));
    const appended = appendLive(
      s,
      {
        runId: 'r',
        step: [1, 2, 3, 9],
        gradNorm: [5, 'NaN', 3, 4],
        loss: [null, null, null, null],
        lr: [null, null, null, null],
        threshold: [2, 2, 2, 2],
        coef: [1, 0, 0.6, 0.5],
        action: ['clip', 'skip', 'clip', 'clip'],
        time: [1, 2, 3, 9].map((i) => 1_764_590_400_000 + i * 1000),
      },
      3,
    );
    expect(appended).toBe(2);
    expect(s.step).toEqual([0, 1, 2, 3]);
    expect(s.normLast).toEqual([1, 2, null, 3]);
    expect(s.nonFinite).toEqual([0, 0, 1, 0]);
    expect(s.skipped).toEqual([0, 0, 1, 0]);
    expect(s.clipped).toEqual([0, 0, 0, 1]);
  });

  it('should align a what-if threshold onto the chart steps by the last bucket at or before each step', () => {
    expect(floorIndex([0, 10, 20], 15)).toBe(1);
    expect(floorIndex([0, 10, 20], -1)).toBe(-1);
    expect(alignWhatIf([0, 5, 10, 25], { step: [0, 10, 20], threshold: [1, 2, 3] })).toEqual([1, 1, 2, 3]);
    expect(alignWhatIf([0, 5], null)).toEqual([null, null]);
  });
});

describe('chart scales', () => {
  it('should measure the decades the positive norms span, ignoring zeros, gaps and entries past n', () => {
    expect(decadesSpanned([[0.5, 2, null, 0], [50]], 4)).toBeCloseTo(2);
    expect(decadesSpanned([[0.5, 2, null, 0, 500]], 4)).toBeCloseTo(Math.log10(2 / 0.5));
    expect(decadesSpanned([[0.5, 2], [500, 0.01]], 2)).toBeCloseTo(Math.log10(500 / 0.01));
    expect(decadesSpanned([[null, 0]], 2)).toBe(0);
  });
});

describe('diverged runs', () => {
  it('should make one span of each run of adjacent non-finite buckets, with their count', () => {
    const s = { step: [0, 1, 2, 3, 4, 10, 20], lastStep: [0, 1, 2, 3, 9, 19, 29] };
    const counts = [0, 1, 1, 0, 2, 3, 0];
    expect(nonFiniteSpans(s, (i) => counts[i])).toEqual([
      { from: 1, to: 2, count: 2, i0: 1, i1: 2 },
      { from: 4, to: 19, count: 5, i0: 4, i1: 5 },
    ]);
    // Closer than 3 px on screen (here 1 step = 1 px): one span.
    expect(mergeNearSpans(nonFiniteSpans(s, (i) => counts[i]), (x) => x, 3)).toEqual([{ from: 1, to: 19, count: 7, i0: 1, i1: 5 }]);
    expect(mergeNearSpans(nonFiniteSpans(s, (i) => counts[i]), (x) => 10 * x, 3)).toHaveLength(2);
  });

  it('should merge markers of one kind closer than the given pixels, counting them, and leave lone ones alone', () => {
    const m = (x: number, kind: string) => ({ x, kind, testid: 't', title: `${kind} ${x}` });
    const zooms: number[][] = [];
    const out = clusterMarkers([m(10, 'spike'), m(12, 'spike'), m(11, 'explosion'), m(40, 'spike'), m(13, 'spike')], (x) => x, 5, (a, b) => zooms.push([a, b]));
    const spikes = out.filter((o) => o.kind === 'spike');
    expect(spikes.map((o) => [o.x, o.count ?? 1])).toEqual([[10, 3], [40, 1]]);
    expect(spikes[0].title).toBe('3 spike markers in steps 10–13 · click to zoom in');
    expect(out.find((o) => o.kind === 'explosion')).toEqual(m(11, 'explosion'));
    spikes[0].onClick?.();
    expect(zooms).toEqual([[10, 13]]);
  });
});

describe('EMA smoothing', () => {
  it('should equal TensorBoard\'s debiased EMA on consecutive steps, skipping non-finite values', () => {
    const values = [1, 3, null, 2, Number.NaN, 5, 4];
    const steps = [0, 1, 2, 3, 4, 5, 6];
    const halfLife = 3;
    const w = 0.5 ** (1 / halfLife);
    // TensorBoard's smoothing (vz_line_chart): last = last * w + (1 - w) * v; smoothed = last / (1 - w^n).
    let last = 0;
    let n = 0;
    let prev = -1;
    const expected = values.map((v, i) => {
      if (v === null || !Number.isFinite(v)) return null;
      // A skipped point's step still passes: the next value stands for both steps.
      const k = prev < 0 ? 1 : steps[i] - prev;
      prev = steps[i];
      last = last * w ** k + (1 - w ** k) * v;
      n += k;
      return last / (1 - w ** n);
    });
    const got = emaOverSteps(steps, values, halfLife);
    got.forEach((g, i) => (expected[i] === null ? expect(g).toBeNull() : expect(g).toBeCloseTo(expected[i]!, 12)));
    expect(emaOverSteps(steps, values, 0)).toEqual(values);
  });

  it('should give the same curve from buckets as from the raw steps they hold (weights per step, not per point)', () => {
    // Blocks of 10 steps with one value each: raw, and as buckets whose value stands at the last step.
    const blocks = [2, 5, 1, 8, 3, 3, 9];
    const rawSteps = blocks.flatMap((_, b) => Array.from({ length: 10 }, (_, j) => 10 * b + j));
    const raw = emaOverSteps(rawSteps, blocks.flatMap((v) => Array<number>(10).fill(v)), 25);
    const bucketed = emaOverSteps(blocks.map((_, b) => 10 * b + 9), blocks, 25, blocks.length, 10);
    bucketed.forEach((v, b) => expect(v).toBeCloseTo(raw[10 * b + 9]!, 12));
  });
});

describe('clipped fraction', () => {
  it('should be clipped over finite steps in a rolling window of steps, whatever the bucket size', () => {
    // Raw steps 0..5: clipped at 1, 2 and 3; step 4 non-finite; window 3 steps.
    const raw = { lastStep: [0, 1, 2, 3, 4, 5], count: [1, 1, 1, 1, 1, 1], nonFinite: [0, 0, 0, 0, 1, 0], clipped: [0, 1, 1, 1, 0, 0] };
    expect(rollingClipFraction(raw, 3)).toEqual([0, 1 / 2, 2 / 3, 1, 1, 1 / 2]);
    // Buckets of 10 steps, window 20: the last two buckets each.
    const buckets = { lastStep: [9, 19, 29], count: [10, 10, 10], nonFinite: [0, 5, 10], clipped: [2, 5, 0] };
    expect(rollingClipFraction(buckets, 20)).toEqual([2 / 10, 7 / 15, 5 / 5]);
    expect(rollingClipFraction({ lastStep: [0], count: [1], nonFinite: [1], clipped: [0] }, 3)).toEqual([null]);
    expect([clipWindow(1), clipWindow(50)]).toEqual([100, 500]);
  });
});

/** Layer series with the non-finite counts raw rows would have (1 where the max is not a number). */
function layerSeries(s: Omit<LayerSeries, 'nonFinite'>): LayerSeries {
  return { ...s, nonFinite: s.max.map((row) => row.map((v) => (typeof v === 'string' ? 1 : 0))) };
}

describe('per-layer heatmap', () => {
  it('should name the layer whose norm jumped first relative to its own median', () => {
    const grid = toGrid(
      layerSeries({
        runId: 'r',
        bucketSize: 10,
        step: [0, 10, 20, 30, 40],
        names: ['a', 'b', 'c'],
        max: [
          [1, 1, 1, 50, 1],
          [100, 100, 800, 100, 100],
          [1, 1, 1, 1, 1],
        ],
      }),
    );
    expect(grid.median).toEqual([1, 100, 1]);
    expect(firstSpike(grid)).toEqual({ layer: 1, bucket: 2, step: 20, ratio: 8 });
  });

  it('should count a non-finite layer norm as a spike and report none for a calm range', () => {
    const nan = toGrid(layerSeries({ runId: 'r', bucketSize: 1, step: [0, 1], names: ['a', 'b'], max: [[1, 1], ['NaN', 1]] }));
    expect(firstSpike(nan)).toMatchObject({ layer: 1, step: 0 });
    const calm = toGrid(layerSeries({ runId: 'r', bucketSize: 1, step: [0, 1], names: ['a'], max: [[1, 2]] }));
    expect(firstSpike(calm)).toBeNull();
  });

  it('should not name the start of training as the first spike, but still a NaN there', () => {
    const grid = toGrid(layerSeries({ runId: 'r', bucketSize: 10, step: [0, 10, 20, 30, 40], names: ['a', 'b'], max: [[50, 1, 1, 1, 1], [1, 1, 1, 9, 1]] }));
    expect(firstSpike(grid)).toMatchObject({ layer: 0, step: 0 });
    expect(firstSpike(grid, 20)).toMatchObject({ layer: 1, step: 30 });
    const nan = toGrid(layerSeries({ runId: 'r', bucketSize: 10, step: [0, 10], names: ['a'], max: [['NaN', 1]] }));
    expect(firstSpike(nan, 20)).toMatchObject({ layer: 0, step: 0 });
    expect([startToIgnore(null), startToIgnore(999), startToIgnore(1_000_000)]).toEqual([20, 20, 20_000]);
  });
});

describe('routes and policy text', () => {
  it('should parse deep links', () => {
    expect(parseRoute('#/runs/abc')).toEqual({ name: 'run', runId: 'abc' });
    expect(parseRoute('#/runs/a%20b/')).toEqual({ name: 'run', runId: 'a b' });
    expect(parseRoute('#/compare/a,b')).toEqual({ name: 'compare', runIds: ['a', 'b'] });
    expect(parseRoute('')).toEqual({ name: 'runs' });
    expect(parseRoute('#/nonsense')).toEqual({ name: 'runs' });
  });

  it('should describe a policy by its own parameters and the SDK acks by rank', () => {
    expect(describePolicy(percentile)).toBe('percentile p=10 window=full warmupSteps=0');
    expect(describePolicy({ ...percentile, maxNorm: 5 })).toBe('percentile p=10 window=full warmupSteps=0 maxNorm=5');
    expect(describePolicy({ ...percentile, coefRule: 'gradpilot' })).toBe('percentile p=10 window=full warmupSteps=0');
    expect(describePolicy({ ...percentile, coefRule: 'torch' })).toBe('percentile p=10 window=full warmupSteps=0 coefRule=torch');
    expect(describeAcks(version(2))).toBe('no SDK ack yet');
    expect(
      describeAcks(
        version(2, [
          { rank: 1, appliedAtStep: 250, late: true, at: '' },
          { rank: 0, appliedAtStep: 200, late: false, at: '' },
        ]),
      ),
    ).toBe('rank 0 @ step 200, rank 1 @ step 250 (late)');
  });

  it('should count the warm-up steps without threshold a policy switch starts, as the controller does', () => {
    const zscore = { ...percentile, kind: 'zscore' as const } as unknown as typeof percentile;
    expect(warmupWithoutThreshold({ kind: 'zscore' }, { current: percentile, finiteSteps: 300 })).toBe(25);
    expect(warmupWithoutThreshold({ kind: 'zscore', warmupSteps: 40 }, { current: percentile, finiteSteps: 300 })).toBe(40);
    expect(warmupWithoutThreshold({ kind: 'zscore', maxNorm: 2 }, { current: percentile, finiteSteps: 300 })).toBe(0);
    // zscore -> zscore keeps the statistics; percentile counts the run's finite norms.
    expect(warmupWithoutThreshold({ kind: 'zscore' }, { current: zscore, finiteSteps: 0 })).toBe(0);
    expect(warmupWithoutThreshold({ kind: 'percentile', warmupSteps: 1000 }, { current: zscore, finiteSteps: 301 })).toBe(699);
    expect(warmupWithoutThreshold({ kind: 'percentile' }, { current: zscore, finiteSteps: 0 })).toBe(0);
    expect(warmupWithoutThreshold({ kind: 'fixed' }, { current: percentile, finiteSteps: 0 })).toBe(0);
    expect(suggestCap([2, 2.345678, null], [])).toBe(2.35);
    expect(suggestCap([null], [1, 3, 2, Number.NaN])).toBe(4);
    expect(suggestCap([], [])).toBeNull();
  });

  it('should accept the policy as current + history in any order, or as a bare version', () => {
    expect(normalizePolicyState({ current: version(2), history: [version(2), version(1)] }).history.map((v) => v.version)).toEqual([1, 2]);
    expect(normalizePolicyState(version(3))).toEqual({ current: version(3), history: [version(3)] });
    expect(normalizePolicyState([version(1), version(2)]).current.version).toBe(2);
  });
});

describe('x axis', () => {
  const T = 1_764_590_400_000;
  it('should turn bucket times into ascending x values: seconds since the run start, or ms; a missing time takes the previous one', () => {
    const s = { step: [0, 10, 20, 30, 40], time: [null, T + 1000, T + 500, null, T + 9000], startTime: T };
    // step 20's time is earlier than step 10's (a late resend): x holds, never goes back.
    expect(timeValues(s, 'relative', 5)).toEqual([1, 1, 1, 1, 9]);
    expect(timeValues(s, 'wall', 5)).toEqual([T + 1000, T + 1000, T + 1000, T + 1000, T + 9000]);
    expect(timeValues({ step: [0, 1], time: [null, null], startTime: null }, 'wall', 2)).toBeNull();
    expect(xAxisOf({ step: [0, 1], time: [null, null], startTime: null }, 'relative', 2)).toEqual({ x: [0, 1], map: STEP_MAP });
  });

  it('should map steps to x and back, piecewise linear, past the ends too', () => {
    const map = makeXMap('relative', [0, 100, 200], [0, 10, 1000]);
    expect([map.toX(50), map.toX(150), map.toX(300)]).toEqual([5, 505, 1990]);
    expect([map.toStep(5), map.toStep(505), map.toStep(1990)]).toEqual([50, 150, 300]);
    expect(STEP_MAP.toX(42)).toBe(42);
  });

  it('should write relative times as durations and tick them at round ones', () => {
    expect([0, 0.5, 45, 150, 3900, 200_000].map(fmtRelative)).toEqual(['0 s', '0.5 s', '45 s', '2.5 min', '65 min', '2 d 07 h']);
    expect(relativeTicks(0, 1199, 4)).toEqual([0, 300, 600, 900]);
  });
});
