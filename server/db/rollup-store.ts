// Multi-resolution rollups of a run's steps, kept up to date inside the ingest transaction.
// Level 1..6 buckets are 64, 512, 4096, 32768, 262144 and 2097152 steps wide (bucket =
// floor(step / width)): a factor of 8 between levels, so a query for N points reads fewer
// than 8N rollup rows whatever the run's length (and at most 64N raw rows for short ranges).
import type { Db } from './open-database.ts';
import { type BucketAgg, COLUMN_COUNT, mergeAgg, mergeIntoMap, pickMax, pickMin } from '../query/bucket-agg.ts';
import { decodeValue } from './step-codec.ts';
import { HighestBuckets } from './highest-buckets.ts';

/** Bucket width per level; level 0 is the raw steps. */
export const LEVEL_WIDTHS = [1, 64, 512, 4096, 32768, 262144, 2097152] as const;
export const TOP_LEVEL = LEVEL_WIDTHS.length - 1;

const PREFIXES = ['g', 'l', 'r', 't', 'c'];
export const ROLLUP_VALUE_COLUMNS = PREFIXES.flatMap((p) => [`${p}_min`, `${p}_max`, `${p}_last`]);

/**
 * A rollup row as a raw array (better-sqlite3 `.raw()`: no object per row, which matters
 * when a query reads thousands): bucket, count, non_finite, clipped, skipped, first_step,
 * last_step, then min/max/last of each column, the NaN mask, then first_time (added later,
 * so it sits last: see ensure-columns.ts).
 */
export type RollupRow = (number | null)[];
export const ROLLUP_SELECTED = ['bucket', 'count', 'non_finite', 'clipped', 'skipped', 'first_step', 'last_step', ...ROLLUP_VALUE_COLUMNS, 'nan', 'first_time'].join(', ');
const NAN_INDEX = 7 + ROLLUP_VALUE_COLUMNS.length;
const FIRST_TIME_INDEX = NAN_INDEX + 1;

export function rollupBucket(row: RollupRow): number {
  return row[0] as number;
}

export function rowToAgg(row: RollupRow): BucketAgg {
  const nan = row[NAN_INDEX] as number;
  const cols = new Array(COLUMN_COUNT);
  for (let c = 0; c < COLUMN_COUNT; c++) {
    const i = 7 + c * 3;
    cols[c] = {
      min: decodeValue(row[i], nan, c * 3),
      max: decodeValue(row[i + 1], nan, c * 3 + 1),
      last: decodeValue(row[i + 2], nan, c * 3 + 2),
    };
  }
  return {
    count: row[1] as number,
    nonFinite: row[2] as number,
    clipped: row[3] as number,
    skipped: row[4] as number,
    firstStep: row[5] as number,
    lastStep: row[6] as number,
    firstTime: row[FIRST_TIME_INDEX],
    cols,
  };
}

/** Merges a rollup row into the aggregate under `key` without building an intermediate object. */
export function mergeRowInto(map: Map<number, BucketAgg>, key: number, row: RollupRow): void {
  const a = map.get(key);
  if (!a) {
    map.set(key, rowToAgg(row));
    return;
  }
  const nan = row[NAN_INDEX] as number;
  const lastStep = row[6] as number;
  const later = lastStep > a.lastStep;
  a.count += row[1] as number;
  a.nonFinite += row[2] as number;
  a.clipped += row[3] as number;
  a.skipped += row[4] as number;
  if ((row[5] as number) < a.firstStep) {
    a.firstStep = row[5] as number;
    a.firstTime = row[FIRST_TIME_INDEX];
  }
  if (later) a.lastStep = lastStep;
  for (let c = 0; c < COLUMN_COUNT; c++) {
    const i = 7 + c * 3;
    const col = a.cols[c];
    col.min = pickMin(col.min, decodeValue(row[i], nan, c * 3));
    col.max = pickMax(col.max, decodeValue(row[i + 1], nan, c * 3 + 1));
    if (later) col.last = decodeValue(row[i + 2], nan, c * 3 + 2);
  }
}

export function aggToParams(rid: number, level: number, bucket: number, a: BucketAgg): (number | null)[] {
  const params: (number | null)[] = [rid, level, bucket, a.count, a.nonFinite, a.clipped, a.skipped, a.firstStep, a.lastStep];
  let nan = 0;
  for (let c = 0; c < COLUMN_COUNT; c++) {
    const col = a.cols[c];
    const vals = [col.min, col.max, col.last];
    for (let k = 0; k < 3; k++) {
      const v = vals[k];
      if (v !== null && Number.isNaN(v)) {
        nan |= 1 << (c * 3 + k);
        params.push(null);
      } else params.push(v);
    }
  }
  params.push(nan, a.firstTime);
  return params;
}

export class RollupStore {
  readonly #get;
  readonly #put;
  readonly #range;
  readonly #deleteAfter;
  readonly #deleteRun;
  readonly #highest: HighestBuckets<number>;

  constructor(db: Db) {
    const cols = ['rid', 'level', 'bucket', 'count', 'non_finite', 'clipped', 'skipped', 'first_step', 'last_step', ...ROLLUP_VALUE_COLUMNS, 'nan', 'first_time'];
    this.#get = db.prepare<[number, number, number], RollupRow>(`SELECT ${ROLLUP_SELECTED} FROM rollups WHERE rid = ? AND level = ? AND bucket = ?`).raw();
    this.#put = db.prepare(`INSERT OR REPLACE INTO rollups (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`);
    this.#range = db
      .prepare<[number, number, number, number], RollupRow>(`SELECT ${ROLLUP_SELECTED} FROM rollups WHERE rid = ? AND level = ? AND bucket BETWEEN ? AND ? ORDER BY bucket`)
      .raw();
    this.#deleteAfter = db.prepare('DELETE FROM rollups WHERE rid = ? AND level = ? AND bucket > ?');
    this.#deleteRun = db.prepare('DELETE FROM rollups WHERE rid = ?');
    const maxBucket = db.prepare<[number, number], { b: number | null }>('SELECT max(bucket) AS b FROM rollups WHERE rid = ? AND level = ?');
    this.#highest = new HighestBuckets(TOP_LEVEL, (rid, level) => maxBucket.get(rid, level)?.b ?? null);
  }

  /** Merges the aggregates of newly inserted steps (keyed by finest bucket) into every level. Call inside a transaction. */
  addLevel1(rid: number, level1: Map<number, BucketAgg>): void {
    const highest = this.#highest.of(rid);
    let current = level1;
    for (let level = 1; level <= TOP_LEVEL; level++) {
      const next = new Map<number, BucketAgg>();
      const ratio = LEVEL_WIDTHS[level + 1] !== undefined ? LEVEL_WIDTHS[level + 1] / LEVEL_WIDTHS[level] : 0;
      for (const [bucket, agg] of current) {
        if (ratio) mergeIntoMap(next, Math.floor(bucket / ratio), agg);
        const existing = bucket > highest[level] ? undefined : this.#get.get(rid, level, bucket);
        const merged = existing ? mergeAgg(rowToAgg(existing), agg) : agg;
        this.#put.run(aggToParams(rid, level, bucket, merged));
        if (bucket > highest[level]) highest[level] = bucket;
      }
      current = next;
    }
  }

  /** Rollup rows of one level with bucket in [b0, b1], in bucket order. */
  range(rid: number, level: number, b0: number, b1: number): RollupRow[] {
    return this.#range.all(rid, level, b0, b1);
  }

  /**
   * After steps > `step` were removed: drops later buckets and rebuilds the bucket holding
   * `step` at each level from the level below (`rawBucket` gives the finest one from the steps).
   */
  truncateAfter(rid: number, step: number, rawBucket: (from: number, to: number) => BucketAgg | null): void {
    this.#highest.forget(rid);
    if (step < 0) {
      this.#deleteRun.run(rid);
      return;
    }
    for (let level = 1; level <= TOP_LEVEL; level++) {
      const w = LEVEL_WIDTHS[level];
      const bucket = Math.floor(step / w);
      this.#deleteAfter.run(rid, level, bucket);
      let agg: BucketAgg | null = null;
      if (level === 1) agg = rawBucket(bucket * w, step);
      else {
        const ratio = w / LEVEL_WIDTHS[level - 1];
        for (const row of this.range(rid, level - 1, bucket * ratio, bucket * ratio + ratio - 1)) {
          const a = rowToAgg(row);
          agg = agg ? mergeAgg(agg, a) : a;
        }
      }
      this.#deleteAfter.run(rid, level, bucket - 1);
      if (agg) this.#put.run(aggToParams(rid, level, bucket, agg));
    }
  }

  deleteRun(rid: number): void {
    this.#highest.forget(rid);
    this.#deleteRun.run(rid);
  }
}
