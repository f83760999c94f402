// Events on PostgreSQL (as event-store.ts).
import type { RunEvent } from '@gradpilot/sdk/protocol';
import { encodeNumber } from '@gradpilot/sdk/protocol';
import { EVENT_COLUMNS, type EventRow, type NewEvent, toRunEvent } from '../event-store.ts';
import type { EventsApi } from '../server-store.ts';
import type { Sql } from './pg-sql.ts';

/**
 * Stores events, or extends the stored burst an event continues (see EventStore.insert).
 * Inside the ingest transaction.
 */
export async function insertEvents(sql: Sql, rid: number, runId: string, events: NewEvent[], at: string): Promise<{ events: RunEvent[]; added: number }> {
  let added = 0;
  const out: RunEvent[] = [];
  for (const e of events) {
    if (e.continuesAfter !== undefined) {
      const [open] = await sql.rows<EventRow>(
        `UPDATE events SET last_step = $3, count = count + $4
         WHERE id = (SELECT id FROM events WHERE rid = $1 AND kind = 'nonfinite' AND coalesce(last_step, step) = $2 ORDER BY id DESC LIMIT 1)
         RETURNING ${EVENT_COLUMNS}`,
        [rid, e.continuesAfter, e.lastStep ?? e.step, e.count ?? 1],
      );
      if (open) {
        out.push(toRunEvent(open, runId));
        continue;
      }
    }
    added++;
    const isNaN = e.gradNorm !== null && Number.isNaN(e.gradNorm);
    const lastStep = e.lastStep ?? e.step;
    const [{ id }] = await sql.rows<{ id: number }>(
      'INSERT INTO events (rid, step, kind, grad_norm, nan, detail, created_at, last_step, count) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id',
      [rid, e.step, e.kind, isNaN ? null : e.gradNorm, isNaN ? 1 : 0, e.detail, at, lastStep === e.step ? null : lastStep, e.count ?? 1],
    );
    out.push({ id, runId, step: e.step, lastStep, count: e.count ?? 1, kind: e.kind, gradNorm: encodeNumber(e.gradNorm), detail: e.detail, createdAt: at });
  }
  return { events: out, added };
}

export class PgEvents implements EventsApi {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async list(
    rid: number, runId: string,
    { from = 0, to = Number.MAX_SAFE_INTEGER, after = 0, before = Number.MAX_SAFE_INTEGER, limit = 10_000, newest = false }:
    { from?: number; to?: number; after?: number; before?: number; limit?: number; newest?: boolean } = {},
  ): Promise<RunEvent[]> {
    const rows = newest
      ? await this.#sql.rows<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE rid = $1 AND step BETWEEN $2 AND $3 AND id < $4 ORDER BY step DESC, id DESC LIMIT $5`, [rid, from, to, before, limit])
      : await this.#sql.rows<EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE rid = $1 AND step BETWEEN $2 AND $3 AND id > $4 ORDER BY step, id LIMIT $5`, [rid, from, to, after, limit]);
    return rows.map((r) => toRunEvent(r, runId));
  }

  async countByKind(rid: number): Promise<Record<string, number>> {
    const rows = await this.#sql.rows<{ kind: string; n: number }>('SELECT kind, count(*) AS n FROM events WHERE rid = $1 GROUP BY kind', [rid]);
    return Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  }

  async has(rid: number, kind: string): Promise<boolean> {
    return (await this.#sql.rows('SELECT 1 FROM events WHERE rid = $1 AND kind = $2 LIMIT 1', [rid, kind])).length > 0;
  }
}
