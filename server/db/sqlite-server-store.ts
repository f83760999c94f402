// The SQLite file behind the server's store interface. Every call runs synchronously on the
// better-sqlite3 connection (write transactions stay synchronous inside, see Store) and only
// its result travels through a promise, so the file keeps its ingest rate.
import type { Policy } from '@gradpilot/sdk/controller';
import type { StepColumns } from '@gradpilot/sdk/protocol';
import type { RunRow } from './run-store.ts';
import type { Store } from './store.ts';
import type { StoreFault } from './store-fault.ts';
import type {
  AlertsApi, EventsApi, IngestHooks, IngestOutcome, PoliciesApi, RunsApi, ServerStore, StepsApi, StopsApi, WebhooksApi,
} from './server-store.ts';

type Method = (...args: never[]) => unknown;

/**
 * An async view of `methods` of `target`: each call runs at once and resolves with its result
 * (or rejects with what it threw). `inTransaction`: the methods that each are a write
 * transaction of their own.
 */
function asyncView<V>(target: object, methods: readonly string[], transaction: (<T>(fn: () => T) => T) | null = null, inTransaction: readonly string[] = []): V {
  const view: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const name of methods) {
    const fn = (target as Record<string, Method>)[name].bind(target) as (...args: unknown[]) => unknown;
    const write = transaction !== null && inTransaction.includes(name);
    view[name] = function callSync(...args: unknown[]): Promise<unknown> {
      try {
        return Promise.resolve(write ? transaction(() => fn(...args)) : fn(...args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  return view as V;
}

export class SqliteServerStore implements ServerStore {
  readonly backend = 'sqlite' as const;
  readonly label: string;
  readonly runs: RunsApi;
  readonly steps: StepsApi;
  readonly events: EventsApi;
  readonly policies: PoliciesApi;
  readonly alerts: AlertsApi;
  readonly webhooks: WebhooksApi;
  readonly stops: StopsApi;
  /** The synchronous store underneath (tests and tools that read the file directly). */
  readonly sync: Store;

  constructor(store: Store) {
    this.sync = store;
    this.label = store.file;
    const tx = <T>(fn: () => T): T => store.transaction(fn);
    this.runs = asyncView(store.runs, ['byId', 'byRid', 'all', 'page', 'projects', 'count']);
    const steps = asyncView<Omit<StepsApi, 'rollupRange' | 'layerRollupRange'>>(store.steps, ['layerNames', 'rawRange', 'rawRangeArrays', 'countRange', 'layerRange', 'firstTime']);
    this.steps = {
      ...steps,
      rollupRange: async (rid, level, b0, b1) => store.steps.rollups.range(rid, level, b0, b1),
      layerRollupRange: async (rid, idx, level, b0, b1) => store.steps.layerRollups.range(rid, idx, level, b0, b1),
    };
    this.events = asyncView(store.events, ['list', 'countByKind', 'has']);
    this.policies = asyncView(store.policies, ['latest', 'get', 'history', 'add', 'ack'], tx, ['add', 'ack']);
    this.alerts = asyncView(store.alerts, ['add', 'latest', 'suppress', 'get', 'byDelivery', 'list', 'job', 'pending', 'recordAttempt']);
    this.webhooks = asyncView(store.webhooks, ['add', 'targets', 'list', 'all', 'remove']);
    this.stops = asyncView(store.stops, ['add', 'inForce', 'get', 'history', 'clear', 'ack']);
  }

  get health() {
    return this.sync.health;
  }

  async createRun(id: string, name: string, project: string | null, config: unknown, policy: Policy, author: string, at: string): Promise<RunRow> {
    const store = this.sync;
    return store.transaction(() => {
      const run = store.runs.create(id, name, project, config, at);
      store.policies.add(run.rid, policy, 0, author, at);
      return run;
    });
  }

  async finishRun(rid: number, at: string): Promise<void> {
    this.sync.transaction(() => this.sync.runs.finish(rid, at));
  }

  /** One server per file (the database lock), so memory always follows the file: `follows` is not asked. */
  async ingest(run: RunRow, cols: StepColumns, at: string, hooks: IngestHooks): Promise<IngestOutcome> {
    const store = this.sync;
    try {
      return store.transaction(() => {
        const current = store.runs.byRid(run.rid) ?? run;
        const res = store.steps.insert(run.rid, cols);
        const detected = hooks.detect(current, res.inserted);
        const { events, added } = store.events.insert(run.rid, run.id, detected, at);
        if (res.inserted.length > 0) {
          store.runs.bump(run.rid, { accepted: res.inserted.length, clipped: res.clipped, skipped: res.skipped, nonFinite: res.nonFinite, maxStep: res.maxStep }, at);
          store.runs.addEvents(run.rid, added);
        }
        const lastStep = res.maxStep === null ? current.last_step : Math.max(current.last_step ?? -1, res.maxStep);
        return { inserted: res.inserted, duplicates: res.duplicates, lastStep, events };
      });
    } catch (err) {
      store.steps.forget(run.rid);
      hooks.rolledBack();
      throw err;
    }
  }

  async supersedeAfter(rid: number, fromStep: number, at: string): Promise<number> {
    return this.sync.supersedeAfter(rid, fromStep, at);
  }

  async writeFault(): Promise<StoreFault | null> {
    return this.sync.writeFault();
  }

  noteReadFault(err: unknown, what: string): void {
    this.sync.noteReadFault(err, what);
  }

  async close(): Promise<void> {
    this.sync.close();
  }
}
