// Stop requests of runs (who asked, when, why) and each SDK rank's receipt of them. A request
// is in force until a resume of the run clears it: resuming is how a stopped run is continued
// on purpose, and the new process must not be told to stop at once.
import type { StopAck, StopRequest } from '@gradpilot/sdk/protocol';
import type { Db } from './open-database.ts';

/** A stop request's row, as both backends read it. */
export interface StopRow {
  id: number;
  author: string;
  reason: string | null;
  created_at: string;
  cleared_at: string | null;
}

export class StopStore {
  readonly #insert;
  readonly #inForce;
  readonly #one;
  readonly #history;
  readonly #clear;
  readonly #ack;
  readonly #acks;

  constructor(db: Db) {
    this.#insert = db.prepare('INSERT INTO stop_requests (rid, author, reason, created_at) VALUES (?, ?, ?, ?)');
    this.#inForce = db.prepare<[number], StopRow>('SELECT * FROM stop_requests WHERE rid = ? AND cleared_at IS NULL ORDER BY id DESC LIMIT 1');
    this.#one = db.prepare<[number, number], StopRow>('SELECT * FROM stop_requests WHERE rid = ? AND id = ?');
    this.#history = db.prepare<[number], StopRow>('SELECT * FROM stop_requests WHERE rid = ? ORDER BY id');
    this.#clear = db.prepare('UPDATE stop_requests SET cleared_at = ? WHERE rid = ? AND cleared_at IS NULL');
    // The first receipt of a rank wins: a reconnect that is told again does not move its step.
    this.#ack = db.prepare('INSERT OR IGNORE INTO stop_acks (stop_id, rank, step, at) VALUES (?, ?, ?, ?)');
    this.#acks = db.prepare<[number], { rank: number; step: number | null; at: string }>('SELECT rank, step, at FROM stop_acks WHERE stop_id = ? ORDER BY rank');
  }

  add(rid: number, runId: string, author: string, reason: string | null, at: string): StopRequest {
    const id = Number(this.#insert.run(rid, author, reason, at).lastInsertRowid);
    return { id, runId, author, reason, createdAt: at, clearedAt: null, acks: [] };
  }

  inForce(rid: number, runId: string): StopRequest | undefined {
    const row = this.#inForce.get(rid);
    return row && this.#toRequest(runId, row);
  }

  get(rid: number, runId: string, id: number): StopRequest | undefined {
    const row = this.#one.get(rid, id);
    return row && this.#toRequest(runId, row);
  }

  /** Every request, oldest first. */
  history(rid: number, runId: string): StopRequest[] {
    return this.#history.all(rid).map((r) => this.#toRequest(runId, r));
  }

  /** A resume: the requests in force no longer are. Returns how many were cleared. */
  clear(rid: number, at: string): number {
    return this.#clear.run(at, rid).changes;
  }

  ack(stopId: number, rank: number, step: number | null, at: string): void {
    this.#ack.run(stopId, rank, step, at);
  }

  #toRequest(runId: string, row: StopRow): StopRequest {
    return toStopRequest(runId, row, this.#acks.all(row.id));
  }
}

/** The API's StopRequest from its row and its receipts. */
export function toStopRequest(runId: string, row: StopRow, acks: readonly StopAck[]): StopRequest {
  return {
    id: row.id, runId, author: row.author, reason: row.reason, createdAt: row.created_at, clearedAt: row.cleared_at,
    acks: acks.map((a) => ({ rank: a.rank, step: a.step, at: a.at })),
  };
}
