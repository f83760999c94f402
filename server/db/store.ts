// The whole store: one SQLite connection and the per-table stores, statements prepared once.
import type { Db } from './open-database.ts';
import { openDatabase } from './open-database.ts';
import { AlertStore } from './alert-store.ts';
import { EventStore } from './event-store.ts';
import { PolicyStore } from './policy-store.ts';
import { RunStore } from './run-store.ts';
import { StepStore } from './step-store.ts';
import { StopStore } from './stop-store.ts';
import { WebhookStore } from './webhook-store.ts';

/** Bump when LEVEL_WIDTHS or the rollup columns change. */
export const ROLLUP_LAYOUT_VERSION = 3;

export class Store {
  readonly db: Db;
  readonly runs: RunStore;
  readonly steps: StepStore;
  readonly events: EventStore;
  readonly policies: PolicyStore;
  readonly alerts: AlertStore;
  readonly webhooks: WebhookStore;
  readonly stops: StopStore;
  readonly #addResume;
  readonly #setResumeCount;

  constructor(file: string) {
    this.db = openDatabase(file);
    this.runs = new RunStore(this.db);
    this.steps = new StepStore(this.db);
    this.events = new EventStore(this.db);
    this.policies = new PolicyStore(this.db);
    this.alerts = new AlertStore(this.db);
    this.webhooks = new WebhookStore(this.db);
    this.stops = new StopStore(this.db);
    this.#migrate();
    this.#addResume = this.db.prepare('INSERT INTO resumes (rid, from_step, superseded, at) VALUES (?, ?, 0, ?)');
    this.#setResumeCount = this.db.prepare('UPDATE resumes SET superseded = ? WHERE id = ?');
  }

  /**
   * `user_version` records the rollup layout. A file written with another layout (or none)
   * gets its rollups rebuilt from the steps, one run at a time.
   */
  #migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    if (version === ROLLUP_LAYOUT_VERSION) return;
    this.transaction(() => {
      this.db.exec('DELETE FROM rollups; DELETE FROM layer_rollups');
      for (const run of this.runs.all()) this.steps.rebuildRollups(run.rid);
      this.db.pragma(`user_version = ${ROLLUP_LAYOUT_VERSION}`);
    });
  }

  /** Runs `fn` in one transaction (better-sqlite3: synchronous, so no awaits inside). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  /**
   * A run restarted from a checkpoint at `fromStep`: the stored steps after it are moved to
   * `superseded_steps` (audit, tagged with the resume id), their events dropped and the
   * counters and rollups recomputed, so the re-sent steps are stored as new rather than
   * ignored as duplicates. Returns how many steps were superseded.
   */
  supersedeAfter(rid: number, fromStep: number, at: string): number {
    return this.transaction(() => {
      const resumeId = Number(this.#addResume.run(rid, fromStep, at).lastInsertRowid);
      const moved = this.steps.supersedeAfter(rid, fromStep, resumeId);
      this.#setResumeCount.run(moved, resumeId);
      if (moved > 0) {
        this.events.deleteAfter(rid, fromStep);
        this.runs.recount(rid);
      }
      return moved;
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
