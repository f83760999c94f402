// Prometheus metrics for one server instance. Each server gets its own registry so that
// several servers in one process (tests) do not collide on metric names. prom-client's
// default process metrics are left out: their GC observer cost a measurable share of ingest.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Transport = 'http' | 'socket';

export class Metrics {
  readonly registry = new Registry();
  readonly stepsIngested = new Counter({ name: 'gradpilot_steps_ingested_total', help: 'Steps stored (duplicates excluded)', labelNames: ['transport'], registers: [this.registry] });
  readonly duplicates = new Counter({ name: 'gradpilot_steps_duplicate_total', help: 'Steps received again and ignored', labelNames: ['transport'], registers: [this.registry] });
  readonly batches = new Counter({ name: 'gradpilot_batches_total', help: 'Ingest batches committed', labelNames: ['transport'], registers: [this.registry] });
  readonly rejects = new Counter({ name: 'gradpilot_rejects_total', help: 'Requests and batches rejected as invalid (4xx: the client drops them)', labelNames: ['transport'], registers: [this.registry] });
  readonly faults = new Counter({
    name: 'gradpilot_faults_total',
    help: 'Write requests and batches the server failed to carry out (5xx: the client keeps them and retries), by cause: disk_full, locked, read_only, io_error, damaged, database, internal',
    labelNames: ['transport', 'cause'],
    registers: [this.registry],
  });
  readonly storeWritable = new Gauge({ name: 'gradpilot_store_writable', help: '1 while the last write succeeded, 0 after a write met a store fault', registers: [this.registry] });
  readonly events = new Counter({ name: 'gradpilot_events_total', help: 'Events detected', labelNames: ['kind'], registers: [this.registry] });
  readonly replays = new Counter({ name: 'gradpilot_replays_total', help: 'Controller replays over stored steps (resume state, what-if)', labelNames: ['kind'], registers: [this.registry] });
  readonly runs = new Gauge({ name: 'gradpilot_runs', help: 'Runs stored', registers: [this.registry] });
  readonly connectedSdks = new Gauge({ name: 'gradpilot_connected_sdks', help: 'SDK sockets connected to /ingest', registers: [this.registry] });
  readonly dashboards = new Gauge({ name: 'gradpilot_connected_dashboards', help: 'Dashboard sockets connected to /live', registers: [this.registry] });
  readonly ingestSeconds = new Histogram({
    name: 'gradpilot_ingest_seconds',
    help: 'Time to validate, store and commit one batch',
    labelNames: ['transport'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
}
