// Reads a gradpilot SQLite file directly: row counts and a checksum of every table (to prove
// that rejected input changed nothing), the integrity check, and a run's stored steps.
import { createHash } from 'node:crypto';
import Database from 'better-sqlite3';

export interface StoreSnapshot {
  /** Table name -> row count. */
  counts: Record<string, number>;
  /** sha256 over every row of every table, in key order. */
  checksum: string;
}

/** Opens read-only: safe beside a live server (WAL), and never checkpoints a crashed file. */
export function openReadOnly(file: string): Database.Database {
  return new Database(file, { readonly: true, fileMustExist: true });
}

function withDb<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = openReadOnly(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

export function snapshotStore(file: string): StoreSnapshot {
  return withDb(file, (db) => {
    const tables = db.prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    const hash = createHash('sha256');
    const counts: Record<string, number> = {};
    for (const { name } of tables) {
      const cols = db.prepare<[], { name: string }>(`SELECT name FROM pragma_table_info('${name}')`).all().map((c) => `"${c.name}"`);
      const rows = db.prepare(`SELECT ${cols.join(', ')} FROM "${name}" ORDER BY ${cols.join(', ')}`).raw().all();
      counts[name] = rows.length;
      hash.update(`${name}\n`);
      // Doubles by their exact bits: JSON would print -0 as 0 and round nothing, but be explicit.
      for (const row of rows) hash.update(JSON.stringify(row, (_k, v: unknown) => (typeof v === 'number' && Object.is(v, -0) ? '-0' : v)) + '\n');
    }
    return { counts, checksum: hash.digest('hex') };
  });
}

/** `PRAGMA integrity_check`: 'ok' or the problems SQLite found. */
export function integrityCheck(file: string): string {
  return withDb(file, (db) => (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check).join('; '));
}

export interface StepRow {
  step: number;
  gradNorm: number | null;
  threshold: number | null;
}

/** A run's stored steps in step order, NaN restored from the `nan` bitmask (bit 0 gradNorm, bit 3 threshold). */
export function storedStepRows(file: string, runId: string): StepRow[] {
  return withDb(file, (db) => {
    const run = db.prepare<[string], { rid: number }>('SELECT rid FROM runs WHERE id = ?').get(runId);
    if (!run) return [];
    return db
      .prepare<[number], { step: number; grad_norm: number | null; threshold: number | null; nan: number }>(
        'SELECT step, grad_norm, threshold, nan FROM steps WHERE rid = ? ORDER BY step',
      )
      .all(run.rid)
      .map((r) => ({
        step: r.step,
        gradNorm: r.nan & 1 ? Number.NaN : r.grad_norm,
        threshold: r.nan & 8 ? Number.NaN : r.threshold,
      }));
  });
}

/** How many rows the run has and how many distinct steps among them. */
export function stepCounts(file: string, runId: string): { rows: number; distinct: number } {
  return withDb(file, (db) => {
    const r = db
      .prepare<[string], { rows: number; distinct: number }>(
        'SELECT count(*) AS rows, count(DISTINCT step) AS "distinct" FROM steps WHERE rid = (SELECT rid FROM runs WHERE id = ?)',
      )
      .get(runId);
    return r ?? { rows: 0, distinct: 0 };
  });
}
