// Events the server detected in a run's norms (nonfinite, first_nonfinite, spike, explosion).
import type { RunEvent } from '@gradpilot/sdk/protocol';
import { encodeNumber } from '@gradpilot/sdk/protocol';
import type { Db } from './open-database.ts';

export interface NewEvent {
  step: number;
  kind: RunEvent['kind'];
  gradNorm: number | null;
  detail: string;
  /** A burst of consecutive non-finite steps: its last step and how many steps it holds. */
  lastStep?: number;
  count?: number;
  /** The burst goes on from a stored one that ended at this step: extend that event. */
  continuesAfter?: number;
}

export interface EventRow {
  id: number;
  step: number;
  kind: RunEvent['kind'];
  grad_norm: number | null;
  nan: number;
  detail: string;
  created_at: string;
  last_step: number | null;
  count: number;
}

export const EVENT_COLUMNS = 'id, step, kind, grad_norm, nan, detail, created_at, last_step, count';

export function toRunEvent(r: EventRow, runId: string): RunEvent {
  return {
    id: r.id,
    runId,
    step: r.step,
    lastStep: r.last_step ?? r.step,
    count: r.count,
    kind: r.kind,
    gradNorm: r.nan ? 'NaN' : encodeNumber(r.grad_norm),
    detail: r.detail,
    createdAt: r.created_at,
  };
}

export class EventStore {
  readonly #insert;
  readonly #list;
  readonly #listNewest;
  readonly #openBurst;
  readonly #extendBurst;
  readonly #byId;
  readonly #deleteAfter;
  readonly #countKinds;
  readonly #hasKind;

  constructor(db: Db) {
    this.#insert = db.prepare('INSERT INTO events (rid, step, kind, grad_norm, nan, detail, created_at, last_step, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.#list = db.prepare<[number, number, number, number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE rid = ? AND step BETWEEN ? AND ? AND id > ? ORDER BY step, id LIMIT ?`,
    );
    this.#listNewest = db.prepare<[number, number, number, number, number], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE rid = ? AND step BETWEEN ? AND ? AND id < ? ORDER BY step DESC, id DESC LIMIT ?`,
    );
    this.#openBurst = db.prepare<[number, number], { id: number }>(
      "SELECT id FROM events WHERE rid = ? AND kind = 'nonfinite' AND coalesce(last_step, step) = ? ORDER BY id DESC LIMIT 1",
    );
    this.#extendBurst = db.prepare('UPDATE events SET last_step = ?, count = count + ? WHERE id = ?');
    this.#byId = db.prepare<[number], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE id = ?`);
    this.#deleteAfter = db.prepare('DELETE FROM events WHERE rid = ? AND step > ?');
    this.#countKinds = db.prepare<[number], { kind: string; n: number }>('SELECT kind, count(*) AS n FROM events WHERE rid = ? GROUP BY kind');
    this.#hasKind = db.prepare<[number, string], { one: number }>('SELECT 1 AS one FROM events WHERE rid = ? AND kind = ? LIMIT 1');
  }

  /**
   * Stores events, or extends the stored burst an event continues; returns them as the API
   * shows them (an extended burst with its new last step and count) and how many rows are new.
   * Call inside a transaction.
   */
  insert(rid: number, runId: string, events: NewEvent[], at: string): { events: RunEvent[]; added: number } {
    let added = 0;
    const out = events.map((e) => {
      const open = e.continuesAfter === undefined ? undefined : this.#openBurst.get(rid, e.continuesAfter);
      if (open) {
        this.#extendBurst.run(e.lastStep ?? e.step, e.count ?? 1, open.id);
        return toRunEvent(this.#byId.get(open.id)!, runId);
      }
      added++;
      const isNaN = e.gradNorm !== null && Number.isNaN(e.gradNorm);
      const lastStep = e.lastStep ?? e.step;
      const id = Number(this.#insert.run(
        rid, e.step, e.kind, isNaN ? null : e.gradNorm, isNaN ? 1 : 0, e.detail, at, lastStep === e.step ? null : lastStep, e.count ?? 1,
      ).lastInsertRowid);
      return { id, runId, step: e.step, lastStep, count: e.count ?? 1, kind: e.kind, gradNorm: encodeNumber(e.gradNorm), detail: e.detail, createdAt: at };
    });
    return { events: out, added };
  }

  /** Events in step order, or newest first (`newest`: then `before` an id pages backwards). */
  list(
    rid: number, runId: string,
    { from = 0, to = Number.MAX_SAFE_INTEGER, after = 0, before = Number.MAX_SAFE_INTEGER, limit = 10_000, newest = false }:
    { from?: number; to?: number; after?: number; before?: number; limit?: number; newest?: boolean } = {},
  ): RunEvent[] {
    const rows = newest ? this.#listNewest.all(rid, from, to, before, limit) : this.#list.all(rid, from, to, after, limit);
    return rows.map((r) => toRunEvent(r, runId));
  }

  countByKind(rid: number): Record<string, number> {
    return Object.fromEntries(this.#countKinds.all(rid).map((r) => [r.kind, r.n]));
  }

  has(rid: number, kind: string): boolean {
    return this.#hasKind.get(rid, kind) !== undefined;
  }

  deleteAfter(rid: number, step: number): void {
    this.#deleteAfter.run(rid, step);
  }
}
