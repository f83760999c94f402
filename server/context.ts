// What the routes and socket handlers share: the store and the live machinery of one server.
import type { PolicyVersion } from '@gradpilot/sdk/protocol';
import type { Alerts } from './alerts/alerts.ts';
import type { ServerStore } from './db/server-store.ts';
import type { HostGuard } from './guard/host-guard.ts';
import type { RunDetectors } from './ingest/run-detectors.ts';
import type { Metrics } from './metrics.ts';
import type { ReplayQueue } from './policy/replay-queue.ts';
import type { SharedReplays } from './policy/shared-replays.ts';
import type { LiveBroadcaster } from './realtime/live-broadcaster.ts';
import type { RunActivity } from './runs/run-activity.ts';
import type { StopRequests } from './runs/stop-requests.ts';

export interface ServerContext {
  store: ServerStore;
  metrics: Metrics;
  activity: RunActivity;
  detectors: RunDetectors;
  live: LiveBroadcaster;
  /** Overlapping requests for the same resume state share one replay. */
  replays: SharedReplays;
  /** Replays take turns, so ingest keeps its latency while they run. */
  replayQueue: ReplayQueue;
  /** Sends a new policy version to every SDK socket of the run (set once /ingest exists). */
  pushPolicy: (runId: string, version: PolicyVersion) => void;
  token: string | null;
  /** With a token: reads (HTTP and /live) are open all the same. */
  publicReads: boolean;
  /** Host and Origin checks, shared by HTTP and the socket.io handshake. */
  hostGuard: HostGuard;
  /** Raises alerts (ingest, resumes, stalls, tests) and delivers them to webhooks. */
  alerts: Alerts;
  /** Requests to stop a run: stored, pushed to its SDKs and dashboards, acknowledged per rank. */
  stops: StopRequests;
}
