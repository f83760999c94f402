// Opens (and creates) the SQLite file: WAL for concurrent readers while ingest writes,
// and the schema. Numeric columns are REAL; SQLite keeps ±Infinity in a REAL but turns
// NaN into NULL, so every table with doubles carries a `nan` bitmask saying which NULLs
// are really NaN (bit i = column i). NULL with the bit clear means "missing".
import Database from 'better-sqlite3';
import { ensureColumns } from './ensure-columns.ts';
import createDebug from 'debug';
import { createOwnerOnly, restrictToOwner } from './owner-only-files.ts';
import { DatabaseFileError, checkOpenDatabase } from './check-database.ts';
import { BUSY_TIMEOUT_MS } from './store-fault.ts';

const log = createDebug('gradpilot:db');

const SCHEMA = `
CREATE TABLE IF NOT EXISTS runs (
  rid INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  project TEXT,
  config TEXT,
  created_at TEXT NOT NULL,
  finished_at TEXT,
  steps INTEGER NOT NULL DEFAULT 0,
  last_step INTEGER,
  last_step_at TEXT,
  clipped INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  non_finite INTEGER NOT NULL DEFAULT 0,
  events INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS steps (
  rid INTEGER NOT NULL,
  step INTEGER NOT NULL,
  grad_norm REAL, loss REAL, lr REAL, threshold REAL, coef REAL,
  action INTEGER,
  nan INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (rid, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollups (
  rid INTEGER NOT NULL,
  level INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  count INTEGER NOT NULL,
  non_finite INTEGER NOT NULL,
  clipped INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  first_step INTEGER NOT NULL,
  last_step INTEGER NOT NULL,
  g_min REAL, g_max REAL, g_last REAL,
  l_min REAL, l_max REAL, l_last REAL,
  r_min REAL, r_max REAL, r_last REAL,
  t_min REAL, t_max REAL, t_last REAL,
  c_min REAL, c_max REAL, c_last REAL,
  nan INTEGER NOT NULL,
  PRIMARY KEY (rid, level, bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS layer_names (
  rid INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  name TEXT NOT NULL,
  PRIMARY KEY (rid, idx),
  UNIQUE (rid, name)
);
CREATE TABLE IF NOT EXISTS layer_norms (
  rid INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  step INTEGER NOT NULL,
  value REAL,
  nan INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (rid, idx, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS layer_rollups (
  rid INTEGER NOT NULL,
  idx INTEGER NOT NULL,
  level INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  first_step INTEGER NOT NULL,
  max REAL,
  nan INTEGER NOT NULL,
  PRIMARY KEY (rid, idx, level, bucket)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY,
  rid INTEGER NOT NULL,
  step INTEGER NOT NULL,
  kind TEXT NOT NULL,
  grad_norm REAL,
  nan INTEGER NOT NULL DEFAULT 0,
  detail TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_by_run ON events (rid, step);
CREATE TABLE IF NOT EXISTS policies (
  rid INTEGER NOT NULL,
  version INTEGER NOT NULL,
  effective_step INTEGER NOT NULL,
  policy TEXT NOT NULL,
  author TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (rid, version)
);
CREATE TABLE IF NOT EXISTS policy_acks (
  rid INTEGER NOT NULL,
  version INTEGER NOT NULL,
  rank INTEGER NOT NULL,
  applied_at_step INTEGER NOT NULL,
  late INTEGER NOT NULL,
  at TEXT NOT NULL,
  PRIMARY KEY (rid, version, rank)
);
CREATE TABLE IF NOT EXISTS resumes (
  id INTEGER PRIMARY KEY,
  rid INTEGER NOT NULL,
  from_step INTEGER NOT NULL,
  superseded INTEGER NOT NULL,
  at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS superseded_steps (
  resume_id INTEGER NOT NULL,
  rid INTEGER NOT NULL,
  step INTEGER NOT NULL,
  grad_norm REAL, loss REAL, lr REAL, threshold REAL, coef REAL,
  action INTEGER,
  nan INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (resume_id, step)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  rid INTEGER,
  project TEXT,
  kind TEXT NOT NULL,
  step INTEGER,
  payload TEXT NOT NULL,
  suppressed INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_by_run ON alerts (rid, kind, id);
CREATE TABLE IF NOT EXISTS alert_deliveries (
  id INTEGER PRIMARY KEY,
  alert_id INTEGER NOT NULL,
  webhook_id INTEGER,
  target TEXT NOT NULL,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_status INTEGER,
  last_error TEXT,
  next_at TEXT,
  delivered_at TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_by_alert ON alert_deliveries (alert_id);
CREATE TABLE IF NOT EXISTS stop_requests (
  id INTEGER PRIMARY KEY,
  rid INTEGER NOT NULL,
  author TEXT NOT NULL,
  reason TEXT,
  created_at TEXT NOT NULL,
  cleared_at TEXT
);
CREATE INDEX IF NOT EXISTS stop_requests_by_run ON stop_requests (rid, id);
CREATE TABLE IF NOT EXISTS stop_acks (
  stop_id INTEGER NOT NULL,
  rank INTEGER NOT NULL,
  step INTEGER,
  at TEXT NOT NULL,
  PRIMARY KEY (stop_id, rank)
);
CREATE TABLE IF NOT EXISTS project_webhooks (
  id INTEGER PRIMARY KEY,
  project TEXT NOT NULL,
  url TEXT NOT NULL,
  author TEXT NOT NULL,
  created_at TEXT NOT NULL,
  UNIQUE (project, url)
);
`;

export type Db = Database.Database;

export interface OpenOptions {
  /** Refuse a damaged or unwritable file before anything writes (what a server does). */
  verify?: boolean;
}

export function openDatabase(file: string, { verify = false }: OpenOptions = {}): Db {
  createOwnerOnly(file);
  let db: Db;
  try {
    // A write waits this long for another process's lock (with BEGIN IMMEDIATE, see Store).
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw new DatabaseFileError(`Cannot open the database ${file}: ${(err as Error).message}. Check that its folder exists and is writable, or pass another --db.`, { cause: err });
  }
  if (verify) {
    try {
      checkOpenDatabase(db, file);
    } catch (err) {
      db.close();
      throw err;
    }
  }
  db.pragma('journal_mode = WAL');
  // WAL + NORMAL: a commit survives a process crash; only an OS crash may lose the last ones.
  db.pragma('synchronous = NORMAL');
  // Checkpoint every ~40 MB of WAL instead of 4 MB: the rollup and run pages every batch
  // rewrites are then copied back once per checkpoint rather than many times.
  db.pragma('wal_autocheckpoint = 10000');
  db.pragma('foreign_keys = OFF');
  db.exec(SCHEMA);
  ensureColumns(db);
  // After the first statement in WAL mode, so that the -wal and -shm exist.
  restrictToOwner(file);
  log('opened %s', file);
  return db;
}
