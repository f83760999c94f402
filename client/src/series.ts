// The run's step series as the charts use it: plain columns indexed by bucket, non-finite
// values turned into null (uPlot cannot scale NaN) with the fact kept in `nonFinite` so it
// is drawn as a marker. Live steps are appended as one-step buckets.
import type { BucketColumn, StepSeries } from '@gradpilot/sdk/protocol';
import type { LiveSteps } from '@gradpilot/sdk/protocol';
import { decodeNumber, type WireNumber } from '@gradpilot/sdk/protocol';

export type Col = (number | null)[];

export interface PlotSeries {
  bucketSize: number;
  step: number[];
  lastStep: number[];
  /** Wall-clock ms of each bucket's first step (null: none stored), for the time axes. */
  time: (number | null)[];
  /** Wall-clock ms of the run's first step. */
  startTime: number | null;
  count: number[];
  nonFinite: number[];
  clipped: number[];
  skipped: number[];
  normMin: Col;
  normMax: Col;
  normLast: Col;
  /** The raw decoded last gradNorm per bucket, NaN/±Inf kept (for hover text). */
  normLastRaw: (number | null)[];
  loss: Col;
  /** 1 where the bucket's loss min, max or last is NaN/±Inf (a lone NaN among finite losses inside a bucket is not seen). */
  lossNonFinite: number[];
  lr: Col;
  threshold: Col;
  coefMin: Col;
}

export function emptySeries(): PlotSeries {
  return {
    bucketSize: 1,
    step: [],
    lastStep: [],
    time: [],
    startTime: null,
    count: [],
    nonFinite: [],
    clipped: [],
    skipped: [],
    normMin: [],
    normMax: [],
    normLast: [],
    normLastRaw: [],
    loss: [],
    lossNonFinite: [],
    lr: [],
    threshold: [],
    coefMin: [],
  };
}

/** A wire number as a plottable value: null for missing, NaN and ±Infinity. */
export function plottable(value: WireNumber | undefined): number | null {
  const n = decodeNumber(value ?? null);
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function column(values: WireNumber[] | undefined, length: number): Col {
  const out: Col = new Array(length);
  for (let i = 0; i < length; i++) out[i] = plottable(values?.[i]);
  return out;
}

/** In the REST API's JSON a non-finite number is always a string ("NaN", "Infinity", "-Infinity"). */
const isNonFinite = (v: WireNumber | undefined): boolean => typeof v === 'string' && (v === 'NaN' || v === 'Infinity' || v === '-Infinity');

/**
 * Non-finite values per bucket, as far as min/max/last tell: min and max are NaN only when
 * the bucket held no number at all (then all its steps count), else 1 when min, max or last
 * is NaN/±Inf.
 */
function nonFiniteFlags(col: BucketColumn | undefined, count: number[] | undefined, length: number): number[] {
  const out = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    if (!col) out[i] = 0;
    else if (isNaNWire(col.min[i]) && isNaNWire(col.max[i])) out[i] = count?.[i] ?? 1;
    else out[i] = isNonFinite(col.min[i]) || isNonFinite(col.max[i]) || isNonFinite(col.last[i]) ? 1 : 0;
  }
  return out;
}

const isNaNWire = (v: WireNumber | undefined): boolean => v === 'NaN';

function bucket(col: BucketColumn | undefined, key: keyof BucketColumn, length: number): Col {
  return column(col?.[key], length);
}

export function fromStepSeries(s: StepSeries): PlotSeries {
  const n = s.step.length;
  const normLastRaw: (number | null)[] = new Array(n);
  const nonFinite = s.nonFinite ? s.nonFinite.slice() : new Array<number>(n).fill(0);
  for (let i = 0; i < n; i++) {
    const v = decodeNumber(s.gradNorm.last[i] ?? null);
    normLastRaw[i] = typeof v === 'number' ? v : null;
    // A raw NaN row must be marked even if the server's count column were missing.
    if (typeof v === 'number' && !Number.isFinite(v) && !(nonFinite[i] > 0)) nonFinite[i] = 1;
  }
  return {
    bucketSize: s.bucketSize,
    step: s.step.slice(),
    lastStep: s.lastStep ? s.lastStep.slice() : s.step.slice(),
    time: s.time ? s.time.slice() : new Array<number | null>(n).fill(null),
    startTime: s.startTime ?? null,
    count: s.count ? s.count.slice() : new Array<number>(n).fill(1),
    nonFinite,
    clipped: s.clipped ? s.clipped.slice() : new Array<number>(n).fill(0),
    skipped: s.skipped ? s.skipped.slice() : new Array<number>(n).fill(0),
    normMin: bucket(s.gradNorm, 'min', n),
    normMax: bucket(s.gradNorm, 'max', n),
    normLast: bucket(s.gradNorm, 'last', n),
    normLastRaw,
    loss: bucket(s.loss, 'last', n),
    lossNonFinite: nonFiniteFlags(s.loss, s.count, n),
    lr: bucket(s.lr, 'last', n),
    threshold: bucket(s.threshold, 'last', n),
    coefMin: bucket(s.coef, 'min', n),
  };
}

/**
 * Appends live raw steps after the last bucket. Steps at or before the last one already
 * held are skipped (a resend, or a step the last fetch already covered). Returns how many
 * were appended.
 */
export function appendLive(s: PlotSeries, live: LiveSteps, toStep = Number.POSITIVE_INFINITY): number {
  let appended = 0;
  let last = s.lastStep.length > 0 ? s.lastStep[s.lastStep.length - 1] : -1;
  for (let i = 0; i < live.step.length; i++) {
    const step = live.step[i];
    if (step <= last || step > toStep) continue;
    last = step;
    const raw = decodeNumber(live.gradNorm[i] ?? null);
    const norm = typeof raw === 'number' && Number.isFinite(raw) ? raw : null;
    const action = live.action?.[i] ?? null;
    s.step.push(step);
    s.lastStep.push(step);
    s.time.push(live.time?.[i] ?? null);
    // A run's first steps may come live: they start the relative time.
    if (s.startTime === null && s.step.length === 1) s.startTime = live.time?.[i] ?? null;
    s.count.push(1);
    s.nonFinite.push(typeof raw === 'number' && !Number.isFinite(raw) ? 1 : 0);
    s.clipped.push(action === 'clip' ? 1 : 0);
    s.skipped.push(action === 'skip' ? 1 : 0);
    s.normMin.push(norm);
    s.normMax.push(norm);
    s.normLast.push(norm);
    s.normLastRaw.push(typeof raw === 'number' ? raw : null);
    s.loss.push(plottable(live.loss?.[i]));
    const loss = decodeNumber(live.loss?.[i] ?? null);
    s.lossNonFinite.push(typeof loss === 'number' && !Number.isFinite(loss) ? 1 : 0);
    s.lr.push(plottable(live.lr?.[i]));
    s.threshold.push(plottable(live.threshold?.[i]));
    s.coefMin.push(plottable(live.coef?.[i]));
    appended++;
  }
  return appended;
}

/** Index of the last x <= value (binary search), or -1. */
export function floorIndex(xs: ArrayLike<number>, value: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= value) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

/** A what-if threshold resampled onto chart x values (the last replay bucket <= x). */
export function alignWhatIf(xs: number[], line: { step: number[]; threshold: Col } | null): Col {
  const out: Col = new Array(xs.length).fill(null);
  if (!line || line.step.length === 0) return out;
  for (let i = 0; i < xs.length; i++) {
    const j = floorIndex(line.step, xs[i]);
    out[i] = j >= 0 ? line.threshold[j] : null;
  }
  return out;
}
