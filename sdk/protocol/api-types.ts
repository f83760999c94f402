// Shapes of the HTTP API and socket payloads, shared by the server, the SDK and the
// dashboard. Numbers that may be non-finite travel as WireNumber (see wire-number.ts).
import type { Action, EventKind, Policy } from '../controller/types.ts';
import type { WireNumber } from './wire-number.ts';

/** One step as posted to `POST /api/runs/:id/steps`. */
export interface WireStep {
  step: number;
  gradNorm: WireNumber;
  loss?: WireNumber;
  lr?: WireNumber;
  threshold?: WireNumber;
  coef?: WireNumber;
  action?: Action | null;
  layers?: Record<string, WireNumber>;
  /**
   * When the step happened: wall-clock milliseconds since the Unix epoch, as JS `Date.now()`
   * gives (fractions allowed). Absent or null: the server's arrival time is stored instead.
   */
  time?: number | null;
}

/**
 * A columnar batch of steps, as the SDK sends it over socket.io `/ingest`. Every column
 * has one entry per step. Numeric columns are either a Float64Array (sent as binary by
 * socket.io, so NaN and ±Inf travel exactly; a missing value cannot be expressed, so a
 * column with gaps uses the other form) or an array of WireNumber.
 */
export interface ColumnarBatch {
  runId: string;
  /** The sender's batch sequence number, for logs and resend bookkeeping. */
  seq: number;
  step: Float64Array | number[];
  gradNorm: Float64Array | WireNumber[];
  loss?: Float64Array | WireNumber[];
  lr?: Float64Array | WireNumber[];
  threshold?: Float64Array | WireNumber[];
  coef?: Float64Array | WireNumber[];
  action?: (Action | null)[];
  layers?: Record<string, Float64Array | WireNumber[]>;
  /**
   * Wall-clock time of each step, ms since the Unix epoch (`Date.now()`). SDKs before this
   * column leave it out; the server then stores each step's arrival time (as for a null entry).
   */
  time?: Float64Array | (number | null)[];
}

export interface IngestResult {
  accepted: number;
  duplicates: number;
  lastStep: number | null;
}

export type RunStatus = 'running' | 'idle' | 'finished';

export interface RunSummary {
  id: string;
  name: string;
  project: string | null;
  /** Only in `GET /api/runs/:id` (and the 201 of `POST /api/runs`); lists and live pushes leave it out. */
  config?: Record<string, unknown> | null;
  createdAt: string;
  status: RunStatus;
  steps: number;
  lastStep: number | null;
  lastStepAt: string | null;
  /** Steps per second over the last 10 s of ingest: 0 once nothing arrived for 10 s. */
  stepsPerSecond: number;
  clipped: number;
  skipped: number;
  nonFinite: number;
  events: number;
  policy: PolicyVersion;
}

export interface PolicyVersion {
  version: number;
  effectiveStep: number;
  policy: Policy;
  createdAt: string;
  /** Who applied it: 'sdk' (from init), 'api', 'dashboard', or a user-supplied name. */
  author: string;
  acks: PolicyAck[];
}

export interface PolicyAck {
  rank: number;
  appliedAtStep: number;
  /** true when the push arrived after its effectiveStep and applied at once. */
  late: boolean;
  at: string;
}

export interface RunEvent {
  id: number;
  runId: string;
  /** The event's step; for a burst of consecutive non-finite steps, its first. */
  step: number;
  /** The burst's last step (= step for any other event). A live push of a longer burst repeats its id. */
  lastStep: number;
  /** Steps in the burst (1 for any other event). */
  count: number;
  kind: EventKind | 'first_nonfinite';
  gradNorm: WireNumber;
  detail: string;
  createdAt: string;
}

/** min, max and last of one column per bucket; for raw rows the three are equal. */
export interface BucketColumn {
  min: WireNumber[];
  max: WireNumber[];
  last: WireNumber[];
}

/** `GET /api/runs/:id/steps?from=&to=&points=N` */
export interface StepSeries {
  runId: string;
  from: number;
  to: number;
  /** Steps per bucket; 1 means raw rows. */
  bucketSize: number;
  /** First step of each bucket (for raw rows: the step). */
  step: number[];
  /** Last step stored in each bucket. */
  lastStep: number[];
  /**
   * Wall-clock time (ms since the epoch) of each bucket's first step, i.e. of `step[i]`;
   * null where the server has none (steps stored by a server before this column).
   */
  time: (number | null)[];
  /** Wall-clock time of the run's first stored step (whatever the range), the origin of relative time. */
  startTime: number | null;
  count: number[];
  /** Non-finite gradNorm values in each bucket: drawn as markers, never as gaps. */
  nonFinite: number[];
  /** Steps with action clip or skip in each bucket. */
  clipped: number[];
  skipped: number[];
  gradNorm: BucketColumn;
  loss: BucketColumn;
  lr: BucketColumn;
  threshold: BucketColumn;
  coef: BucketColumn;
}

/** `GET /api/runs/:id/layers?from=&to=&points=N`: per-layer norms, max per bucket. */
export interface LayerSeries {
  runId: string;
  bucketSize: number;
  step: number[];
  names: string[];
  /** max[layerIndex][bucketIndex]: numbers and ±Infinity beat NaN, so a NaN shows only in nonFinite. */
  max: WireNumber[][];
  /** nonFinite[layerIndex][bucketIndex]: the layer's NaN and ±Infinity norms in the bucket. */
  nonFinite: number[][];
}

/** `POST /api/runs/:id/replay { policy, points? }` */
export interface ReplayResult {
  policy: Policy;
  /** Steps per bucket (1: one entry per step), as in StepSeries. */
  bucketSize?: number;
  step: number[];
  /** The replayed threshold per bucket (max, so the series lines up with gradNorm). */
  threshold: BucketColumn;
  summary: ReplaySummary;
  /** The same summary for what the run actually did (from the stored actions). */
  actual: ReplaySummary;
}

export interface ReplaySummary {
  steps: number;
  clipped: number;
  skipped: number;
  events: Record<EventKind, number>;
}

/**
 * Why an alert went out: an explosion; a run's first non-finite step, then the first of each
 * later burst; a burst of spikes; a run that stopped sending steps; a resume that superseded
 * stored steps; or `POST /api/alerts/test`.
 */
export type AlertKind = 'explosion' | 'nonfinite' | 'spikes' | 'stall' | 'superseded' | 'test';

/** The JSON body POSTed to every webhook: Slack/Mattermost's `text`, the fields beside it. */
export interface AlertPayload {
  /** One line for humans: the run, what happened, the step and norm, the dashboard link. */
  text: string;
  kind: AlertKind;
  alertId: number;
  runId: string | null;
  runName: string | null;
  project: string | null;
  step: number | null;
  gradNorm: WireNumber;
  threshold: WireNumber;
  /** The run's dashboard page (the alerts view for a test alert without a run). */
  url: string;
  /** When the server raised it (ISO 8601). */
  at: string;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One webhook's delivery of one alert. */
export interface AlertDelivery {
  /** The webhook's URL with its path hidden (a Slack or Mattermost webhook path is a secret). */
  target: string;
  /** The project webhook's id; null for a server-wide one (--webhook / GRADPILOT_WEBHOOK). */
  webhookId: number | null;
  status: DeliveryStatus;
  attempts: number;
  /** HTTP status of the last attempt; null when it got no answer. */
  lastStatus: number | null;
  lastError: string | null;
  /** When the next attempt is due (pending only). */
  nextAttemptAt: string | null;
  deliveredAt: string | null;
}

/** `GET /api/alerts`, `GET /api/runs/:id/alerts`: what was raised and where it went. */
export interface Alert extends AlertPayload {
  id: number;
  /** Alerts of this run and kind not sent because they came within the cooldown of this one. */
  suppressed: number;
  deliveries: AlertDelivery[];
}

/** `GET|POST /api/projects/:project/webhooks`: a webhook that gets the alerts of one project's runs. */
export interface ProjectWebhook {
  id: number;
  project: string;
  /** The URL with its path hidden, as in AlertDelivery. */
  target: string;
  author: string;
  createdAt: string;
}

/**
 * `POST|GET /api/runs/:id/stop`: somebody asked a run to stop (audited like policy versions).
 * The SDK of every rank is told; the training script decides what to do.
 */
export interface StopRequest {
  id: number;
  runId: string;
  /** Who asked: 'dashboard', 'api', or a name given in the request. */
  author: string;
  reason: string | null;
  createdAt: string;
  /** Set when a later resume of the run cleared the request; null while it is in force. */
  clearedAt: string | null;
  /** Each rank's receipt, with the last step it had observed then. */
  acks: StopAck[];
}

export interface StopAck {
  rank: number;
  step: number | null;
  at: string;
}
