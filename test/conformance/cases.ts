// The conformance corpus: which policies over which input streams, with which policy changes
// and at which steps the state is saved. write-fixtures.ts runs the TS controller over each
// case and commits the result; the Python suite (test/python/test_controller_conformance.py)
// and conformance.test.ts replay it.

import { mulberry32 } from '../support/random.ts';
import { spikySeries } from '../controller/series.ts';

export interface ConformanceCase {
  name: string;
  about: string;
  policy: Record<string, unknown>;
  /** Set before deciding `step`. */
  changes: { step: number; policy: Record<string, unknown> }[];
  gradNorm: number[];
  /** Steps that are given a loss; all others are decided without one. */
  loss: [number, number][];
  /** The state is saved right after deciding these steps. */
  stateAfter: number[];
}

const N = 260;

/** Few distinct values and exact zeros: ties everywhere in the order statistics. */
function ties(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => (i === 60 || i === 61 ? Number.NaN : Math.floor(r() * 5) * 0.25));
}

/** Norms around 1e-7, where torch's coefficient and ours differ the most. */
function tiny(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => 1e-7 * (0.5 + r()) * (r() < 0.05 ? 30 : 1) * (i > n / 2 ? 3 : 1));
}

/** Huge norms that overflow the variance (Infinity, then NaN statistics), and NaN/±Inf bursts. */
function overflow(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    if (i === 3 || i === 140) return 1e300;
    if (i === 4) return 1e-300;
    if (i >= 200 && i < 206) return [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY][i % 3];
    return 1 + r();
  });
}

/** A flat run, a level shift up by 20x and back, and a burst of spikes. */
function levelShift(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => {
    const level = i >= 100 && i < 180 ? 20 : 1;
    const burst = i >= 240 && i < 250 && i % 2 === 0 ? 50 : 1;
    return level * burst * (0.9 + 0.2 * r());
  });
}

/** Values spread over 16 decades: numpy's lerp and the textbook one part ways in the last bit. */
function wide(n: number, seed: number): number[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => r() * 10 ** (Math.floor(r() * 17) - 8));
}

const lossNaN: [number, number][] = [
  [30, Number.NaN],
  [31, 2.5],
  [150, Number.POSITIVE_INFINITY],
  [151, 0.1],
];

export const CASES: ConformanceCase[] = [
  {
    name: 'percentile-default',
    about: 'AutoClip with the paper defaults (p 10, full history) over a spiky stream with NaN/±Inf steps',
    policy: { kind: 'percentile' },
    changes: [],
    gradNorm: spikySeries(N, 101),
    loss: [],
    stateAfter: [0, 39, 200],
  },
  {
    name: 'percentile-window-warmup-bounds',
    about: 'window 50, warm-up 30, minThreshold and maxNorm',
    policy: { kind: 'percentile', p: 25, window: 50, warmupSteps: 30, maxNorm: 3, minThreshold: 1.1 },
    changes: [],
    gradNorm: spikySeries(N, 102),
    loss: lossNaN,
    stateAfter: [29, 160],
  },
  {
    name: 'percentile-window1-clip-nonfinite',
    about: 'p 90 over a window of one norm, onNonFinite clip',
    policy: { kind: 'percentile', p: 90, window: 1, onNonFinite: 'clip' },
    changes: [],
    gradNorm: spikySeries(N, 103),
    loss: [],
    stateAfter: [41, 230],
  },
  {
    name: 'percentile-ties-fractional-p',
    about: 'ties and zeros, p 33.333333333333336 over a window of 17, then p 100 - 1e-12 over the full history',
    policy: { kind: 'percentile', p: 33.333333333333336, window: 17 },
    changes: [{ step: 180, policy: { kind: 'percentile', p: 100 - 1e-12 } }],
    gradNorm: ties(N, 104),
    loss: [],
    stateAfter: [70, 179, 180],
  },
  {
    name: 'percentile-wide-range',
    about: "values over 16 decades, where b - d(1 - g) and a + d g differ: numpy's lerp exactly",
    policy: { kind: 'percentile', p: 37.1, window: 30 },
    changes: [{ step: 150, policy: { kind: 'percentile', p: 66.7 } }],
    gradNorm: wide(N, 114),
    loss: [],
    stateAfter: [149, 200],
  },
  {
    name: 'percentile-p-and-window-changes',
    about: 'p 0, then p 100 (same tree), then window 7 (a new one), then the full history with maxThreshold',
    policy: { kind: 'percentile', p: 0 },
    changes: [
      { step: 100, policy: { kind: 'percentile', p: 100 } },
      { step: 170, policy: { kind: 'percentile', p: 50, window: 7 } },
      { step: 230, policy: { kind: 'percentile', p: 75, maxThreshold: 2 } },
    ],
    gradNorm: levelShift(N, 105),
    loss: [],
    stateAfter: [99, 171, 240],
  },
  {
    name: 'zscore-default',
    about: 'ZClip with its defaults',
    policy: { kind: 'zscore' },
    changes: [],
    gradNorm: spikySeries(N, 106),
    loss: lossNaN,
    stateAfter: [10, 24, 25, 210],
  },
  {
    name: 'zscore-mean-no-update-maxnorm-raise',
    about: 'clipOption mean, updateStatsOnSpike false, maxNorm 2, onNonFinite raise',
    policy: { kind: 'zscore', clipOption: 'mean', updateStatsOnSpike: false, maxNorm: 2, onNonFinite: 'raise' },
    changes: [],
    gradNorm: spikySeries(N, 107),
    loss: [],
    stateAfter: [155, 240],
  },
  {
    name: 'zscore-bounds-alpha',
    about: 'warm-up 5, alpha 0.9, z 2, clipFactor 0.9, minThreshold 1.7, maxThreshold 3',
    policy: { kind: 'zscore', warmupSteps: 5, clipFactor: 0.9, alpha: 0.9, z: 2, minThreshold: 1.7, maxThreshold: 3 },
    changes: [],
    gradNorm: levelShift(N, 108),
    loss: [],
    stateAfter: [4, 120],
  },
  {
    name: 'zscore-overflow',
    about: 'norms of 1e300 overflow the variance to Infinity and the statistics to NaN; wire strings in the state',
    policy: { kind: 'zscore', warmupSteps: 2 },
    changes: [],
    gradNorm: overflow(N, 109),
    loss: [],
    stateAfter: [5, 141, 203],
  },
  {
    name: 'fixed-skip-on-spike',
    about: "clip_grad_norm_'s fixed threshold with skipOnSpike",
    policy: { kind: 'fixed', maxNorm: 1.2, skipOnSpike: true },
    changes: [],
    gradNorm: spikySeries(N, 110),
    loss: lossNaN,
    stateAfter: [19, 20, 155],
  },
  {
    name: 'off-and-capped-off',
    about: 'observe only, then maxNorm 5 with a stricter detector (spikeZ 3, explosionFactor 4)',
    policy: { kind: 'off' },
    changes: [{ step: 150, policy: { kind: 'off', maxNorm: 5, spikeZ: 3, explosionFactor: 4 } }],
    gradNorm: levelShift(N, 111),
    loss: [],
    stateAfter: [149, 240],
  },
  {
    name: 'torch-coef-tiny-norms',
    about: "coefRule torch over norms near 1e-7, percentile then fixed at 2e-7",
    policy: { kind: 'percentile', p: 50, coefRule: 'torch' },
    changes: [{ step: 200, policy: { kind: 'fixed', maxNorm: 2e-7, coefRule: 'torch' } }],
    gradNorm: tiny(N, 112),
    loss: [],
    stateAfter: [100, 230],
  },
  {
    name: 'changes-across-kinds',
    about: 'zscore -> percentile window 100 -> zscore (new warm-up) -> zscore with a shorter warm-up -> fixed -> percentile',
    policy: { kind: 'zscore', warmupSteps: 10 },
    changes: [
      { step: 100, policy: { kind: 'percentile', p: 30, window: 100 } },
      { step: 160, policy: { kind: 'zscore', warmupSteps: 40, z: 3 } },
      { step: 180, policy: { kind: 'zscore', warmupSteps: 8, coefRule: 'torch' } },
      { step: 220, policy: { kind: 'fixed', maxNorm: 1.5 } },
      { step: 240, policy: { kind: 'percentile', p: 10, warmupSteps: 400 } },
    ],
    gradNorm: spikySeries(N, 113),
    loss: lossNaN,
    stateAfter: [99, 170, 185, 245],
  },
];
