// Runs on PostgreSQL (as run-store.ts): lookups, pages, and the counters ingest bumps.
import type { IngestCounts, RunRow } from '../run-store.ts';
import { TOP_LEVEL } from '../rollup-store.ts';
import type { RunsApi } from '../server-store.ts';
import type { Sql } from './pg-sql.ts';

export class PgRuns implements RunsApi {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async byId(id: string): Promise<RunRow | undefined> {
    return (await this.#sql.rows<RunRow>('SELECT * FROM runs WHERE id = $1', [id]))[0];
  }

  async byRid(rid: number): Promise<RunRow | undefined> {
    return (await this.#sql.rows<RunRow>('SELECT * FROM runs WHERE rid = $1', [rid]))[0];
  }

  async all(): Promise<RunRow[]> {
    return this.#sql.rows<RunRow>('SELECT * FROM runs ORDER BY rid DESC');
  }

  async page(limit: number, beforeRid: number | null, project: string | null = null, search: string | null = null): Promise<RunRow[]> {
    const before = beforeRid ?? Number.MAX_SAFE_INTEGER;
    // ILIKE: case-insensitive like SQLite's LIKE for ASCII; `\` (the default escape) escapes the user's % and _.
    const q = search === null ? null : `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return this.#sql.rows<RunRow>(
      `SELECT * FROM runs WHERE rid < $1 AND ($2::text IS NULL OR project = $2)
         AND ($3::text IS NULL OR name ILIKE $3 OR project ILIKE $3 OR id ILIKE $3)
       ORDER BY rid DESC LIMIT $4`,
      [before, project, q, limit],
    );
  }

  async projects(): Promise<string[]> {
    return (await this.#sql.rows<{ project: string }>('SELECT DISTINCT project FROM runs WHERE project IS NOT NULL ORDER BY project')).map((r) => r.project);
  }

  async count(): Promise<number> {
    return (await this.#sql.rows<{ n: number }>('SELECT count(*) AS n FROM runs'))[0]?.n ?? 0;
  }
}

export async function createRunRow(sql: Sql, id: string, name: string, project: string | null, config: unknown, at: string): Promise<RunRow> {
  const json = config === null || config === undefined ? null : JSON.stringify(config);
  const [row] = await sql.rows<RunRow>('INSERT INTO runs (id, name, project, config, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *', [id, name, project, json, at]);
  return row;
}

export async function bumpRun(sql: Sql, rid: number, c: IngestCounts, added: number, at: string): Promise<void> {
  await sql.run(
    `UPDATE runs SET steps = steps + $2, clipped = clipped + $3, skipped = skipped + $4, non_finite = non_finite + $5,
       last_step = greatest(coalesce(last_step, -1), coalesce($6::bigint, -1)), last_step_at = $7, finished_at = NULL, events = events + $8
     WHERE rid = $1`,
    [rid, c.accepted, c.clipped, c.skipped, c.nonFinite, c.maxStep, at, added],
  );
}

/** Recomputes the step and event counters from the rollups and events (after a resume). */
export async function recountRun(sql: Sql, rid: number): Promise<void> {
  await sql.run(
    `UPDATE runs SET
       steps = coalesce((SELECT sum(count) FROM rollups WHERE rid = $1 AND level = ${TOP_LEVEL}), 0),
       clipped = coalesce((SELECT sum(clipped) FROM rollups WHERE rid = $1 AND level = ${TOP_LEVEL}), 0),
       skipped = coalesce((SELECT sum(skipped) FROM rollups WHERE rid = $1 AND level = ${TOP_LEVEL}), 0),
       non_finite = coalesce((SELECT sum(non_finite) FROM rollups WHERE rid = $1 AND level = ${TOP_LEVEL}), 0),
       last_step = (SELECT max(step) FROM steps WHERE rid = $1),
       events = (SELECT count(*) FROM events WHERE rid = $1)
     WHERE rid = $1`,
    [rid],
  );
}
