// The one store interface the server runs on, whichever database holds the data: the SQLite
// file (sqlite-server-store.ts, the default) or PostgreSQL (postgres/pg-server-store.ts).
// Async because PostgreSQL answers over a socket; the SQLite backend keeps its synchronous
// transactions inside each call and only wraps the result. Rows keep SQLite's shapes (a NULL
// plus a `nan` bitmask for NaN), so the query code decodes both backends' rows the same way.
import type { Policy } from '@gradpilot/sdk/controller';
import type { RunEvent, StepColumns } from '@gradpilot/sdk/protocol';
import type { AlertStore } from './alert-store.ts';
import type { EventStore, NewEvent } from './event-store.ts';
import type { LayerRollupRow } from './layer-rollup-store.ts';
import type { PolicyStore } from './policy-store.ts';
import type { RollupRow } from './rollup-store.ts';
import type { RunRow, RunStore } from './run-store.ts';
import type { RawStepRow, StepStore } from './step-store.ts';
import type { StopStore } from './stop-store.ts';
import type { StoreFault } from './store-fault.ts';
import type { WebhookStore } from './webhook-store.ts';
import type { WriteHealth } from './write-health.ts';

/** The same methods, answering through a promise. */
export type Async<T> = {
  [K in keyof T]: T[K] extends (...args: infer A) => infer R ? (...args: A) => Promise<Awaited<R>> : never;
};

export type RunsApi = Async<Pick<RunStore, 'byId' | 'byRid' | 'all' | 'page' | 'projects' | 'count'>>;
export type StepsApi = Async<Pick<StepStore, 'layerNames' | 'rawRange' | 'rawRangeArrays' | 'countRange' | 'layerRange' | 'firstTime'>> & {
  /** Step rollup rows of one level with bucket in [b0, b1], in bucket order. */
  rollupRange(rid: number, level: number, b0: number, b1: number): Promise<RollupRow[]>;
  /** Layer rollup rows of one layer and level with bucket in [b0, b1], in bucket order. */
  layerRollupRange(rid: number, idx: number, level: number, b0: number, b1: number): Promise<LayerRollupRow[]>;
};
export type EventsApi = Async<Pick<EventStore, 'list' | 'countByKind' | 'has'>>;
/** `add` and `ack` are write transactions of their own. */
export type PoliciesApi = Async<Pick<PolicyStore, 'latest' | 'get' | 'history' | 'add' | 'ack'>>;
export type AlertsApi = Async<Pick<AlertStore, 'add' | 'latest' | 'suppress' | 'get' | 'byDelivery' | 'list' | 'job' | 'pending' | 'recordAttempt'>>;
export type WebhooksApi = Async<Pick<WebhookStore, 'add' | 'targets' | 'list' | 'all' | 'remove'>>;
export type StopsApi = Async<Pick<StopStore, 'add' | 'inForce' | 'get' | 'history' | 'clear' | 'ack'>>;

/**
 * What memory holds of a run while a batch goes in (the event detector). Called inside the
 * ingest transaction, after the run's rows are locked against other writers.
 */
export interface IngestHooks {
  /**
   * Whether memory still follows the run as stored (`current`: before this batch; `policyVersion`:
   * its latest policy). Another server instance on the same database may have ingested the
   * run since; then `rebuild` gets the stored history.
   */
  follows(current: RunRow, policyVersion: number): boolean;
  /** Rebuilds memory from the run's latest policy and its last stored steps (in step order). */
  rebuild(current: RunRow, policy: Policy, policyVersion: number, history: RawStepRow[]): void;
  /** Events for the newly inserted steps (indices into the batch). */
  detect(current: RunRow, inserted: number[]): NewEvent[];
  /** The transaction failed and rolled back: memory forgets what it saw of the run. */
  rolledBack(): void;
}

export interface IngestOutcome {
  /** Indices (into the batch) of the steps that were new. */
  inserted: number[];
  duplicates: number;
  /** The run's last step after the batch. */
  lastStep: number | null;
  /** The events stored for the batch (with their ids). */
  events: RunEvent[];
}

export interface ServerStore {
  readonly backend: 'sqlite' | 'postgres';
  /** What messages name: the SQLite file, or the PostgreSQL URL without its password. */
  readonly label: string;
  /** Whether writes succeed, as /api/health reports it. */
  readonly health: WriteHealth;
  readonly runs: RunsApi;
  readonly steps: StepsApi;
  readonly events: EventsApi;
  readonly policies: PoliciesApi;
  readonly alerts: AlertsApi;
  readonly webhooks: WebhooksApi;
  readonly stops: StopsApi;
  /** A new run and its first policy version (effective from step 0), in one transaction. */
  createRun(id: string, name: string, project: string | null, config: unknown, policy: Policy, author: string, at: string): Promise<RunRow>;
  finishRun(rid: number, at: string): Promise<void>;
  /**
   * One batch in one transaction: steps (a resent one is a duplicate), layer norms, rollups,
   * events, the run's counters. Resolves after the commit, so the caller may acknowledge.
   */
  ingest(run: RunRow, cols: StepColumns, at: string, hooks: IngestHooks): Promise<IngestOutcome>;
  /** A resume from `fromStep`: the later steps move to the audit table (see Store.supersedeAfter). */
  supersedeAfter(rid: number, fromStep: number, at: string): Promise<number>;
  /** The fault that keeps the store from writing, or null (tries a small write while there is one). */
  writeFault(): Promise<StoreFault | null>;
  /** Reports a store fault met outside a write transaction (a read), naming `what` failed. */
  noteReadFault(err: unknown, what: string): void;
  close(): Promise<void>;
}
