// Shared by the server benchmarks: the rows every contender ingests, a raw better-sqlite3
// baseline with the same schema and batches, and big runs built through the store layer.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { type StepColumns, emptyColumns } from '../../sdk/protocol/validate.ts';
import { Store } from '../../server/db/store.ts';

export const BATCH = 1000;

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The wall-clock time of step 0 in the benchmarks' runs (ms); a step every 10 ms after it. */
export const BENCH_T0 = 1_764_590_400_000;

/** One batch of steps starting at `start`: realistic values (norm, loss, lr, threshold, coef, action, time). */
export function makeBatch(start: number, n = BATCH): {
  step: Float64Array; gradNorm: Float64Array; loss: Float64Array; lr: Float64Array; threshold: Float64Array; coef: Float64Array; action: ('apply' | 'clip')[];
  time: Float64Array;
} {
  const step = new Float64Array(n);
  const gradNorm = new Float64Array(n);
  const loss = new Float64Array(n);
  const lr = new Float64Array(n);
  const threshold = new Float64Array(n);
  const coef = new Float64Array(n);
  const action: ('apply' | 'clip')[] = new Array(n);
  const time = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = start + i;
    step[i] = s;
    time[i] = BENCH_T0 + s * 10;
    gradNorm[i] = 1 + Math.sin(s / 100) * 0.5 + (s % 997 === 0 ? 20 : 0);
    loss[i] = 2 / (1 + s / 1000);
    lr[i] = 1e-3;
    threshold[i] = 1.4;
    coef[i] = gradNorm[i] > 1.4 ? 1.4 / (gradNorm[i] + 1e-6) : 1;
    action[i] = gradNorm[i] > 1.4 ? 'clip' : 'apply';
  }
  return { step, gradNorm, loss, lr, threshold, coef, action, time };
}

export function toColumns(b: ReturnType<typeof makeBatch>): StepColumns {
  const cols = emptyColumns();
  cols.step = Array.from(b.step);
  cols.gradNorm = Array.from(b.gradNorm);
  cols.loss = Array.from(b.loss);
  cols.lr = Array.from(b.lr);
  cols.threshold = Array.from(b.threshold);
  cols.coef = Array.from(b.coef);
  cols.action = b.action.slice();
  cols.time = Array.from(b.time);
  return cols;
}

/**
 * The baseline: the same rows into a table shaped like ours, one prepared statement, one
 * transaction per batch, on a file with the server's settings (WAL, synchronous NORMAL,
 * checkpoint every 10,000 pages: see open-database.ts).
 */
export class RawInsert {
  readonly db: Database.Database;
  readonly #insert;
  readonly #tx;
  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('wal_autocheckpoint = 10000');
    this.db.exec(`CREATE TABLE steps (rid INTEGER NOT NULL, step INTEGER NOT NULL, grad_norm REAL, loss REAL, lr REAL, threshold REAL,
      coef REAL, action INTEGER, nan INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (rid, step)) WITHOUT ROWID`);
    this.#insert = this.db.prepare('INSERT OR IGNORE INTO steps VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.#tx = this.db.transaction((b: ReturnType<typeof makeBatch>) => {
      for (let i = 0; i < b.step.length; i++) {
        this.#insert.run(1, b.step[i], b.gradNorm[i], b.loss[i], b.lr[i], b.threshold[i], b.coef[i], b.action[i] === 'clip' ? 1 : 0, 0);
      }
    });
  }
  insert(b: ReturnType<typeof makeBatch>): void {
    this.#tx(b);
  }
}

/** A run of `n` steps inserted through the store layer (so rollups are real), in 20k-step transactions. */
export function buildRun(store: Store, name: string, n: number): number {
  const run = store.runs.create(name, name, null, null, new Date().toISOString());
  const chunk = 20_000;
  for (let start = 0; start < n; start += chunk) {
    const cols = toColumns(makeBatch(start, Math.min(chunk, n - start)));
    store.transaction(() => {
      const r = store.steps.insert(run.rid, cols);
      store.runs.bump(run.rid, { accepted: r.inserted.length, clipped: r.clipped, skipped: r.skipped, nonFinite: r.nonFinite, maxStep: r.maxStep }, 'now');
    });
  }
  return run.rid;
}
