// Pure helpers for the per-layer heatmap: decode the layer matrix, scale each layer by its
// own median (layers differ by orders of magnitude), and find the layer that spiked first.
import type { LayerSeries } from '@gradpilot/sdk/protocol';
import { decodeNumber } from '@gradpilot/sdk/protocol';

export interface HeatmapGrid {
  names: string[];
  step: number[];
  bucketSize: number;
  /** values[layer][bucket]: the max, NaN/±Inf kept, null for missing. */
  values: (number | null)[][];
  /**
   * nonFinite[layer][bucket]: the layer's NaN/±Inf norms in the bucket. The max of a bucket
   * with one NaN among numbers is a number, so this is what keeps that NaN visible.
   */
  nonFinite: number[][];
  /** Median of each layer's finite values (1 when it has none). */
  median: number[];
}

export interface FirstSpike {
  layer: number;
  bucket: number;
  step: number;
  ratio: number;
}

/** A bucket whose max is this many times the layer's median counts as a spike. */
export const SPIKE_RATIO = 5;

export function toGrid(ls: LayerSeries): HeatmapGrid {
  const values = ls.max.map((row) =>
    row.map((v) => {
      const n = decodeNumber(v);
      return typeof n === 'number' ? n : null;
    }),
  );
  const median = values.map((row) => {
    const finite = row.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
    if (finite.length === 0) return 1;
    const mid = finite.length >> 1;
    const m = finite.length % 2 ? finite[mid] : (finite[mid - 1] + finite[mid]) / 2;
    return m > 0 ? m : 1;
  });
  // A server before the counts sends none: a non-finite max is all that is known then.
  const nonFinite = values.map((row, l) => row.map((v, b) => ls.nonFinite?.[l]?.[b] ?? (v !== null && !Number.isFinite(v) ? 1 : 0)));
  return { names: ls.names.slice(), step: ls.step.slice(), bucketSize: ls.bucketSize, values, nonFinite, median };
}

/**
 * Steps at the start of a run whose ratio spikes are not reported: at initialisation every
 * layer's norm is far above its later median, so "first to spike: out/b at step 0" named the
 * start of every run. 2 % of the run, at least 20 steps. Non-finite values always count.
 */
export function startToIgnore(runLastStep: number | null): number {
  return Math.max(20, Math.ceil(0.02 * Math.max(0, runLastStep ?? 0)));
}

/**
 * The earliest (layer, bucket) holding a non-finite norm or whose max is >= SPIKE_RATIO × its median;
 * ratio spikes in buckets starting before `ignoreBefore` do not count.
 */
export function firstSpike(g: HeatmapGrid, ignoreBefore = 0): FirstSpike | null {
  let best: FirstSpike | null = null;
  for (let l = 0; l < g.values.length; l++) {
    const row = g.values[l];
    for (let b = 0; b < row.length; b++) {
      const v = row[b];
      if (v === null) continue;
      const ratio = Number.isFinite(v) && !(g.nonFinite[l][b] > 0) ? v / g.median[l] : Number.POSITIVE_INFINITY;
      if (ratio < SPIKE_RATIO) continue;
      if (Number.isFinite(ratio) && g.step[b] < ignoreBefore) continue;
      const step = g.step[b];
      if (!best || step < best.step || (step === best.step && ratio > best.ratio)) {
        best = { layer: l, bucket: b, step, ratio };
      }
      break;
    }
  }
  return best;
}

// Viridis-like stops: low values dark blue, high values yellow.
const STOPS: [number, number, number][] = [
  [68, 1, 84],
  [59, 82, 139],
  [33, 145, 140],
  [94, 201, 98],
  [253, 231, 37],
];

const LUT_SIZE = 256;
let lut: string[] | null = null;

function colorAt(t: number): string {
  const pos = t * (STOPS.length - 1);
  const i = Math.min(STOPS.length - 2, Math.floor(pos));
  const f = pos - i;
  const [a, b] = [STOPS[i], STOPS[i + 1]];
  const c = (k: number) => Math.round(a[k] + (b[k] - a[k]) * f);
  return `rgb(${c(0)},${c(1)},${c(2)})`;
}

/** The ratios the colour scale spans (log2 from -2 to +5), for the colour bar. */
export const SCALE_MIN_LOG2 = -2;
export const SCALE_MAX_LOG2 = 5;

/** CSS gradient of the scale, low to high. */
export function scaleGradient(): string {
  return `linear-gradient(to right, ${STOPS.map(([r, g, b]) => `rgb(${r},${g},${b})`).join(', ')})`;
}

/** Colour for value / median: log2 of the ratio from -2 to +5 spans the scale (a 256-step table). */
export function cellColor(ratio: number): string {
  lut ??= Array.from({ length: LUT_SIZE }, (_, i) => colorAt(i / (LUT_SIZE - 1)));
  const t = Math.min(1, Math.max(0, (Math.log2(Math.max(ratio, 1e-12)) - SCALE_MIN_LOG2) / (SCALE_MAX_LOG2 - SCALE_MIN_LOG2)));
  return lut[Math.round(t * (LUT_SIZE - 1))];
}
