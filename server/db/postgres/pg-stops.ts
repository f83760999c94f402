// Stop requests and their receipts on PostgreSQL (as stop-store.ts).
import type { StopAck, StopRequest } from '@gradpilot/sdk/protocol';
import type { StopsApi } from '../server-store.ts';
import { type StopRow, toStopRequest } from '../stop-store.ts';
import type { Sql } from './pg-sql.ts';

export class PgStops implements StopsApi {
  readonly #sql: Sql;

  constructor(sql: Sql) {
    this.#sql = sql;
  }

  async add(rid: number, runId: string, author: string, reason: string | null, at: string): Promise<StopRequest> {
    const [{ id }] = await this.#sql.rows<{ id: number }>('INSERT INTO stop_requests (rid, author, reason, created_at) VALUES ($1, $2, $3, $4) RETURNING id', [rid, author, reason, at]);
    return { id, runId, author, reason, createdAt: at, clearedAt: null, acks: [] };
  }

  async inForce(rid: number, runId: string): Promise<StopRequest | undefined> {
    const [row] = await this.#sql.rows<StopRow>('SELECT * FROM stop_requests WHERE rid = $1 AND cleared_at IS NULL ORDER BY id DESC LIMIT 1', [rid]);
    return row && this.#toRequest(runId, row);
  }

  async get(rid: number, runId: string, id: number): Promise<StopRequest | undefined> {
    const [row] = await this.#sql.rows<StopRow>('SELECT * FROM stop_requests WHERE rid = $1 AND id = $2', [rid, id]);
    return row && this.#toRequest(runId, row);
  }

  async history(rid: number, runId: string): Promise<StopRequest[]> {
    const rows = await this.#sql.rows<StopRow>('SELECT * FROM stop_requests WHERE rid = $1 ORDER BY id', [rid]);
    return Promise.all(rows.map((r) => this.#toRequest(runId, r)));
  }

  async clear(rid: number, at: string): Promise<number> {
    return this.#sql.run('UPDATE stop_requests SET cleared_at = $1 WHERE rid = $2 AND cleared_at IS NULL', [at, rid]);
  }

  /** The first receipt of a rank wins (as in SQLite: INSERT OR IGNORE). */
  async ack(stopId: number, rank: number, step: number | null, at: string): Promise<void> {
    await this.#sql.run('INSERT INTO stop_acks (stop_id, rank, step, at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING', [stopId, rank, step, at]);
  }

  async #toRequest(runId: string, row: StopRow): Promise<StopRequest> {
    return toStopRequest(runId, row, await this.#sql.rows<StopAck>('SELECT rank, step, at FROM stop_acks WHERE stop_id = $1 ORDER BY rank', [row.id]));
  }
}
