// Alerts and their deliveries: what was raised (the exact JSON body, so a retry sends the same
// bytes; non-finite numbers are wire strings in it, so no NaN bitmask is needed) and, per
// webhook, whether it arrived. `rid` is null for a test alert sent without a run.
import type { Alert, AlertDelivery, AlertKind, AlertPayload, DeliveryStatus } from '@gradpilot/sdk/protocol';
import type { Db } from './open-database.ts';
import { redactWebhookUrl } from '../alerts/webhook-target.ts';

export interface DeliveryTarget {
  url: string;
  /** The project webhook's id; null for a server-wide one. */
  webhookId: number | null;
}

/** An alert's row, as both backends read it. */
export interface AlertRow {
  id: number;
  payload: string;
  suppressed: number;
}

/** A delivery's row, as both backends read it. */
export interface DeliveryRow {
  id: number;
  alert_id: number;
  webhook_id: number | null;
  target: string;
  status: DeliveryStatus;
  attempts: number;
  last_status: number | null;
  last_error: string | null;
  next_at: string | null;
  delivered_at: string | null;
}

/** A delivery with what the sender needs to make the next attempt. */
export interface DeliveryJob {
  id: number;
  url: string;
  body: string;
  attempts: number;
}

export interface AttemptOutcome {
  status: DeliveryStatus;
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAt: string | null;
  deliveredAt: string | null;
}

export interface AlertFilter {
  rid?: number | null;
  project?: string | null;
  kind?: AlertKind | null;
  /** Only alerts with a smaller id (the next page). */
  before?: number | null;
  limit?: number;
}

export class AlertStore {
  readonly #insert;
  readonly #setPayload;
  readonly #insertDelivery;
  readonly #latest;
  readonly #suppress;
  readonly #list;
  readonly #one;
  readonly #byDelivery;
  readonly #deliveries;
  readonly #job;
  readonly #pending;
  readonly #attempt;
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
    this.#insert = db.prepare("INSERT INTO alerts (rid, project, kind, step, payload, created_at) VALUES (?, ?, ?, ?, '{}', ?)");
    this.#setPayload = db.prepare('UPDATE alerts SET payload = ? WHERE id = ?');
    this.#insertDelivery = db.prepare("INSERT INTO alert_deliveries (alert_id, webhook_id, target, status, next_at) VALUES (?, ?, ?, 'pending', ?)");
    this.#latest = db.prepare<[number, string], { id: number; created_at: string }>(
      'SELECT id, created_at FROM alerts WHERE rid = ? AND kind = ? ORDER BY id DESC LIMIT 1',
    );
    this.#suppress = db.prepare('UPDATE alerts SET suppressed = suppressed + 1 WHERE id = ?');
    this.#list = db.prepare<Record<string, unknown>, AlertRow>(
      `SELECT id, payload, suppressed FROM alerts
       WHERE (@rid IS NULL OR rid = @rid) AND (@project IS NULL OR project = @project) AND (@kind IS NULL OR kind = @kind) AND id < @before
       ORDER BY id DESC LIMIT @limit`,
    );
    this.#one = db.prepare<[number], AlertRow>('SELECT id, payload, suppressed FROM alerts WHERE id = ?');
    this.#byDelivery = db.prepare<[number], AlertRow>(
      'SELECT a.id, a.payload, a.suppressed FROM alerts a JOIN alert_deliveries d ON d.alert_id = a.id WHERE d.id = ?',
    );
    this.#deliveries = db.prepare<[number], DeliveryRow>('SELECT * FROM alert_deliveries WHERE alert_id = ? ORDER BY id');
    this.#job = db.prepare<[number], DeliveryRow & { payload: string }>(
      'SELECT d.*, a.payload FROM alert_deliveries d JOIN alerts a ON a.id = d.alert_id WHERE d.id = ?',
    );
    this.#pending = db.prepare<[], { id: number; next_at: string | null }>("SELECT id, next_at FROM alert_deliveries WHERE status = 'pending' ORDER BY id");
    this.#attempt = db.prepare(
      'UPDATE alert_deliveries SET status = @status, attempts = @attempts, last_status = @lastStatus, last_error = @lastError, next_at = @nextAt, delivered_at = @deliveredAt WHERE id = @id',
    );
  }

  /** Stores an alert and one pending delivery per target; returns it with the deliveries' ids. */
  add(rid: number | null, payload: Omit<AlertPayload, 'alertId'>, targets: DeliveryTarget[]): { alert: Alert; deliveryIds: number[] } {
    return this.#db.transaction(() => {
      const id = Number(this.#insert.run(rid, payload.project, payload.kind, payload.step, payload.at).lastInsertRowid);
      const full: AlertPayload = { ...payload, alertId: id };
      this.#setPayload.run(JSON.stringify(full), id);
      const deliveryIds = targets.map((t) => Number(this.#insertDelivery.run(id, t.webhookId, t.url, payload.at).lastInsertRowid));
      return { alert: this.get(id) as Alert, deliveryIds };
    })();
  }

  /** The last alert of a run and kind (for the cooldown). */
  latest(rid: number, kind: AlertKind): { id: number; at: string } | undefined {
    const row = this.#latest.get(rid, kind);
    return row && { id: row.id, at: row.created_at };
  }

  /** One more alert of that run and kind came within the cooldown of alert `id` and was not sent. */
  suppress(id: number): void {
    this.#suppress.run(id);
  }

  get(id: number): Alert | undefined {
    const row = this.#one.get(id);
    return row && this.#toAlert(row);
  }

  /** The alert a delivery belongs to. */
  byDelivery(deliveryId: number): Alert | undefined {
    const row = this.#byDelivery.get(deliveryId);
    return row && this.#toAlert(row);
  }

  /** Newest first. */
  list({ rid = null, project = null, kind = null, before = null, limit = 100 }: AlertFilter = {}): Alert[] {
    return this.#list.all({ rid, project, kind, before: before ?? Number.MAX_SAFE_INTEGER, limit }).map((r) => this.#toAlert(r));
  }

  job(deliveryId: number): DeliveryJob | undefined {
    const row = this.#job.get(deliveryId);
    if (!row || row.status !== 'pending') return undefined;
    return { id: row.id, url: row.target, body: row.payload, attempts: row.attempts };
  }

  /** Deliveries still to be made (after a restart: the retries that were waiting). */
  pending(): { id: number; nextAt: string | null }[] {
    return this.#pending.all().map((r) => ({ id: r.id, nextAt: r.next_at }));
  }

  recordAttempt(id: number, o: AttemptOutcome): void {
    this.#attempt.run({ id, ...o });
  }

  #toAlert(row: AlertRow): Alert {
    return toAlert(row, this.#deliveries.all(row.id));
  }
}

/** The API's Alert from its row and its deliveries' rows (webhook secrets redacted). */
export function toAlert(row: AlertRow, deliveries: readonly Omit<DeliveryRow, 'alert_id'>[]): Alert {
  const payload = JSON.parse(row.payload) as AlertPayload;
  const told: AlertDelivery[] = deliveries.map((d) => ({
    target: redactWebhookUrl(d.target),
    webhookId: d.webhook_id,
    status: d.status,
    attempts: d.attempts,
    lastStatus: d.last_status,
    lastError: d.last_error,
    nextAttemptAt: d.status === 'pending' ? d.next_at : null,
    deliveredAt: d.delivered_at,
  }));
  return { ...payload, id: row.id, suppressed: row.suppressed, deliveries: told };
}
