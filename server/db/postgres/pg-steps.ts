// Steps and layer norms on PostgreSQL (as step-store.ts): the reads the queries make, the
// insert of a batch (one INSERT ... SELECT FROM unnest() per table, so a batch of any size is
// one statement with a fixed number of parameters), and the supersede of a resume.
import type { StepColumns } from '@gradpilot/sdk/protocol';
import { type BucketAgg, addStep, aggOfStep, mergeAgg } from '../../query/bucket-agg.ts';
import { type LayerAgg, type LayerRollupRow, mergeLayer, nonFiniteCount } from '../layer-rollup-store.ts';
import { LEVEL_WIDTHS, type RollupRow } from '../rollup-store.ts';
import type { StepsApi } from '../server-store.ts';
import { decodeNaN, encodeAction, encodeNaN } from '../step-codec.ts';
import { type InsertResult, InsertedTally } from '../inserted-tally.ts';
import { type RawStepRow, decodeRow } from '../step-store.ts';
import { addLayerRollups, addStepRollups, layerRollupRange, stepRollupRange, truncateLayerRollups, truncateStepRollups } from './pg-rollups.ts';
import { binaryArray } from './pg-binary-array.ts';
import type { Sql } from './pg-sql.ts';

// `time` last, as in step-store.ts: rawRangeArrays rows keep their indices (8 is the time).
const STEP_COLUMNS = 'step, grad_norm, loss, lr, threshold, coef, action, nan, time';

/** SQLite's LIMIT -1 is "no limit"; PostgreSQL's is LIMIT NULL. */
function limitOf(limit: number): number | null {
  return limit < 0 ? null : limit;
}

export async function layerNamesOf(sql: Sql, rid: number): Promise<Map<string, number>> {
  const rows = await sql.rows<{ idx: number; name: string }>('SELECT idx, name FROM layer_names WHERE rid = $1 ORDER BY idx', [rid]);
  return new Map(rows.map((r) => [r.name, r.idx]));
}

export async function rawRangeOf(sql: Sql, rid: number, from: number, to: number, limit = -1): Promise<RawStepRow[]> {
  return sql.rows<RawStepRow>(`SELECT ${STEP_COLUMNS} FROM steps WHERE rid = $1 AND step BETWEEN $2 AND $3 ORDER BY step LIMIT $4`, [rid, from, to, limitOf(limit)]);
}

async function layerRangeOf(sql: Sql, rid: number, idx: number, from: number, to: number): Promise<{ step: number; value: number | null }[]> {
  const rows = await sql.rows<{ step: number; value: number | null; nan: number }>(
    'SELECT step, value, nan FROM layer_norms WHERE rid = $1 AND idx = $2 AND step BETWEEN $3 AND $4 ORDER BY step',
    [rid, idx, from, to],
  );
  return rows.map((r) => ({ step: r.step, value: r.nan ? Number.NaN : r.value }));
}

/** The reads of the API, on the pool (no layer-name cache: another server may add layers). */
export class PgSteps implements StepsApi {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  layerNames(rid: number): Promise<Map<string, number>> {
    return layerNamesOf(this.#sql, rid);
  }

  rawRange(rid: number, from: number, to: number, limit = -1): Promise<RawStepRow[]> {
    return rawRangeOf(this.#sql, rid, from, to, limit);
  }

  rawRangeArrays(rid: number, from: number, to: number, limit = -1): Promise<(number | null)[][]> {
    return this.#sql.arrays<(number | null)[]>(`SELECT ${STEP_COLUMNS} FROM steps WHERE rid = $1 AND step BETWEEN $2 AND $3 ORDER BY step LIMIT $4`, [rid, from, to, limitOf(limit)]);
  }

  async countRange(rid: number, from: number, to: number, cap: number): Promise<number> {
    const [row] = await this.#sql.rows<{ n: number }>('SELECT count(*) AS n FROM (SELECT 1 FROM steps WHERE rid = $1 AND step BETWEEN $2 AND $3 LIMIT $4) t', [rid, from, to, cap]);
    return row?.n ?? 0;
  }

  layerRange(rid: number, idx: number, from: number, to: number): Promise<{ step: number; value: number | null }[]> {
    return layerRangeOf(this.#sql, rid, idx, from, to);
  }

  async firstTime(rid: number): Promise<number | null> {
    const [row] = await this.#sql.rows<{ t: number | null }>('SELECT time AS t FROM steps WHERE rid = $1 ORDER BY step LIMIT 1', [rid]);
    return row?.t ?? null;
  }

  rollupRange(rid: number, level: number, b0: number, b1: number): Promise<RollupRow[]> {
    return stepRollupRange(this.#sql, rid, level, b0, b1);
  }

  layerRollupRange(rid: number, idx: number, level: number, b0: number, b1: number): Promise<LayerRollupRow[]> {
    return layerRollupRange(this.#sql, rid, idx, level, b0, b1);
  }
}

/**
 * Inserts a validated batch, its layer norms and rollups, in the ingest transaction (which
 * holds the run's lock). ON CONFLICT DO NOTHING keeps a stored step (first write wins); within
 * a batch the first of two equal steps is the one stored, as in SQLite.
 */
export async function insertBatch(sql: Sql, rid: number, cols: StepColumns): Promise<InsertResult> {
  const n = cols.step.length;
  const values: (number | null)[][] = [[], [], [], [], []];
  const actions: (number | null)[] = new Array(n);
  const masks: number[] = new Array(n);
  // Missing only from callers that bypass ingest (which fills in the arrival time).
  const times: (number | null)[] = Array.from({ length: n }, (_, i) => cols.time[i] ?? null);
  const row: (number | null)[] = [null, null, null, null, null];
  for (let i = 0; i < n; i++) {
    row[0] = cols.gradNorm[i];
    row[1] = cols.loss[i];
    row[2] = cols.lr[i];
    row[3] = cols.threshold[i];
    row[4] = cols.coef[i];
    masks[i] = encodeNaN(row);
    for (let c = 0; c < 5; c++) values[c].push(row[c]);
    actions[i] = encodeAction(cols.action[i]);
  }
  const stored = await sql.arrays<[number]>(
    `INSERT INTO steps (rid, ${STEP_COLUMNS})
     SELECT $1, * FROM unnest($2::bigint[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::smallint[], $9::int[], $10::float8[])
     ON CONFLICT (rid, step) DO NOTHING RETURNING step`,
    [rid, binaryArray('bigint', cols.step), ...values.map((v) => binaryArray('float8', v)), binaryArray('smallint', actions), binaryArray('int', masks), binaryArray('float8', times)],
  );
  const fresh = new Set(stored.map((r) => r[0]));
  const tally = new InsertedTally();
  for (let i = 0; i < n; i++) {
    const step = cols.step[i];
    if (!fresh.delete(step)) continue;
    for (let c = 0; c < 5; c++) row[c] = values[c][i];
    if (masks[i] !== 0) decodeNaN(row, masks[i]);
    tally.add(i, step, row, actions[i], times[i]);
  }
  const { inserted } = tally;
  if (inserted.length > 0) {
    await addStepRollups(sql, rid, tally.level1);
    if (cols.layers.size > 0) await insertLayers(sql, rid, cols, inserted);
  }
  return tally.result(n);
}

async function insertLayers(sql: Sql, rid: number, cols: StepColumns, inserted: number[]): Promise<void> {
  const names = await layerNamesOf(sql, rid);
  const added: [number, string][] = [];
  for (const name of cols.layers.keys()) {
    if (names.has(name)) continue;
    names.set(name, names.size);
    added.push([names.size - 1, name]);
  }
  if (added.length > 0) {
    await sql.run('INSERT INTO layer_names (rid, idx, name) SELECT $1, * FROM unnest($2::int[], $3::text[])', [rid, added.map((a) => a[0]), added.map((a) => a[1])]);
  }
  const idxs: number[] = [];
  const steps: number[] = [];
  const vals: (number | null)[] = [];
  const nans: number[] = [];
  const w1 = LEVEL_WIDTHS[1];
  const perLayer: [number, Map<number, LayerAgg>][] = [];
  for (const [name, col] of cols.layers) {
    const idx = names.get(name) as number;
    const layer1 = new Map<number, LayerAgg>();
    for (const i of inserted) {
      const v = col[i];
      if (v === null) continue;
      const isNaN = Number.isNaN(v);
      idxs.push(idx);
      steps.push(cols.step[i]);
      vals.push(isNaN ? null : v);
      nans.push(isNaN ? 1 : 0);
      mergeLayer(layer1, Math.floor(cols.step[i] / w1), cols.step[i], v, nonFiniteCount(v));
    }
    if (layer1.size > 0) perLayer.push([idx, layer1]);
  }
  if (idxs.length > 0) {
    await sql.run(
      `INSERT INTO layer_norms (rid, idx, step, value, nan) SELECT $1, * FROM unnest($2::int[], $3::bigint[], $4::float8[], $5::int[])
       ON CONFLICT (rid, idx, step) DO NOTHING`,
      [rid, binaryArray('int', idxs), binaryArray('bigint', steps), binaryArray('float8', vals), binaryArray('int', nans)],
    );
  }
  for (const [idx, layer1] of perLayer) await addLayerRollups(sql, rid, idx, layer1);
}

/** Moves the run's steps after `step` to the audit table and fixes the rollups (as StepStore.supersedeAfter). */
export async function supersedeSteps(sql: Sql, rid: number, step: number, resumeId: number): Promise<number> {
  const moved = await sql.run(
    `INSERT INTO superseded_steps (resume_id, rid, ${STEP_COLUMNS}) SELECT $1, rid, ${STEP_COLUMNS} FROM steps WHERE rid = $2 AND step > $3`,
    [resumeId, rid, step],
  );
  if (moved === 0) return 0;
  await sql.run('DELETE FROM steps WHERE rid = $1 AND step > $2', [rid, step]);
  await sql.run('DELETE FROM layer_norms WHERE rid = $1 AND step > $2', [rid, step]);
  await truncateStepRollups(sql, rid, step, async (from, to) => {
    let agg: BucketAgg | null = null;
    for (const r of await rawRangeOf(sql, rid, from, to)) {
      const s = decodeRow(r);
      const a = aggOfStep(s.step, s.values, r.action, r.time);
      agg = agg ? mergeAgg(agg, a) : a;
    }
    return agg;
  });
  for (const idx of (await layerNamesOf(sql, rid)).values()) {
    await truncateLayerRollups(sql, rid, idx, step, async (from, to) => {
      const m = new Map<number, LayerAgg>();
      for (const { step: s, value } of await layerRangeOf(sql, rid, idx, from, to)) mergeLayer(m, 0, s, value, nonFiniteCount(value));
      return m.get(0) ?? null;
    });
  }
  return moved;
}

/** Recomputes a run's step and layer rollups from its stored rows (after a layout migration). */
export async function rebuildRunRollups(sql: Sql, rid: number): Promise<void> {
  const w1 = LEVEL_WIDTHS[1];
  const values: (number | null)[] = [null, null, null, null, null];
  for (let after = -1; ; ) {
    const rows = await sql.arrays<(number | null)[]>(`SELECT ${STEP_COLUMNS} FROM steps WHERE rid = $1 AND step > $2 ORDER BY step LIMIT 50000`, [rid, after]);
    if (rows.length === 0) break;
    const level1 = new Map<number, BucketAgg>();
    for (const r of rows) {
      for (let c = 0; c < 5; c++) values[c] = r[c + 1];
      if (r[7] !== 0) decodeNaN(values, r[7] as number);
      addStep(level1, Math.floor((r[0] as number) / w1), r[0] as number, values, r[6], r[8]);
    }
    await addStepRollups(sql, rid, level1);
    after = rows[rows.length - 1][0] as number;
  }
  for (const idx of (await layerNamesOf(sql, rid)).values()) {
    const layer1 = new Map<number, LayerAgg>();
    for (const { step, value } of await layerRangeOf(sql, rid, idx, 0, Number.MAX_SAFE_INTEGER)) mergeLayer(layer1, Math.floor(step / w1), step, value, nonFiniteCount(value));
    if (layer1.size > 0) await addLayerRollups(sql, rid, idx, layer1);
  }
}
