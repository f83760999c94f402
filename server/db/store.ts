// The whole store: one SQLite connection and the per-table stores, statements prepared once.
import createDebug from 'debug';
import type { Db } from './open-database.ts';
import { openDatabase } from './open-database.ts';
import { type StoreFault, storeFault } from './store-fault.ts';
import { type FaultReporter, WriteHealth } from './write-health.ts';
import { AlertStore } from './alert-store.ts';
import { EventStore } from './event-store.ts';
import { PolicyStore } from './policy-store.ts';
import { RunStore } from './run-store.ts';
import { StepStore } from './step-store.ts';
import { StopStore } from './stop-store.ts';
import { WebhookStore } from './webhook-store.ts';

/** Bump when LEVEL_WIDTHS or the rollup columns change (4: first_time, layer non_finite). */
export const ROLLUP_LAYOUT_VERSION = 4;

/** While unwritable, /api/health tries a write itself at most this often. */
export const WRITE_RECHECK_MS = 1000;

const debugReport = createDebug('gradpilot:db');

export interface StoreOptions {
  /** Where store faults are reported (one line per change). Default: the gradpilot:db debug log. */
  report?: FaultReporter;
  /** Refuse a damaged or unwritable file before anything writes (see check-database.ts). */
  verify?: boolean;
  /** Called after the connection closed (the server releases its database lock). */
  onClose?: () => void;
}

export class Store {
  /** The database file. */
  readonly file: string;
  readonly db: Db;
  /** Whether writes succeed, as /api/health reports it. */
  readonly health: WriteHealth;
  readonly runs: RunStore;
  readonly steps: StepStore;
  readonly events: EventStore;
  readonly policies: PolicyStore;
  readonly alerts: AlertStore;
  readonly webhooks: WebhookStore;
  readonly stops: StopStore;
  readonly #addResume;
  readonly #setResumeCount;
  readonly #onClose: (() => void) | undefined;
  #lastRecheck = 0;

  constructor(file: string, { report = (line) => debugReport('%s', line), verify = false, onClose }: StoreOptions = {}) {
    this.file = file;
    this.health = new WriteHealth(file, report);
    this.#onClose = onClose;
    this.db = openDatabase(file, { verify });
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

  /**
   * Runs `fn` in one write transaction (better-sqlite3: synchronous, so no awaits inside).
   * BEGIN IMMEDIATE takes the write lock first, waiting up to the busy timeout for another
   * process to let go: a deferred transaction that read first would fail at once with
   * SQLITE_BUSY when another writer committed meanwhile, and no wait would help it. A store
   * fault on the way makes the store unwritable (health) until a write succeeds.
   */
  transaction<T>(fn: () => T): T {
    let result: T;
    try {
      result = this.db.transaction(fn).immediate();
    } catch (err) {
      const fault = storeFault(err, this.file);
      if (fault) this.health.writeFailed(fault);
      throw err;
    }
    this.health.writeSucceeded();
    return result;
  }

  /** Reports a store fault met outside a write transaction (a read), naming `what` failed. */
  noteReadFault(err: unknown, what: string): void {
    const fault = storeFault(err, this.file);
    if (fault) this.health.readFailed(fault, what);
  }

  /**
   * The fault that keeps the store from writing, or null. While there is one, tries a small
   * write (at most every WRITE_RECHECK_MS), so that health turns good again once space is
   * freed even when no batch comes in to prove it.
   */
  writeFault(): StoreFault | null {
    const now = Date.now();
    if (this.health.fault !== null && now - this.#lastRecheck >= WRITE_RECHECK_MS) {
      this.#lastRecheck = now;
      try {
        this.transaction(() => this.db.pragma(`user_version = ${ROLLUP_LAYOUT_VERSION}`));
      } catch {
        // still failing: health.fault says why
      }
    }
    return this.health.fault;
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
    if (!this.db.open) return;
    this.db.close();
    this.#onClose?.();
  }
}
