// The database a test server stores into: a fresh SQLite file in a temp folder, or (in the
// `postgres` vitest project, GRADPILOT_TEST_STORE=postgres) a fresh database in the run's
// PostgreSQL cluster. Either way one per server, removed by drop().
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';

export function onPostgres(): boolean {
  return process.env.GRADPILOT_TEST_STORE === 'postgres';
}

export interface TestDatabase {
  /** The `db` option: a file path or a postgres:// URL. */
  db: string;
  /** A temp folder for the test's other files (removed by drop()). */
  dir: string;
  drop(): Promise<void>;
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const url = process.env.GRADPILOT_TEST_PG_ADMIN;
  if (!url) throw new Error('GRADPILOT_TEST_STORE=postgres needs the postgres project globalSetup (test/support/postgres-setup.ts)');
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

let counter = 0;

export async function createTestDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-test-'));
  if (!onPostgres()) return { db: path.join(dir, 'test.db'), dir, drop: async () => rmSync(dir, { recursive: true, force: true }) };
  const name = `gp_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  const base = new URL(process.env.GRADPILOT_TEST_PG_ADMIN as string);
  base.pathname = `/${name}`;
  return {
    db: base.toString(),
    dir,
    async drop() {
      rmSync(dir, { recursive: true, force: true });
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** Row counts of `tables` in a test database (SQLite file or PostgreSQL). */
export async function tableCounts(db: string, tables: readonly string[]): Promise<Record<string, number>> {
  if (db.startsWith('postgres')) {
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    try {
      const out: Record<string, number> = {};
      for (const t of tables) out[t] = Number((await c.query(`SELECT count(*) AS n FROM ${t}`)).rows[0].n);
      return out;
    } finally {
      await c.end();
    }
  }
  const { default: Database } = await import('better-sqlite3');
  const sqlite = new Database(db, { readonly: true });
  try {
    return Object.fromEntries(tables.map((t) => [t, (sqlite.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
  } finally {
    sqlite.close();
  }
}

/** Rows of one query in a test database (SQLite `?` and PostgreSQL `$n` placeholders both work, if none are given). */
export async function queryRows(db: string, sql: string): Promise<Record<string, unknown>[]> {
  if (db.startsWith('postgres')) {
    const c = new pg.Client({ connectionString: db });
    await c.connect();
    try {
      return (await c.query(sql)).rows.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v])));
    } finally {
      await c.end();
    }
  }
  const { default: Database } = await import('better-sqlite3');
  const sqlite = new Database(db, { readonly: true });
  try {
    return sqlite.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    sqlite.close();
  }
}
