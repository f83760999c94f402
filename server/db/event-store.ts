// Events the server detected in a run's norms (nonfinite, first_nonfinite, spike, explosion).
import type { RunEvent } from '@gradpilot/sdk/protocol';
import { encodeNumber } from '@gradpilot/sdk/protocol';
import type { Db } from './open-database.ts';

export interface NewEvent {
  step: number;
  kind: RunEvent['kind'];
  gradNorm: number | null;
  detail: string;
}

interface EventRow {
  id: number;
  step: number;
  kind: RunEvent['kind'];
  grad_norm: number | null;
  nan: number;
  detail: string;
  created_at: string;
}

export class EventStore {
  readonly #insert;
  readonly #list;
  readonly #deleteAfter;
  readonly #countKinds;
  readonly #hasKind;

  constructor(db: Db) {
    this.#insert = db.prepare('INSERT INTO events (rid, step, kind, grad_norm, nan, detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.#list = db.prepare<[number, number, number, number, number], EventRow>(
      'SELECT id, step, kind, grad_norm, nan, detail, created_at FROM events WHERE rid = ? AND step BETWEEN ? AND ? AND id > ? ORDER BY step, id LIMIT ?',
    );
    this.#deleteAfter = db.prepare('DELETE FROM events WHERE rid = ? AND step > ?');
    this.#countKinds = db.prepare<[number], { kind: string; n: number }>('SELECT kind, count(*) AS n FROM events WHERE rid = ? GROUP BY kind');
    this.#hasKind = db.prepare<[number, string], { one: number }>('SELECT 1 AS one FROM events WHERE rid = ? AND kind = ? LIMIT 1');
  }

  /** Stores events; returns them as the API shows them. Call inside a transaction. */
  insert(rid: number, runId: string, events: NewEvent[], at: string): RunEvent[] {
    return events.map((e) => {
      const isNaN = e.gradNorm !== null && Number.isNaN(e.gradNorm);
      const id = Number(this.#insert.run(rid, e.step, e.kind, isNaN ? null : e.gradNorm, isNaN ? 1 : 0, e.detail, at).lastInsertRowid);
      return { id, runId, step: e.step, kind: e.kind, gradNorm: encodeNumber(e.gradNorm), detail: e.detail, createdAt: at };
    });
  }

  list(rid: number, runId: string, { from = 0, to = Number.MAX_SAFE_INTEGER, after = 0, limit = 10_000 }: { from?: number; to?: number; after?: number; limit?: number } = {}): RunEvent[] {
    return this.#list.all(rid, from, to, after, limit).map((r) => ({
      id: r.id,
      runId,
      step: r.step,
      kind: r.kind,
      gradNorm: r.nan ? 'NaN' : encodeNumber(r.grad_norm),
      detail: r.detail,
      createdAt: r.created_at,
    }));
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
