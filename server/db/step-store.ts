// Steps and per-layer norms of runs. (run, step) is the key: inserting a step that is
// already stored is a duplicate and changes nothing (first write wins). A resume from a
// checkpoint moves the steps after it to `superseded_steps` (see supersedeAfter).
import type { Action } from '@gradpilot/sdk/controller';
import type { StepColumns } from '@gradpilot/sdk/protocol';
import type { Db } from './open-database.ts';
import { type BucketAgg, addStep, aggOfStep, mergeAgg, pickMax } from '../query/bucket-agg.ts';
import { decodeAction, decodeNaN, decodeValue, encodeAction, encodeNaN } from './step-codec.ts';
import { LEVEL_WIDTHS, RollupStore } from './rollup-store.ts';
import { type LayerAgg, LayerRollupStore, mergeLayer, nonFiniteCount } from './layer-rollup-store.ts';
import { MultiRowInsert } from './multi-row-insert.ts';
import { type InsertResult, InsertedTally } from './inserted-tally.ts';

export interface RawStepRow {
  step: number;
  grad_norm: number | null;
  loss: number | null;
  lr: number | null;
  threshold: number | null;
  coef: number | null;
  action: number | null;
  nan: number;
  /** Wall-clock ms since the epoch; null for steps stored before the column existed. */
  time: number | null;
}

export interface StoredStep {
  step: number;
  /** gradNorm, loss, lr, threshold, coef (NaN restored; null = missing). */
  values: (number | null)[];
  action: Action | null;
  time: number | null;
}

export function decodeRow(r: RawStepRow): StoredStep {
  const m = r.nan;
  return {
    step: r.step,
    values: [
      decodeValue(r.grad_norm, m, 0),
      decodeValue(r.loss, m, 1),
      decodeValue(r.lr, m, 2),
      decodeValue(r.threshold, m, 3),
      decodeValue(r.coef, m, 4),
    ],
    action: decodeAction(r.action),
    time: r.time,
  };
}

// `time` last: rawRangeArrays rows keep their older indices (8 is the time).
const STEP_COLUMNS = 'step, grad_norm, loss, lr, threshold, coef, action, nan, time';
/** Rows per statement when a batch only appends (see multi-row-insert.ts). */
const APPEND_ROWS = 32;

/** Whether every step is new: strictly ascending and after the last stored one. */
function onlyAppends(steps: ArrayLike<number>, lastStored: number | null): boolean {
  let prev = lastStored ?? -1;
  for (let i = 0; i < steps.length; i++) {
    if (!(steps[i] > prev)) return false;
    prev = steps[i];
  }
  return true;
}

export class StepStore {
  readonly rollups: RollupStore;
  readonly layerRollups: LayerRollupStore;
  readonly #insert;
  readonly #appendSteps;
  readonly #appendLayers;
  readonly #lastStep;
  readonly #firstTime;
  readonly #range;
  readonly #countRange;
  readonly #rangeArrays;
  readonly #layerNames;
  readonly #addLayerName;
  readonly #insertLayer;
  readonly #layerRange;
  readonly #archive;
  readonly #deleteAfter;
  readonly #deleteLayersAfter;
  readonly #layerCache = new Map<number, Map<string, number>>();

  constructor(db: Db) {
    this.rollups = new RollupStore(db);
    this.#appendSteps = new MultiRowInsert(db, `INSERT INTO steps (rid, ${STEP_COLUMNS})`, 10, APPEND_ROWS);
    this.#appendLayers = new MultiRowInsert(db, 'INSERT INTO layer_norms (rid, idx, step, value, nan)', 5, APPEND_ROWS * 2);
    this.layerRollups = new LayerRollupStore(db);
    this.#insert = db.prepare(`INSERT OR IGNORE INTO steps (rid, ${STEP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.#lastStep = db.prepare<[number], { s: number | null }>('SELECT max(step) AS s FROM steps WHERE rid = ?');
    this.#firstTime = db.prepare<[number], { t: number | null }>('SELECT time AS t FROM steps WHERE rid = ? ORDER BY step LIMIT 1');
    this.#range = db.prepare<[number, number, number, number], RawStepRow>(
      `SELECT ${STEP_COLUMNS} FROM steps WHERE rid = ? AND step BETWEEN ? AND ? ORDER BY step LIMIT ?`,
    );
    this.#rangeArrays = db
      .prepare<[number, number, number, number], (number | null)[]>(`SELECT ${STEP_COLUMNS} FROM steps WHERE rid = ? AND step BETWEEN ? AND ? ORDER BY step LIMIT ?`)
      .raw();
    this.#countRange = db.prepare<[number, number, number, number], { n: number }>(
      'SELECT count(*) AS n FROM (SELECT 1 FROM steps WHERE rid = ? AND step BETWEEN ? AND ? LIMIT ?)',
    );
    this.#layerNames = db.prepare<[number], { idx: number; name: string }>('SELECT idx, name FROM layer_names WHERE rid = ? ORDER BY idx');
    this.#addLayerName = db.prepare('INSERT INTO layer_names (rid, idx, name) VALUES (?, ?, ?)');
    this.#insertLayer = db.prepare('INSERT OR IGNORE INTO layer_norms (rid, idx, step, value, nan) VALUES (?, ?, ?, ?, ?)');
    this.#layerRange = db.prepare<[number, number, number, number], { step: number; value: number | null; nan: number }>(
      'SELECT step, value, nan FROM layer_norms WHERE rid = ? AND idx = ? AND step BETWEEN ? AND ? ORDER BY step',
    );
    this.#archive = db.prepare(
      `INSERT INTO superseded_steps (resume_id, rid, ${STEP_COLUMNS}) SELECT ?, rid, ${STEP_COLUMNS} FROM steps WHERE rid = ? AND step > ?`,
    );
    this.#deleteAfter = db.prepare('DELETE FROM steps WHERE rid = ? AND step > ?');
    this.#deleteLayersAfter = db.prepare('DELETE FROM layer_norms WHERE rid = ? AND step > ?');
  }

  /**
   * Inserts a validated batch, its layer norms and rollups. Call inside a transaction.
   * A batch that only appends (the usual case) goes in, steps and layer norms, through
   * multi-row INSERTs; any other row by row with INSERT OR IGNORE, so that a resent step
   * stays the stored one.
   */
  insert(rid: number, cols: StepColumns): InsertResult {
    try {
      return this.#insertBatch(rid, cols);
    } catch (err) {
      this.forget(rid);
      throw err;
    }
  }

  /**
   * After a transaction that inserted into run `rid` rolled back: forgets what memory holds
   * of it (rows buffered for a multi-row INSERT, layer names added), so that the next batch
   * does not build on rows that are gone. insert() calls it when it throws itself.
   */
  forget(rid: number): void {
    this.#appendSteps.discard();
    this.#appendLayers.discard();
    this.#layerCache.delete(rid);
  }

  #insertBatch(rid: number, cols: StepColumns): InsertResult {
    const n = cols.step.length;
    const appending = onlyAppends(cols.step, this.#lastStep.get(rid)?.s ?? null);
    const tally = new InsertedTally();
    const values: (number | null)[] = [null, null, null, null, null];
    const append = this.#appendSteps;
    for (let i = 0; i < n; i++) {
      const step = cols.step[i];
      values[0] = cols.gradNorm[i];
      values[1] = cols.loss[i];
      values[2] = cols.lr[i];
      values[3] = cols.threshold[i];
      values[4] = cols.coef[i];
      const action = encodeAction(cols.action[i]);
      // Missing only from callers that bypass ingest (which fills in the arrival time).
      const time = cols.time[i] ?? null;
      const nan = encodeNaN(values);
      if (appending) {
        append.add(rid);
        append.add(step);
        for (let c = 0; c < 5; c++) append.add(values[c]);
        append.add(action);
        append.add(nan);
        append.add(time);
      } else if (this.#insert.run(rid, step, values[0], values[1], values[2], values[3], values[4], action, nan, time).changes === 0) continue;
      if (nan !== 0) decodeNaN(values, nan);
      tally.add(i, step, values, action, time);
    }
    append.flush();
    const { inserted } = tally;
    if (inserted.length > 0) {
      this.rollups.addLevel1(rid, tally.level1);
      const w1 = LEVEL_WIDTHS[1];
      for (const [name, col] of cols.layers) {
        const idx = this.#layerIndex(rid, name);
        const layer1 = new Map<number, LayerAgg>();
        for (const i of inserted) {
          const v = col[i];
          if (v === null) continue;
          const isNaN = Number.isNaN(v);
          if (appending) {
            const layers = this.#appendLayers;
            layers.add(rid);
            layers.add(idx);
            layers.add(cols.step[i]);
            layers.add(isNaN ? null : v);
            layers.add(isNaN ? 1 : 0);
          } else this.#insertLayer.run(rid, idx, cols.step[i], isNaN ? null : v, isNaN ? 1 : 0);
          mergeLayer(layer1, Math.floor(cols.step[i] / w1), cols.step[i], v, nonFiniteCount(v));
        }
        if (layer1.size > 0) this.layerRollups.addLevel1(rid, idx, layer1);
      }
      this.#appendLayers.flush();
    }
    return tally.result(n);
  }

  #layerIndex(rid: number, name: string): number {
    const names = this.layerNames(rid);
    let idx = names.get(name);
    if (idx === undefined) {
      idx = names.size;
      this.#addLayerName.run(rid, idx, name);
      names.set(name, idx);
    }
    return idx;
  }

  /** Layer name -> index for a run (cached; layers are only ever added). */
  layerNames(rid: number): Map<string, number> {
    let names = this.#layerCache.get(rid);
    if (!names) {
      names = new Map(this.#layerNames.all(rid).map((r) => [r.name, r.idx]));
      this.#layerCache.set(rid, names);
    }
    return names;
  }

  /** Raw rows with step in [from, to], in step order, at most `limit`. */
  rawRange(rid: number, from: number, to: number, limit = -1): RawStepRow[] {
    return this.#range.all(rid, from, to, limit);
  }

  /**
   * Raw rows with step in [from, to] as arrays (step, gradNorm, loss, lr, threshold, coef,
   * action code, NaN mask, time): no object per row, for queries that read thousands.
   */
  rawRangeArrays(rid: number, from: number, to: number, limit = -1): (number | null)[][] {
    return this.#rangeArrays.all(rid, from, to, limit);
  }

  /** Wall-clock time of the run's first stored step (null: no steps, or stored without a time). */
  firstTime(rid: number): number | null {
    return this.#firstTime.get(rid)?.t ?? null;
  }

  /** Number of stored steps in [from, to], counting no further than `cap`. */
  countRange(rid: number, from: number, to: number, cap: number): number {
    return this.#countRange.get(rid, from, to, cap)?.n ?? 0;
  }

  layerRange(rid: number, idx: number, from: number, to: number): { step: number; value: number | null }[] {
    return this.#layerRange.all(rid, idx, from, to).map((r) => ({ step: r.step, value: r.nan ? Number.NaN : r.value }));
  }

  /** Aggregate of the raw steps in [from, to], or null when there are none. */
  rawAgg(rid: number, from: number, to: number): BucketAgg | null {
    let agg: BucketAgg | null = null;
    for (const r of this.rawRange(rid, from, to)) {
      const s = decodeRow(r);
      const a = aggOfStep(s.step, s.values, r.action, r.time);
      agg = agg ? mergeAgg(agg, a) : a;
    }
    return agg;
  }

  /** Recomputes a run's rollups from its steps (after a layout change). Call inside a transaction. */
  rebuildRollups(rid: number): void {
    let after = -1;
    for (;;) {
      const rows = this.rawRangeArrays(rid, after + 1, Number.MAX_SAFE_INTEGER, 50_000);
      // break, not return: the layer rollups below must be rebuilt too.
      if (rows.length === 0) break;
      const level1 = new Map<number, BucketAgg>();
      const values: (number | null)[] = [null, null, null, null, null];
      for (const r of rows) {
        for (let c = 0; c < 5; c++) values[c] = r[c + 1];
        if (r[7] !== 0) decodeNaN(values, r[7] as number);
        addStep(level1, Math.floor((r[0] as number) / LEVEL_WIDTHS[1]), r[0] as number, values, r[6], r[8]);
      }
      this.rollups.addLevel1(rid, level1);
      after = rows[rows.length - 1][0] as number;
    }
    for (const idx of this.layerNames(rid).values()) {
      const layer1 = new Map<number, LayerAgg>();
      for (const { step, value } of this.layerRange(rid, idx, 0, Number.MAX_SAFE_INTEGER)) {
        mergeLayer(layer1, Math.floor(step / LEVEL_WIDTHS[1]), step, value, nonFiniteCount(value));
      }
      if (layer1.size > 0) this.layerRollups.addLevel1(rid, idx, layer1);
    }
  }

  /** Moves the steps after `step` to the audit table and fixes the rollups. Returns how many moved. */
  supersedeAfter(rid: number, step: number, resumeId: number): number {
    const moved = this.#archive.run(resumeId, rid, step).changes;
    if (moved === 0) return 0;
    this.#deleteAfter.run(rid, step);
    this.#deleteLayersAfter.run(rid, step);
    this.rollups.truncateAfter(rid, step, (from, to) => this.rawAgg(rid, from, to));
    for (const idx of this.layerNames(rid).values()) {
      this.layerRollups.truncateAfter(rid, idx, step, (from, to) => {
        let agg: LayerAgg | null = null;
        for (const { step: s, value } of this.layerRange(rid, idx, from, to)) {
          if (agg === null) agg = { first: s, max: value, nonFinite: nonFiniteCount(value) };
          else {
            agg.max = pickMax(agg.max, value);
            agg.nonFinite += nonFiniteCount(value);
          }
        }
        return agg;
      });
    }
    return moved;
  }
}
