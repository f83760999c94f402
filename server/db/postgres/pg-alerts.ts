// Alerts and their deliveries on PostgreSQL (as alert-store.ts).
import type { Alert, AlertKind, AlertPayload } from '@gradpilot/sdk/protocol';
import { type AlertFilter, type AlertRow, type AttemptOutcome, type DeliveryJob, type DeliveryRow, type DeliveryTarget, toAlert } from '../alert-store.ts';
import type { AlertsApi } from '../server-store.ts';
import type { PgDatabase, Sql } from './pg-sql.ts';


export class PgAlerts implements AlertsApi {
  readonly #db: PgDatabase;

  constructor(db: PgDatabase) {
    this.#db = db;
  }

  async add(rid: number | null, payload: Omit<AlertPayload, 'alertId'>, targets: DeliveryTarget[]): Promise<{ alert: Alert; deliveryIds: number[] }> {
    const { id, deliveryIds } = await this.#db.transaction(async (sql) => {
      const [{ id }] = await sql.rows<{ id: number }>(
        "INSERT INTO alerts (rid, project, kind, step, payload, created_at) VALUES ($1, $2, $3, $4, '{}', $5) RETURNING id",
        [rid, payload.project, payload.kind, payload.step, payload.at],
      );
      const full: AlertPayload = { ...payload, alertId: id };
      await sql.run('UPDATE alerts SET payload = $1 WHERE id = $2', [JSON.stringify(full), id]);
      const ids: number[] = [];
      for (const t of targets) {
        const [d] = await sql.rows<{ id: number }>(
          "INSERT INTO alert_deliveries (alert_id, webhook_id, target, status, next_at) VALUES ($1, $2, $3, 'pending', $4) RETURNING id",
          [id, t.webhookId, t.url, payload.at],
        );
        ids.push(d.id);
      }
      return { id, deliveryIds: ids };
    });
    return { alert: (await this.get(id)) as Alert, deliveryIds };
  }

  async latest(rid: number, kind: AlertKind): Promise<{ id: number; at: string } | undefined> {
    const [row] = await this.#db.sql.rows<{ id: number; created_at: string }>('SELECT id, created_at FROM alerts WHERE rid = $1 AND kind = $2 ORDER BY id DESC LIMIT 1', [rid, kind]);
    return row && { id: row.id, at: row.created_at };
  }

  async suppress(id: number): Promise<void> {
    await this.#db.sql.run('UPDATE alerts SET suppressed = suppressed + 1 WHERE id = $1', [id]);
  }

  async get(id: number): Promise<Alert | undefined> {
    const [row] = await this.#db.sql.rows<AlertRow>('SELECT id, payload, suppressed FROM alerts WHERE id = $1', [id]);
    return row && this.#toAlert(this.#db.sql, row);
  }

  async byDelivery(deliveryId: number): Promise<Alert | undefined> {
    const [row] = await this.#db.sql.rows<AlertRow>('SELECT a.id, a.payload, a.suppressed FROM alerts a JOIN alert_deliveries d ON d.alert_id = a.id WHERE d.id = $1', [deliveryId]);
    return row && this.#toAlert(this.#db.sql, row);
  }

  async list({ rid = null, project = null, kind = null, before = null, limit = 100 }: AlertFilter = {}): Promise<Alert[]> {
    const rows = await this.#db.sql.rows<AlertRow>(
      `SELECT id, payload, suppressed FROM alerts
       WHERE ($1::bigint IS NULL OR rid = $1) AND ($2::text IS NULL OR project = $2) AND ($3::text IS NULL OR kind = $3) AND id < $4
       ORDER BY id DESC LIMIT $5`,
      [rid, project, kind, before ?? Number.MAX_SAFE_INTEGER, limit],
    );
    return Promise.all(rows.map((r) => this.#toAlert(this.#db.sql, r)));
  }

  async job(deliveryId: number): Promise<DeliveryJob | undefined> {
    const [row] = await this.#db.sql.rows<DeliveryRow & { payload: string }>(
      'SELECT d.*, a.payload FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.id = $1',
      [deliveryId],
    );
    if (!row || row.status !== 'pending') return undefined;
    return { id: row.id, url: row.target, body: row.payload, attempts: row.attempts };
  }

  async pending(): Promise<{ id: number; nextAt: string | null }[]> {
    const rows = await this.#db.sql.rows<{ id: number; next_at: string | null }>("SELECT id, next_at FROM alert_deliveries WHERE status = 'pending' ORDER BY id");
    return rows.map((r) => ({ id: r.id, nextAt: r.next_at }));
  }

  async recordAttempt(id: number, o: AttemptOutcome): Promise<void> {
    await this.#db.sql.run(
      'UPDATE alert_deliveries SET status = $2, attempts = $3, last_status = $4, last_error = $5, next_at = $6, delivered_at = $7 WHERE id = $1',
      [id, o.status, o.attempts, o.lastStatus, o.lastError, o.nextAt, o.deliveredAt],
    );
  }

  async #toAlert(sql: Sql, row: AlertRow): Promise<Alert> {
    return toAlert(row, await sql.rows<DeliveryRow>('SELECT * FROM alert_deliveries WHERE alert_id = $1 ORDER BY id', [row.id]));
  }
}
