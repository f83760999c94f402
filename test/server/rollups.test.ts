// The downsampled steps query against a brute-force pass over the raw rows, on random data
// with NaN, ±Infinity, missing values, gaps and out-of-order batches (wall-clock times and
// per-layer non-finite counts included); and an isolated spike survives every zoom level.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Action } from '../../sdk/controller/types.ts';
import type { StepSeries } from '../../sdk/protocol/api-types.ts';
import { emptyColumns } from '../../sdk/protocol/validate.ts';
import { encodeNumber } from '../../sdk/protocol/wire-number.ts';
import { ROLLUP_LAYOUT_VERSION, Store } from '../../server/db/store.ts';
import { SqliteServerStore } from '../../server/db/sqlite-server-store.ts';
import { querySteps } from '../../server/query/query-steps.ts';
import { queryLayers } from '../../server/query/query-layers.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { call, createRun } from './http-client.ts';
import { mulberry32 as rng } from '../support/random.ts';


interface Row {
  step: number;
  values: (number | null)[];
  action: Action | null;
  /** Wall-clock ms; null in a few rows, as for steps stored before the time column. */
  time?: number | null;
}

/** A time per step, not in step order (ranks and resends make it so), null now and then. */
function randomTime(r: () => number, step: number): number | null {
  return r() < 0.05 ? null : 1.7e12 + step * 37 + Math.floor(r() * 5000);
}

function randomValue(r: () => number): number | null {
  const x = r();
  if (x < 0.03) return Number.NaN;
  if (x < 0.04) return Number.POSITIVE_INFINITY;
  if (x < 0.05) return Number.NEGATIVE_INFINITY;
  if (x < 0.1) return null;
  return (r() - 0.3) * 10;
}

/** Written independently of bucket-agg.ts: group the raw rows, then min/max/last by hand. */
function bruteForce(rows: Row[], from: number, to: number, width: number): StepSeries {
  const groups = new Map<number, Row[]>();
  for (const row of rows) {
    if (row.step < from || row.step > to) continue;
    const k = Math.floor(row.step / width);
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(row);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);
  const sorted = keys.map((k) => groups.get(k)!.slice().sort((a, b) => a.step - b.step));
  const first = rows.reduce<Row | null>((f, row) => (f === null || row.step < f.step ? row : f), null);
  const extreme = (g: Row[], c: number, pick: (a: number, b: number) => number): number | null => {
    const nums = g.map((r) => r.values[c]).filter((v): v is number => v !== null && !Number.isNaN(v));
    if (nums.length > 0) return nums.reduce((a, b) => pick(a, b));
    return g.some((r) => r.values[c] !== null) ? Number.NaN : null;
  };
  const col = (c: number) => ({
    min: sorted.map((g) => encodeNumber(extreme(g, c, Math.min))),
    max: sorted.map((g) => encodeNumber(extreme(g, c, Math.max))),
    last: sorted.map((g) => encodeNumber(g[g.length - 1].values[c])),
  });
  return {
    runId: 'r',
    from,
    to,
    bucketSize: width,
    step: sorted.map((g) => g[0].step),
    lastStep: sorted.map((g) => g[g.length - 1].step),
    time: sorted.map((g) => g[0].time ?? null),
    startTime: first?.time ?? null,
    count: sorted.map((g) => g.length),
    nonFinite: sorted.map((g) => g.filter((r) => r.values[0] !== null && !Number.isFinite(r.values[0])).length),
    clipped: sorted.map((g) => g.filter((r) => r.action === 'clip').length),
    skipped: sorted.map((g) => g.filter((r) => r.action === 'skip').length),
    gradNorm: col(0),
    loss: col(1),
    lr: col(2),
    threshold: col(3),
    coef: col(4),
  };
}

describe('rollups', () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-rollups-'));
    store = new Store(path.join(dir, 'r.db'));
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should answer every range query exactly as a brute-force pass over the raw rows', async () => {
    const r = rng(42);
    const run = store.runs.create('r', 'r', null, null, 'now');
    // ~300k steps with gaps, inserted in shuffled batches so rollups merge out of order.
    const rows: Row[] = [];
    for (let step = 0; step < 300_000; step++) {
      if (r() < 0.9) continue; // sparse: few rows, yet every level is exercised
      rows.push({ step, values: [randomValue(r), randomValue(r), randomValue(r), randomValue(r), randomValue(r)], action: (['apply', 'clip', 'skip', null] as const)[Math.floor(r() * 4)], time: randomTime(r, step) });
    }
    insertShuffled(store, run.rid, rows, r);
    await checkRanges(store, run.rid, rows, r);
  });

  it('should store batches that only append (multi-row INSERTs) exactly as out-of-order ones (row by row)', async () => {
    const r = rng(7);
    const rows: Row[] = [];
    for (let step = 0; step < 300_000; step++) {
      if (r() < 0.9) continue;
      rows.push({ step, values: [randomValue(r), randomValue(r), randomValue(r), randomValue(r), randomValue(r)], action: (['apply', 'clip', 'skip', null] as const)[Math.floor(r() * 4)], time: randomTime(r, step) });
    }
    const appended = store.runs.create('appended', 'appended', null, null, 'now');
    const shuffled = store.runs.create('shuffled', 'shuffled', null, null, 'now');
    // 1237 rows per batch: every batch ends in a partial multi-row statement. Two layers.
    insertShuffled(store, appended.rid, rows, null, 1237, true);
    insertShuffled(store, shuffled.rid, rows, r, 1237, true);
    expect(store.steps.rawRangeArrays(appended.rid, 0, 300_000)).toEqual(store.steps.rawRangeArrays(shuffled.rid, 0, 300_000));
    for (const name of ['a', 'b']) {
      const idx = (rid: number) => store.steps.layerNames(rid).get(name)!;
      const appendedLayer = store.steps.layerRange(appended.rid, idx(appended.rid), 0, 300_000);
      expect(appendedLayer.length).toBeGreaterThan(20_000);
      expect(appendedLayer).toEqual(store.steps.layerRange(shuffled.rid, idx(shuffled.rid), 0, 300_000));
    }
    for (const [from, to, points] of [[0, 299_999, 1000], [12_345, 280_001, 333], [100, 9000, 200]]) {
      const { steps } = new SqliteServerStore(store);
      expect(await queryLayers(steps, appended.rid, 'r', from, to, points)).toEqual(await queryLayers(steps, shuffled.rid, 'r', from, to, points));
    }
    await checkRanges(store, appended.rid, rows, r);
    await checkRanges(store, shuffled.rid, rows, r);
  });

  it('should leave nothing of a batch whose transaction failed halfway, in the file or in memory', async () => {
    const run = store.runs.create('r', 'r', null, null, 'now');
    const batch = (from: number) => {
      const cols = emptyColumns();
      for (let step = from; step < from + 100; step++) {
        cols.step.push(step);
        cols.gradNorm.push(1 + step / 1000);
        for (const c of [cols.loss, cols.lr, cols.threshold, cols.coef]) c.push(null);
        cols.action.push(null);
      }
      cols.layers.set('a', cols.gradNorm.slice());
      return cols;
    };
    // Fail after the layer norms were buffered for their multi-row INSERT, before it ran.
    const addLevel1 = store.steps.layerRollups.addLevel1;
    store.steps.layerRollups.addLevel1 = () => {
      throw new Error('disk full (simulated)');
    };
    expect(() => store.transaction(() => store.steps.insert(run.rid, batch(0)))).toThrow(/simulated/);
    store.steps.layerRollups.addLevel1 = addLevel1;
    store.transaction(() => store.steps.insert(run.rid, batch(100)));
    // A fresh Store on the same file sees only what was committed.
    const reopened = new Store(path.join(dir, 'r.db'));
    try {
      expect(reopened.steps.rawRangeArrays(run.rid, 0, 1000).map((r) => r[0])).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
      const idx = reopened.steps.layerNames(run.rid).get('a');
      expect(idx).toBe(0);
      expect(reopened.steps.layerRange(run.rid, 0, 0, 1000).map((r) => r.step)).toEqual(Array.from({ length: 100 }, (_, i) => 100 + i));
    } finally {
      reopened.close();
    }
  });

  it('should answer per-layer queries exactly as a brute force, also after a resume', async () => {
    const r = rng(5);
    const run = store.runs.create('r', 'r', null, null, 'now');
    const layerRows: { step: number; a: number | null; b: number | null }[] = [];
    for (let step = 0; step < 300_000; step += 1 + Math.floor(r() * 25)) layerRows.push({ step, a: randomValue(r), b: r() < 0.5 ? null : randomValue(r) });
    for (let i = 0; i < layerRows.length; i += 3000) {
      const chunk = layerRows.slice(i, i + 3000);
      const cols = emptyColumns();
      for (const row of chunk) {
        cols.step.push(row.step);
        cols.gradNorm.push(1);
        for (const c of [cols.loss, cols.lr, cols.threshold, cols.coef]) c.push(null);
        cols.action.push(null);
      }
      cols.layers.set('a', chunk.map((x) => x.a));
      cols.layers.set('b', chunk.map((x) => x.b));
      store.transaction(() => store.steps.insert(run.rid, cols));
    }
    const brute = (rows: typeof layerRows, from: number, to: number, width: number) => {
      const groups = new Map<number, typeof layerRows>();
      for (const row of rows) {
        if (row.step < from || row.step > to || (row.a === null && row.b === null)) continue;
        const k = Math.floor(row.step / width);
        if (!groups.has(k)) groups.set(k, []);
        groups.get(k)!.push(row);
      }
      const keys = [...groups.keys()].sort((x, y) => x - y);
      const max = (g: typeof layerRows, pick: 'a' | 'b') => {
        const present = g.map((row) => row[pick]).filter((v): v is number => v !== null);
        const nums = present.filter((v) => !Number.isNaN(v));
        return encodeNumber(nums.length > 0 ? nums.reduce((x, y) => Math.max(x, y)) : present.length > 0 ? Number.NaN : null);
      };
      const nonFinite = (g: typeof layerRows, pick: 'a' | 'b') => g.filter((row) => row[pick] !== null && !Number.isFinite(row[pick])).length;
      return {
        step: keys.map((k) => groups.get(k)!.filter((row) => row.a !== null || row.b !== null)[0].step),
        max: [keys.map((k) => max(groups.get(k)!, 'a')), keys.map((k) => max(groups.get(k)!, 'b'))],
        nonFinite: [keys.map((k) => nonFinite(groups.get(k)!, 'a')), keys.map((k) => nonFinite(groups.get(k)!, 'b'))],
      };
    };
    const check = async (rows: typeof layerRows) => {
      for (const [from, to, points] of [[0, 299_999, 1000], [0, 299_999, 9], [5_000, 270_123, 77], [40_000, 40_600, 500], [123, 262_200, 2000]]) {
        const got = await queryLayers(new SqliteServerStore(store).steps, run.rid, 'r', from, to, points);
        expect(got.names).toEqual(['a', 'b']);
        expect({ step: got.step, max: got.max, nonFinite: got.nonFinite }).toEqual(brute(rows, from, to, got.bucketSize));
      }
    };
    await check(layerRows);
    const k = 262_144 + 512 * 3 + 5;
    store.supersedeAfter(run.rid, k, 'now');
    await check(layerRows.filter((row) => row.step <= k));
  });

  it('should rebuild the rollups of a file written with another rollup layout', async () => {
    const r = rng(11);
    const run = store.runs.create('r', 'r', null, null, 'now');
    const rows: Row[] = [];
    for (let step = 0; step < 100_000; step += 1 + Math.floor(r() * 30)) rows.push({ step, values: [randomValue(r), null, null, null, randomValue(r)], action: null, time: randomTime(r, step) });
    insertShuffled(store, run.rid, rows, r);
    store.db.exec('DELETE FROM rollups');
    store.db.pragma('user_version = 1');
    store.close();
    store = new Store(path.join(dir, 'r.db'));
    expect(store.db.pragma('user_version', { simple: true })).toBe(ROLLUP_LAYOUT_VERSION);
    await checkRanges(store, run.rid, rows, r);
  });

  it('should stay exact after a resume supersedes the steps after k and new values arrive', async () => {
    const r = rng(7);
    const run = store.runs.create('r', 'r', null, null, 'now');
    const rows: Row[] = [];
    for (let step = 0; step < 280_000; step += 1 + Math.floor(r() * 20)) {
      rows.push({ step, values: [randomValue(r), randomValue(r), null, null, null], action: r() < 0.3 ? 'clip' : null, time: randomTime(r, step) });
    }
    insertShuffled(store, run.rid, rows, r);
    const k = 262_144 + 4096 * 2 + 64 * 3 + 17; // inside a partial bucket at every level
    const moved = store.supersedeAfter(run.rid, k, 'now');
    const kept = rows.filter((row) => row.step <= k);
    expect(moved).toBe(rows.length - kept.length);
    // The run's counters are recomputed from the rollups.
    expect(store.runs.byRid(run.rid)).toMatchObject({ steps: kept.length, last_step: kept[kept.length - 1].step, clipped: kept.filter((x) => x.action === 'clip').length });
    const resent: Row[] = [];
    for (let step = k + 1; step < 275_000; step += 7) resent.push({ step, values: [r() * 100, null, null, null, null], action: 'skip', time: randomTime(r, step) });
    insertShuffled(store, run.rid, resent, r);
    const all = [...kept, ...resent];
    await checkRanges(store, run.rid, all, r);
  });
});

/**
 * Inserts `rows` in batches, in a random batch order (or in step order when `r` is null);
 * `withLayers`: also layer norms "a" (the norm) and "b" (the loss) where those are not missing.
 */
function insertShuffled(store: Store, rid: number, rows: Row[], r: (() => number) | null, batchSize = 2000, withLayers = false): void {
    const batches: Row[][] = [];
    for (let i = 0; i < rows.length; i += batchSize) batches.push(rows.slice(i, i + batchSize));
    if (r) batches.sort(() => r() - 0.5);
    for (const batch of batches) {
      const cols = emptyColumns();
      for (const row of batch) {
        cols.step.push(row.step);
        cols.gradNorm.push(row.values[0]);
        cols.loss.push(row.values[1]);
        cols.lr.push(row.values[2]);
        cols.threshold.push(row.values[3]);
        cols.coef.push(row.values[4]);
        cols.action.push(row.action);
        cols.time.push(row.time ?? null);
      }
      if (withLayers) {
        cols.layers.set('a', batch.map((row) => row.values[0]));
        cols.layers.set('b', batch.map((row) => row.values[1]));
      }
      store.transaction(() => store.steps.insert(rid, cols));
    }
}

async function checkRanges(store: Store, rid: number, rows: Row[], r: () => number): Promise<void> {
    const ranges: [number, number, number][] = [
      [0, 299_999, 1000],
      [0, 299_999, 7],
      [12_345, 280_001, 333],
      [4095, 4097 + 262_144, 50],
      [100, 170, 1000], // raw rows
      [100, 9000, 200],
      [262_143, 262_145, 1],
    ];
    for (let i = 0; i < 10; i++) {
      const a = Math.floor(r() * 300_000);
      const b = a + Math.floor(r() * (300_000 - a));
      ranges.push([a, b, 1 + Math.floor(r() * 2000)]);
    }
    for (const [from, to, points] of ranges) {
      const got = await querySteps(new SqliteServerStore(store).steps, rid, 'r', from, to, points);
      expect(got.step.length).toBeLessThanOrEqual(points);
      const want = bruteForce(rows, from, to, got.bucketSize);
      expect(got).toEqual(want);
    }
}

describe('downsampling', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await withServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('should keep an isolated spike in the max at every zoom', async () => {
    const id = await createRun(server.url);
    const spikeStep = 77_777;
    for (let start = 0; start < 100_000; start += 20_000) {
      const steps = Array.from({ length: 20_000 }, (_, i) => ({ step: start + i, gradNorm: start + i === spikeStep ? 1000 : 1 + ((start + i) % 7) / 100 }));
      expect((await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps })).status).toBe(200);
    }
    const zooms: [number, number, number][] = [
      [0, 99_999, 10],
      [0, 99_999, 1000],
      [50_000, 99_999, 3],
      [77_000, 78_000, 100],
      [77_777, 77_777, 1],
      [70_000, 80_000, 1],
    ];
    for (const [from, to, points] of zooms) {
      const s = await call<StepSeries>(`${server.url}/api/runs/${id}/steps?from=${from}&to=${to}&points=${points}`);
      expect(s.status).toBe(200);
      expect(s.body.step.length).toBeLessThanOrEqual(points);
      expect(Math.max(...(s.body.gradNorm.max as number[]))).toBe(1000);
      const i = (s.body.gradNorm.max as number[]).indexOf(1000);
      expect(s.body.step[i]).toBeLessThanOrEqual(spikeStep);
      expect(s.body.lastStep[i]).toBeGreaterThanOrEqual(spikeStep);
    }
  });
});
