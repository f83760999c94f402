// Rollups of per-layer norms: for each layer, level and bucket (same widths as the step
// rollups), the first step, the max (numbers and ±Infinity beat NaN, NaN beats missing,
// as in bucket-agg.ts) and the count of non-finite norms (NaN, ±Infinity), so that one NaN
// among many numbers stays visible. Kept up to date at ingest, so `/layers` over a long run
// reads fewer than 8 rows per point and layer instead of every stored norm.
import { pickMax } from '../query/bucket-agg.ts';
import type { Db } from './open-database.ts';
import { HighestBuckets } from './highest-buckets.ts';
import { LEVEL_WIDTHS, TOP_LEVEL } from './rollup-store.ts';

export interface LayerAgg {
  first: number;
  max: number | null;
  nonFinite: number;
}

/** 1 for a NaN or ±Infinity norm, 0 for a number or a missing one. */
export function nonFiniteCount(v: number | null): number {
  return v !== null && !Number.isFinite(v) ? 1 : 0;
}

export function mergeLayer(map: Map<number, LayerAgg>, key: number, first: number, max: number | null, nonFinite: number): void {
  const a = map.get(key);
  if (!a) map.set(key, { first, max, nonFinite });
  else {
    if (first < a.first) a.first = first;
    a.max = pickMax(a.max, max);
    a.nonFinite += nonFinite;
  }
}

/** A layer rollup row as a raw array: bucket, first step, max (NULL for NaN), NaN flag, non-finite count. */
export type LayerRollupRow = [bucket: number, first: number, max: number | null, nan: number, nonFinite: number];
type Row = LayerRollupRow;

/** Merges layer rollup rows of `level` into `out`, keyed by output bucket of `width` steps. */
export function mergeLayerRows(rows: readonly LayerRollupRow[], level: number, width: number, out: Map<number, LayerAgg>): void {
  const w = LEVEL_WIDTHS[level];
  for (const [bucket, first, max, nan, nonFinite] of rows) mergeLayer(out, Math.floor((bucket * w) / width), first, nan ? Number.NaN : max, nonFinite);
}

export class LayerRollupStore {
  readonly #get;
  readonly #put;
  readonly #range;
  readonly #deleteAfter;
  readonly #deleteRun;
  /** Keyed by `${rid}/${idx}`. */
  readonly #highest: HighestBuckets<string>;

  constructor(db: Db) {
    this.#get = db.prepare<[number, number, number, number], Row>('SELECT bucket, first_step, max, nan, non_finite FROM layer_rollups WHERE rid = ? AND idx = ? AND level = ? AND bucket = ?').raw();
    this.#put = db.prepare('INSERT OR REPLACE INTO layer_rollups (rid, idx, level, bucket, first_step, max, nan, non_finite) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.#range = db
      .prepare<[number, number, number, number, number], Row>(
        'SELECT bucket, first_step, max, nan, non_finite FROM layer_rollups WHERE rid = ? AND idx = ? AND level = ? AND bucket BETWEEN ? AND ? ORDER BY bucket',
      )
      .raw();
    this.#deleteAfter = db.prepare('DELETE FROM layer_rollups WHERE rid = ? AND idx = ? AND level = ? AND bucket > ?');
    this.#deleteRun = db.prepare('DELETE FROM layer_rollups WHERE rid = ?');
    const maxBucket = db.prepare<[number, number, number], { b: number | null }>('SELECT max(bucket) AS b FROM layer_rollups WHERE rid = ? AND idx = ? AND level = ?');
    this.#highest = new HighestBuckets(TOP_LEVEL, (key, level) => {
      const [rid, idx] = key.split('/').map(Number);
      return maxBucket.get(rid, idx, level)?.b ?? null;
    });
  }

  #write(rid: number, idx: number, level: number, bucket: number, a: LayerAgg): void {
    const isNaN = a.max !== null && Number.isNaN(a.max);
    this.#put.run(rid, idx, level, bucket, a.first, isNaN ? null : a.max, isNaN ? 1 : 0, a.nonFinite);
  }

  /** Merges new norms (aggregated per level-1 bucket) into every level. Call inside a transaction. */
  addLevel1(rid: number, idx: number, level1: Map<number, LayerAgg>): void {
    const highest = this.#highest.of(`${rid}/${idx}`);
    let current = level1;
    for (let level = 1; level <= TOP_LEVEL; level++) {
      const next = new Map<number, LayerAgg>();
      const ratio = level < TOP_LEVEL ? LEVEL_WIDTHS[level + 1] / LEVEL_WIDTHS[level] : 0;
      for (const [bucket, a] of current) {
        if (ratio) mergeLayer(next, Math.floor(bucket / ratio), a.first, a.max, a.nonFinite);
        const old = bucket > highest[level] ? undefined : this.#get.get(rid, idx, level, bucket);
        if (old) mergeLayer(current, bucket, old[1], old[3] ? Number.NaN : old[2], old[4]);
        this.#write(rid, idx, level, bucket, current.get(bucket)!);
        if (bucket > highest[level]) highest[level] = bucket;
      }
      current = next;
    }
  }

  /** Merges the rows of one level with bucket in [b0, b1] into `out`, keyed by output bucket. */
  collect(rid: number, idx: number, level: number, b0: number, b1: number, width: number, out: Map<number, LayerAgg>): void {
    mergeLayerRows(this.range(rid, idx, level, b0, b1), level, width, out);
  }

  /** Rows of one layer and level with bucket in [b0, b1], in bucket order. */
  range(rid: number, idx: number, level: number, b0: number, b1: number): LayerRollupRow[] {
    return this.#range.all(rid, idx, level, b0, b1);
  }

  /** After a layer's norms past `step` were removed: drops later buckets, rebuilds the partial ones. */
  truncateAfter(rid: number, idx: number, step: number, rawBucket: (from: number, to: number) => LayerAgg | null): void {
    this.#highest.forget(`${rid}/${idx}`);
    for (let level = 1; level <= TOP_LEVEL; level++) {
      const w = LEVEL_WIDTHS[level];
      const bucket = Math.floor(step / w);
      this.#deleteAfter.run(rid, idx, level, bucket - 1);
      let agg: LayerAgg | null = null;
      if (level === 1) agg = rawBucket(bucket * w, step);
      else {
        const ratio = w / LEVEL_WIDTHS[level - 1];
        const m = new Map<number, LayerAgg>();
        this.collect(rid, idx, level - 1, bucket * ratio, bucket * ratio + ratio - 1, w, m);
        agg = m.get(bucket) ?? null;
      }
      if (agg) this.#write(rid, idx, level, bucket, agg);
    }
  }

  deleteRun(rid: number): void {
    this.#highest.forgetAll();
    this.#deleteRun.run(rid);
  }
}
