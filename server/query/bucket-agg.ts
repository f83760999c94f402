// The aggregate of a bucket of steps. Rollups store it, queries merge it; the merge is
// associative and commutative, so any split of a range into buckets and levels gives the
// same answer as a brute-force pass over the raw rows.
//
// Per numeric column: min and max over the values that are numbers (±Infinity included,
// NaN and missing excluded); when there are none, NaN if any value was NaN, else null
// (missing). `last` is the value at the bucket's last stored step, whatever it is.
// `firstTime` is the wall-clock time of the bucket's first step (null: stored without one),
// so a bucket sits on a time axis where its `firstStep` sits on the step axis.

export const COLUMN_COUNT = 5; // gradNorm, loss, lr, threshold, coef

export interface ColumnAgg {
  min: number | null;
  max: number | null;
  last: number | null;
}

export interface BucketAgg {
  count: number;
  nonFinite: number;
  clipped: number;
  skipped: number;
  firstStep: number;
  lastStep: number;
  firstTime: number | null;
  cols: ColumnAgg[];
}

function isReal(v: number | null): v is number {
  return v !== null && !Number.isNaN(v);
}

export function pickMin(a: number | null, b: number | null): number | null {
  if (isReal(a)) return isReal(b) ? (b < a ? b : a) : a;
  if (isReal(b)) return b;
  if (a !== null) return a; // NaN
  return b;
}

export function pickMax(a: number | null, b: number | null): number | null {
  if (isReal(a)) return isReal(b) ? (b > a ? b : a) : a;
  if (isReal(b)) return b;
  if (a !== null) return a;
  return b;
}

/** action code as stored: null, 0 apply, 1 clip, 2 skip. */
export function aggOfStep(step: number, values: ArrayLike<number | null>, action: number | null, time: number | null): BucketAgg {
  const g = values[0];
  const cols: ColumnAgg[] = new Array(COLUMN_COUNT);
  for (let c = 0; c < COLUMN_COUNT; c++) {
    const v = values[c];
    cols[c] = { min: v, max: v, last: v };
  }
  return {
    count: 1,
    nonFinite: g !== null && !Number.isFinite(g) ? 1 : 0,
    clipped: action === 1 ? 1 : 0,
    skipped: action === 2 ? 1 : 0,
    firstStep: step,
    lastStep: step,
    firstTime: time,
    cols,
  };
}

/**
 * Adds one step to the aggregate under `key` in place (no per-step allocation: this runs for
 * every ingested step). Equivalent to mergeIntoMap(map, key, aggOfStep(...)).
 */
export function addStep(
  map: Map<number, BucketAgg>, key: number, step: number, values: ArrayLike<number | null>, action: number | null, time: number | null,
): void {
  const a = map.get(key);
  if (!a) {
    map.set(key, aggOfStep(step, values, action, time));
    return;
  }
  const g = values[0];
  a.count++;
  if (g !== null && !Number.isFinite(g)) a.nonFinite++;
  if (action === 1) a.clipped++;
  else if (action === 2) a.skipped++;
  if (step < a.firstStep) {
    a.firstStep = step;
    a.firstTime = time;
  }
  const later = step > a.lastStep;
  if (later) a.lastStep = step;
  for (let c = 0; c < COLUMN_COUNT; c++) {
    const v = values[c];
    const col = a.cols[c];
    col.min = pickMin(col.min, v);
    col.max = pickMax(col.max, v);
    if (later) col.last = v;
  }
}

export function cloneAgg(a: BucketAgg): BucketAgg {
  return { ...a, cols: a.cols.map((c) => ({ ...c })) };
}

/** Merges `src` into `dst` (mutates and returns `dst`). */
export function mergeAgg(dst: BucketAgg, src: BucketAgg): BucketAgg {
  const srcIsLater = src.lastStep > dst.lastStep;
  dst.count += src.count;
  dst.nonFinite += src.nonFinite;
  dst.clipped += src.clipped;
  dst.skipped += src.skipped;
  if (src.firstStep < dst.firstStep) {
    dst.firstStep = src.firstStep;
    dst.firstTime = src.firstTime;
  }
  for (let c = 0; c < COLUMN_COUNT; c++) {
    const d = dst.cols[c];
    const s = src.cols[c];
    d.min = pickMin(d.min, s.min);
    d.max = pickMax(d.max, s.max);
    if (srcIsLater) d.last = s.last;
  }
  if (srcIsLater) dst.lastStep = src.lastStep;
  return dst;
}

/** Merges into a map entry, cloning on first insert so callers may reuse `src`. */
export function mergeIntoMap(map: Map<number, BucketAgg>, key: number, src: BucketAgg): void {
  const cur = map.get(key);
  if (cur) mergeAgg(cur, src);
  else map.set(key, cloneAgg(src));
}
