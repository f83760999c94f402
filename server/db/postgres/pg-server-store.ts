// PostgreSQL behind the server's store interface (`--db postgres://user@host:port/db`). Any
// number of servers may share the database: every write to a run (ingest, policy versions,
// resumes) takes the run's advisory lock inside its transaction, so batches of one run are
// applied one after another whichever server received them, and what a server holds in
// memory of a run (its event detector) is checked against the stored run under that lock
// and rebuilt from the stored history when another server ingested meanwhile.
import createDebug from 'debug';
import type { Policy } from '@gradpilot/sdk/controller';
import type { StepColumns } from '@gradpilot/sdk/protocol';
import { DEFAULT_POLICY } from '@gradpilot/sdk/controller';
import { DETECTOR_WARMUP_SPAN } from '../../ingest/run-detectors.ts';
import { HttpError } from '../../http-error.ts';
import type { RunRow } from '../run-store.ts';
import type { IngestHooks, IngestOutcome, ServerStore } from '../server-store.ts';
import { type StoreFault, storeFault } from '../store-fault.ts';
import { type FaultReporter, WriteHealth } from '../write-health.ts';
import { PgAlerts } from './pg-alerts.ts';
import { PgEvents, insertEvents } from './pg-events.ts';
import { PgPolicies, addPolicyVersion } from './pg-policies.ts';
import { PgRuns, bumpRun, createRunRow, recountRun } from './pg-runs.ts';
import { migrate } from './pg-schema.ts';
import { PgDatabase, type Sql, redactPostgresUrl } from './pg-sql.ts';
import { PgSteps, insertBatch, rawRangeOf, rebuildRunRollups, supersedeSteps } from './pg-steps.ts';
import { PgStops } from './pg-stops.ts';
import { PgWebhooks } from './pg-webhooks.ts';

const log = createDebug('gradpilot:db:pg');

/** While unwritable, /api/health tries a write itself at most this often (as the SQLite store). */
const WRITE_RECHECK_MS = 1000;

export interface PostgresStoreOptions {
  report?: FaultReporter;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
}

export class PostgresServerStore implements ServerStore {
  readonly backend = 'postgres' as const;
  readonly label: string;
  readonly health: WriteHealth;
  readonly db: PgDatabase;
  readonly runs: PgRuns;
  readonly steps: PgSteps;
  readonly events: PgEvents;
  readonly policies: PgPolicies;
  readonly alerts: PgAlerts;
  readonly webhooks: PgWebhooks;
  readonly stops: PgStops;
  #lastRecheck = 0;
  #closed = false;

  constructor(url: string, { report = (line) => log('%s', line), poolSize = 10 }: PostgresStoreOptions = {}) {
    this.label = redactPostgresUrl(url);
    this.health = new WriteHealth(this.label, report);
    this.db = new PgDatabase(url, { max: poolSize });
    const sql = this.db.sql;
    this.runs = new PgRuns(sql);
    this.steps = new PgSteps(sql);
    this.events = new PgEvents(sql);
    this.policies = new PgPolicies(this.db);
    this.alerts = new PgAlerts(this.db);
    this.webhooks = new PgWebhooks(sql);
    this.stops = new PgStops(sql);
  }

  /** A write transaction; a store fault on the way makes the store unwritable (health) until one succeeds. */
  async #write<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await this.db.transaction(fn);
    } catch (err) {
      const fault = storeFault(err, this.label);
      if (fault) this.health.writeFailed(fault);
      throw err;
    }
    this.health.writeSucceeded();
    return result;
  }

  async createRun(id: string, name: string, project: string | null, config: unknown, policy: Policy, author: string, at: string): Promise<RunRow> {
    try {
      return await this.#write(async (sql) => {
        const run = await createRunRow(sql, id, name, project, config, at);
        await addPolicyVersion(sql, run.rid, policy, 0, author, at);
        return run;
      });
    } catch (err) {
      // Two servers creating the same id at once: the UNIQUE key lets one win.
      if ((err as { code?: unknown }).code === '23505') throw new HttpError(409, `Run "${id}" already exists; omit "id" to get a fresh one`, { cause: err });
      throw err;
    }
  }

  async finishRun(rid: number, at: string): Promise<void> {
    await this.#write((sql) => sql.run('UPDATE runs SET finished_at = $1 WHERE rid = $2', [at, rid]));
  }

  async ingest(run: RunRow, cols: StepColumns, at: string, hooks: IngestHooks): Promise<IngestOutcome> {
    try {
      return await this.#write(async (sql) => {
        // The run's lock: batches of one run take turns across servers; other runs go on in parallel.
        await sql.run('SELECT pg_advisory_xact_lock($1)', [run.rid]);
        const [current = run] = await sql.rows<RunRow>('SELECT * FROM runs WHERE rid = $1', [run.rid]);
        const [latest] = await sql.rows<{ version: number; policy: string }>('SELECT version, policy FROM policies WHERE rid = $1 ORDER BY version DESC LIMIT 1', [run.rid]);
        const policyVersion = latest?.version ?? 0;
        if (!hooks.follows(current, policyVersion)) {
          const last = current.last_step;
          const history = last === null ? [] : await rawRangeOf(sql, run.rid, Math.max(0, last - DETECTOR_WARMUP_SPAN), last);
          const policy = latest ? (JSON.parse(latest.policy) as Policy) : DEFAULT_POLICY;
          hooks.rebuild(current, policy, policyVersion, history);
        }
        const res = await insertBatch(sql, run.rid, cols);
        const detected = hooks.detect(current, res.inserted);
        const { events, added } = await insertEvents(sql, run.rid, run.id, detected, at);
        if (res.inserted.length > 0) {
          await bumpRun(sql, run.rid, { accepted: res.inserted.length, clipped: res.clipped, skipped: res.skipped, nonFinite: res.nonFinite, maxStep: res.maxStep }, added, at);
        }
        const lastStep = res.maxStep === null ? current.last_step : Math.max(current.last_step ?? -1, res.maxStep);
        return { inserted: res.inserted, duplicates: res.duplicates, lastStep, events };
      });
    } catch (err) {
      hooks.rolledBack();
      throw err;
    }
  }

  async supersedeAfter(rid: number, fromStep: number, at: string): Promise<number> {
    return this.#write(async (sql) => {
      await sql.run('SELECT pg_advisory_xact_lock($1)', [rid]);
      const [{ id }] = await sql.rows<{ id: number }>('INSERT INTO resumes (rid, from_step, superseded, at) VALUES ($1, $2, 0, $3) RETURNING id', [rid, fromStep, at]);
      const moved = await supersedeSteps(sql, rid, fromStep, id);
      await sql.run('UPDATE resumes SET superseded = $1 WHERE id = $2', [moved, id]);
      if (moved > 0) {
        await sql.run('DELETE FROM events WHERE rid = $1 AND step > $2', [rid, fromStep]);
        await recountRun(sql, rid);
      }
      return moved;
    });
  }

  async writeFault(): Promise<StoreFault | null> {
    const now = Date.now();
    if (this.health.fault !== null && now - this.#lastRecheck >= WRITE_RECHECK_MS) {
      this.#lastRecheck = now;
      try {
        await this.#write((sql) => sql.run('UPDATE gradpilot_schema SET version = version WHERE false'));
      } catch {
        // still failing: health.fault says why
      }
    }
    return this.health.fault;
  }

  noteReadFault(err: unknown, what: string): void {
    const fault = storeFault(err, this.label);
    if (fault) this.health.readFailed(fault, what);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.db.close();
  }
}

/** Connects, creates or migrates the schema, and answers once the database is ready. */
export async function openPostgresStore(url: string, options: PostgresStoreOptions = {}): Promise<PostgresServerStore> {
  const store = new PostgresServerStore(url, options);
  try {
    const version = await migrate(store.db, rebuildRunRollups);
    log('opened %s (schema version %d)', store.label, version);
  } catch (err) {
    await store.close();
    throw new Error(`Cannot open the PostgreSQL database ${store.label}: ${(err as Error).message}. Check the URL, that the server is up and that the user may create tables.`, { cause: err });
  }
  return store;
}
