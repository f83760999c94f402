// socket.io namespaces and their typed event maps, used by the server, the SDK and the
// dashboard alike so a renamed event is a type error everywhere.
import type { ControllerState, Decision, Policy } from '../controller/types.ts';
import type { Alert, ColumnarBatch, IngestResult, PolicyVersion, RunEvent, RunSummary, StopRequest } from './api-types.ts';
import type { WireNumber } from './wire-number.ts';

export const INGEST_NAMESPACE = '/ingest';
export const LIVE_NAMESPACE = '/live';

/**
 * A request that failed. Without `retry` it was refused (invalid, unknown run, too large; HTTP
 * would say 4xx): sending it again cannot help. With `retry: true` the server could not carry
 * it out (disk full, database locked or read-only, I/O error, a bug; HTTP 5xx): the request
 * was fine, so the client keeps it and sends it again later. Servers before this field send
 * neither, which reads as refused.
 */
export interface AckFailure {
  ok: false;
  error: string;
  retry?: true;
}

/** Acknowledgement of every /ingest request: the result, or an error naming the problem. */
export type Ack<T> = (reply: { ok: true; result: T } | AckFailure) => void;

export interface JoinRequest {
  runId: string;
  rank: number;
  worldSize: number;
}

export interface JoinResult {
  policy: PolicyVersion;
  lastStep: number | null;
  /**
   * The run's stop request in force (see StopPush), or null. A rank that joins or reconnects
   * after the request was made learns of it here. An SDK that resumes the run in the same
   * handshake (`join`, then `resume`) ignores it: the resume clears it on the server.
   */
  stop: StopPush | null;
}

export interface PolicyPush {
  runId: string;
  version: number;
  effectiveStep: number;
  policy: Policy;
}

export interface PolicyAckRequest {
  runId: string;
  version: number;
  rank: number;
  appliedAtStep: number;
  late: boolean;
}

/**
 * Server -> client `stop`, to every socket joined to the run (every rank), when somebody asks
 * the run to stop (`POST /api/runs/:id/stop` or the dashboard), and in `JoinResult.stop`.
 * The SDK only reports it (TS `run.stopRequested`, the 'stop' event; Python mirrors this); the
 * training script decides what to do. A request is identified by `id` (unique per server):
 * an SDK reports each id once, however often it is told (a reconnect tells it again), and
 * acknowledges it with `stopAck`. It stays in force until the run is resumed.
 */
export interface StopPush {
  runId: string;
  id: number;
  /** Who asked: 'dashboard', 'api', or the name given in the request. */
  author: string;
  reason: string | null;
  /** When the server took the request (ISO 8601). */
  createdAt: string;
}

/**
 * Client -> server `stopAck`: this rank has been told of stop request `id`. `step`: the last
 * step the rank had observed then (null before its first). Acknowledged `{ ok: true, result:
 * null }`; the first receipt per rank is kept, so sending it again is harmless.
 */
export interface StopAckRequest {
  runId: string;
  id: number;
  rank: number;
  step: number | null;
}

export interface ResumeRequest {
  runId: string;
  /** Resume after this step (the checkpoint's step); omitted: after the last stored step. */
  fromStep?: number;
}

export interface ResumeResult {
  /** The controller state after `fromStep`, computed with the same controller. */
  state: ControllerState;
  fromStep: number | null;
}

/** Client -> server on /ingest. Auth: socket.io handshake `auth: { token }`. */
export interface IngestClientEvents {
  join: (req: JoinRequest, ack: Ack<JoinResult>) => void;
  steps: (batch: ColumnarBatch, ack: Ack<IngestResult>) => void;
  policyAck: (req: PolicyAckRequest, ack: Ack<null>) => void;
  resume: (req: ResumeRequest, ack: Ack<ResumeResult>) => void;
  stopAck: (req: StopAckRequest, ack: Ack<null>) => void;
}

/** Server -> client on /ingest. */
export interface IngestServerEvents {
  policy: (push: PolicyPush) => void;
  stop: (push: StopPush) => void;
}

/** Live step columns pushed to dashboards (raw rows, appended to the charts). */
export interface LiveSteps {
  runId: string;
  step: number[];
  gradNorm: WireNumber[];
  loss: WireNumber[];
  lr: WireNumber[];
  threshold: WireNumber[];
  coef: WireNumber[];
  action: (Decision['action'] | null)[];
  /** Wall-clock time per step as stored (ms since the epoch; see ColumnarBatch.time). */
  time: number[];
}

/** Client -> server on /live. */
export interface LiveClientEvents {
  subscribe: (req: { runId: string }, ack: Ack<null>) => void;
  unsubscribe: (req: { runId: string }) => void;
}

/** Server -> client on /live. Every client gets `run`; run rooms get the rest. */
export interface LiveServerEvents {
  run: (summary: RunSummary) => void;
  steps: (steps: LiveSteps) => void;
  events: (events: RunEvent[]) => void;
  policy: (policy: PolicyVersion & { runId: string }) => void;
  /** To every dashboard: an alert was raised, or one of its deliveries changed (same `id`). */
  alert: (alert: Alert) => void;
  /** To a run's room: a stop request was made, or a rank acknowledged it (same `id`). */
  stop: (request: StopRequest) => void;
}
