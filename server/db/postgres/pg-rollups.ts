// Step and layer rollups on PostgreSQL: the same buckets and merge rules as rollup-store.ts
// and layer-rollup-store.ts, in two statements per batch instead of a lookup and a write per
// bucket: one SELECT of every bucket the batch touches (at all levels), one upsert of them.
import { type BucketAgg, mergeAgg, mergeIntoMap } from '../../query/bucket-agg.ts';
import { type LayerAgg, type LayerRollupRow, mergeLayer } from '../layer-rollup-store.ts';
import { LEVEL_WIDTHS, ROLLUP_SELECTED, ROLLUP_VALUE_COLUMNS, type RollupRow, TOP_LEVEL, aggToParams, rowToAgg } from '../rollup-store.ts';
import { type ArrayElement, binaryArray } from './pg-binary-array.ts';
import type { Sql } from './pg-sql.ts';

// As aggToParams orders them (without the rid); first_time was added later, so it comes last.
const ROLLUP_COLUMNS = ['level', 'bucket', 'count', 'non_finite', 'clipped', 'skipped', 'first_step', 'last_step', ...ROLLUP_VALUE_COLUMNS, 'nan', 'first_time'];
const ROLLUP_TYPES: ArrayElement[] = ['smallint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', 'bigint', ...ROLLUP_VALUE_COLUMNS.map((): ArrayElement => 'float8'), 'int', 'float8'];
const SELECTED_R = ROLLUP_SELECTED.split(', ').map((c) => `r.${c}`).join(', ');

/** Column arrays of `rows` (row-major), for unnest(). */
function transpose(rows: readonly (number | null)[][], width: number): (number | null)[][] {
  const cols = Array.from({ length: width }, () => new Array<number | null>(rows.length));
  for (let i = 0; i < rows.length; i++) for (let c = 0; c < width; c++) cols[c][i] = rows[i][c];
  return cols;
}

/** `new` aggregates per level, each level's keyed by its bucket (from the level-1 ones). */
function perLevel(level1: Map<number, BucketAgg>): Map<number, BucketAgg>[] {
  const levels: Map<number, BucketAgg>[] = [new Map()];
  let current = level1;
  for (let level = 1; level <= TOP_LEVEL; level++) {
    levels.push(current);
    if (level === TOP_LEVEL) break;
    const ratio = LEVEL_WIDTHS[level + 1] / LEVEL_WIDTHS[level];
    const next = new Map<number, BucketAgg>();
    for (const [bucket, agg] of current) mergeIntoMap(next, Math.floor(bucket / ratio), agg);
    current = next;
  }
  return levels;
}

/** Merges the aggregates of newly inserted steps (keyed by level-1 bucket) into every level. In the ingest transaction. */
export async function addStepRollups(sql: Sql, rid: number, level1: Map<number, BucketAgg>): Promise<void> {
  const levels = perLevel(level1);
  const keyLevels: number[] = [];
  const keyBuckets: number[] = [];
  for (let level = 1; level <= TOP_LEVEL; level++) for (const bucket of levels[level].keys()) keyLevels.push(level), keyBuckets.push(bucket);
  const existing = await sql.arrays<[number, ...RollupRow]>(
    `SELECT r.level, ${SELECTED_R} FROM rollups r JOIN unnest($2::smallint[], $3::bigint[]) AS k(level, bucket)
       ON r.level = k.level AND r.bucket = k.bucket WHERE r.rid = $1`,
    [rid, binaryArray('smallint', keyLevels), binaryArray('bigint', keyBuckets)],
  );
  const stored = new Map<string, RollupRow>(existing.map(([level, ...row]) => [`${level}/${row[0] as number}`, row]));
  const rows: (number | null)[][] = [];
  for (let level = 1; level <= TOP_LEVEL; level++) {
    for (const [bucket, agg] of levels[level]) {
      const old = stored.get(`${level}/${bucket}`);
      const merged = old ? mergeAgg(rowToAgg(old), agg) : agg;
      rows.push(aggToParams(rid, level, bucket, merged).slice(1));
    }
  }
  await putStepRollups(sql, rid, rows);
}

/** Upserts rollup rows (level, bucket, count, ..., nan: aggToParams without the rid). */
export async function putStepRollups(sql: Sql, rid: number, rows: (number | null)[][]): Promise<void> {
  if (rows.length === 0) return;
  const cols = transpose(rows, ROLLUP_COLUMNS.length);
  const unnest = ROLLUP_TYPES.map((t, i) => `$${i + 2}::${t}[]`).join(', ');
  await sql.run(
    `INSERT INTO rollups (rid, ${ROLLUP_COLUMNS.join(', ')}) SELECT $1, * FROM unnest(${unnest})
     ON CONFLICT (rid, level, bucket) DO UPDATE SET ${ROLLUP_COLUMNS.slice(2).map((c) => `${c} = EXCLUDED.${c}`).join(', ')}`,
    [rid, ...cols.map((c, i) => binaryArray(ROLLUP_TYPES[i], c))],
  );
}

export async function stepRollupRange(sql: Sql, rid: number, level: number, b0: number, b1: number): Promise<RollupRow[]> {
  return sql.arrays<RollupRow>(`SELECT ${ROLLUP_SELECTED} FROM rollups WHERE rid = $1 AND level = $2 AND bucket BETWEEN $3 AND $4 ORDER BY bucket`, [rid, level, b0, b1]);
}

/** Merges new norms of one layer (aggregated per level-1 bucket) into every level, as LayerRollupStore.addLevel1. */
export async function addLayerRollups(sql: Sql, rid: number, idx: number, level1: Map<number, LayerAgg>): Promise<void> {
  const levels: Map<number, LayerAgg>[] = [new Map()];
  let current = level1;
  for (let level = 1; level <= TOP_LEVEL; level++) {
    levels.push(current);
    if (level === TOP_LEVEL) break;
    const ratio = LEVEL_WIDTHS[level + 1] / LEVEL_WIDTHS[level];
    const next = new Map<number, LayerAgg>();
    for (const [bucket, a] of current) mergeLayer(next, Math.floor(bucket / ratio), a.first, a.max, a.nonFinite);
    current = next;
  }
  const keyLevels: number[] = [];
  const keyBuckets: number[] = [];
  for (let level = 1; level <= TOP_LEVEL; level++) for (const bucket of levels[level].keys()) keyLevels.push(level), keyBuckets.push(bucket);
  const existing = await sql.arrays<[number, ...LayerRollupRow]>(
    `SELECT r.level, r.bucket, r.first_step, r.max, r.nan, r.non_finite FROM layer_rollups r JOIN unnest($3::smallint[], $4::bigint[]) AS k(level, bucket)
       ON r.level = k.level AND r.bucket = k.bucket WHERE r.rid = $1 AND r.idx = $2`,
    [rid, idx, binaryArray('smallint', keyLevels), binaryArray('bigint', keyBuckets)],
  );
  for (const [level, bucket, first, max, nan, nonFinite] of existing) mergeLayer(levels[level], bucket, first, nan ? Number.NaN : max, nonFinite);
  const rows: (number | null)[][] = [];
  for (let level = 1; level <= TOP_LEVEL; level++) for (const [bucket, a] of levels[level]) rows.push(layerRow(level, bucket, a));
  await putLayerRollups(sql, rid, idx, rows);
}

function layerRow(level: number, bucket: number, a: LayerAgg): (number | null)[] {
  const isNaN = a.max !== null && Number.isNaN(a.max);
  return [level, bucket, a.first, isNaN ? null : a.max, isNaN ? 1 : 0, a.nonFinite];
}

async function putLayerRollups(sql: Sql, rid: number, idx: number, rows: (number | null)[][]): Promise<void> {
  if (rows.length === 0) return;
  const [levels, buckets, firsts, maxes, nans, nonFinite] = transpose(rows, 6);
  await sql.run(
    `INSERT INTO layer_rollups (rid, idx, level, bucket, first_step, max, nan, non_finite)
     SELECT $1, $2, * FROM unnest($3::smallint[], $4::bigint[], $5::bigint[], $6::float8[], $7::int[], $8::bigint[])
     ON CONFLICT (rid, idx, level, bucket) DO UPDATE SET first_step = EXCLUDED.first_step, max = EXCLUDED.max, nan = EXCLUDED.nan, non_finite = EXCLUDED.non_finite`,
    [rid, idx, binaryArray('smallint', levels), binaryArray('bigint', buckets), binaryArray('bigint', firsts), binaryArray('float8', maxes), binaryArray('int', nans), binaryArray('bigint', nonFinite)],
  );
}

export async function layerRollupRange(sql: Sql, rid: number, idx: number, level: number, b0: number, b1: number): Promise<LayerRollupRow[]> {
  return sql.arrays<LayerRollupRow>(
    'SELECT bucket, first_step, max, nan, non_finite FROM layer_rollups WHERE rid = $1 AND idx = $2 AND level = $3 AND bucket BETWEEN $4 AND $5 ORDER BY bucket',
    [rid, idx, level, b0, b1],
  );
}

/**
 * After a run's steps past `step` were removed: drops later step buckets and rebuilds the one
 * holding `step` at each level from the level below (`rawBucket`: the finest, from the steps).
 */
export async function truncateStepRollups(sql: Sql, rid: number, step: number, rawBucket: (from: number, to: number) => Promise<BucketAgg | null>): Promise<void> {
  if (step < 0) {
    await sql.run('DELETE FROM rollups WHERE rid = $1', [rid]);
    return;
  }
  for (let level = 1; level <= TOP_LEVEL; level++) {
    const w = LEVEL_WIDTHS[level];
    const bucket = Math.floor(step / w);
    await sql.run('DELETE FROM rollups WHERE rid = $1 AND level = $2 AND bucket >= $3', [rid, level, bucket]);
    let agg: BucketAgg | null = null;
    if (level === 1) agg = await rawBucket(bucket * w, step);
    else {
      const ratio = w / LEVEL_WIDTHS[level - 1];
      for (const row of await stepRollupRange(sql, rid, level - 1, bucket * ratio, bucket * ratio + ratio - 1)) {
        const a = rowToAgg(row);
        agg = agg ? mergeAgg(agg, a) : a;
      }
    }
    if (agg) await putStepRollups(sql, rid, [aggToParams(rid, level, bucket, agg).slice(1)]);
  }
}

/** The same for one layer's rollups. */
export async function truncateLayerRollups(sql: Sql, rid: number, idx: number, step: number, rawBucket: (from: number, to: number) => Promise<LayerAgg | null>): Promise<void> {
  for (let level = 1; level <= TOP_LEVEL; level++) {
    const w = LEVEL_WIDTHS[level];
    const bucket = Math.floor(step / w);
    await sql.run('DELETE FROM layer_rollups WHERE rid = $1 AND idx = $2 AND level = $3 AND bucket >= $4', [rid, idx, level, bucket]);
    let agg: LayerAgg | null = null;
    if (level === 1) agg = await rawBucket(bucket * w, step);
    else {
      const ratio = w / LEVEL_WIDTHS[level - 1];
      const m = new Map<number, LayerAgg>();
      for (const [, first, max, nan, nonFinite] of await layerRollupRange(sql, rid, idx, level - 1, bucket * ratio, bucket * ratio + ratio - 1)) {
        mergeLayer(m, 0, first, nan ? Number.NaN : max, nonFinite);
      }
      agg = m.get(0) ?? null;
    }
    if (agg) await putLayerRollups(sql, rid, idx, [layerRow(level, bucket, agg)]);
  }
}
