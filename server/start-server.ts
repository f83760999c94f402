// Starts the gradpilot server: the store, the express app and socket.io on one HTTP server.
import http from 'node:http';
import path from 'node:path';
import createDebug from 'debug';
import { Server as IoServer } from 'socket.io';
import { INGEST_NAMESPACE, LIVE_NAMESPACE } from '@gradpilot/sdk/protocol';
import { type AlertOptions, resolveAlertOptions } from './alerts/alert-options.ts';
import { Alerts } from './alerts/alerts.ts';
import { webhookUrlProblem } from './alerts/webhook-target.ts';
import { createApp, MAX_BODY_BYTES } from './app.ts';
import type { ServerContext } from './context.ts';
import { isPostgresUrl, openStore } from './db/open-store.ts';
import { RunDetectors } from './ingest/run-detectors.ts';
import { serverDetector } from './policy/policy-rules.ts';
import { ReplayQueue } from './policy/replay-queue.ts';
import { SharedReplays } from './policy/shared-replays.ts';
import { hasDashboard, missingDashboardMessage } from './dashboard-files.ts';
import { type AllowedHost, parseAllowedHost } from './guard/allowed-hosts.ts';
import { HostGuard, isLoopback } from './guard/host-guard.ts';
import { addSecurityHeaders } from './guard/security-headers.ts';
import { allowHandshake } from './guard/socket-handshake.ts';
import { Metrics } from './metrics.ts';
import { PACKAGE_ROOT } from './package-root.ts';
import { type IngestNamespace, setupIngestNamespace } from './realtime/ingest-namespace.ts';
import { LiveBroadcaster, type LiveNamespace, runRoom } from './realtime/live-broadcaster.ts';
import { setupLiveNamespace } from './realtime/live-namespace.ts';
import { registerResume } from './realtime/resume-handler.ts';
import { registerStopAck } from './realtime/stop-handler.ts';
import { RunActivity } from './runs/run-activity.ts';
import { toRunSummary } from './runs/run-summary.ts';
import { StopRequests } from './runs/stop-requests.ts';

const log = createDebug('gradpilot:server');

export interface ServerOptions {
  /** SQLite file (created if missing), or a `postgres://user@host:port/db` URL. */
  db: string;
  /** 0 = a random free port. Default 7070. */
  port?: number;
  /** Default 127.0.0.1. A non-loopback host needs a token. */
  host?: string;
  /** With a token, every write (HTTP and socket /ingest) and every read (HTTP and /live) needs it. */
  token?: string | null;
  /** With a token, leave reads (HTTP and /live) open: only writes need it. Default false. */
  publicReads?: boolean;
  /**
   * Host names (optionally with a port) the server may be reached under besides
   * 127.0.0.1, localhost and [::1] with its port, and whose pages may call it. Default none.
   */
  allowedHosts?: readonly string[];
  /** One line on stdout saying where it listens. Default false. */
  log?: boolean;
  /** The built dashboard. Default client/dist of this package. */
  clientDir?: string;
  /**
   * A request must be received in full within this long (its headers within a third of it,
   * at most 10 s), or the connection is closed: a client that stops sending mid-body holds
   * its buffer no longer. Default 30000 ms.
   */
  requestTimeoutMs?: number;
  /** Replays of stored history at once, and how many may wait (beyond: 503). Default 1 and 4. */
  replays?: { concurrency?: number; maxWaiting?: number };
  /** Server-wide webhooks: every alert is POSTed to each (`--webhook`, GRADPILOT_WEBHOOK). */
  webhooks?: string[];
  /** Where users open the dashboard, for the links in alerts. Default: the URL it listens on. */
  publicUrl?: string | null;
  /** Cooldown, stall detection and delivery tuning (alerts/alert-options.ts). */
  alerts?: AlertOptions;
}

export interface RunningServer {
  url: string;
  port: number;
  /** Flushes live updates, disconnects sockets, closes the HTTP server and the database. */
  close(): Promise<void>;
}

export const DEFAULT_PORT = 7070;
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_CLIENT_DIR = path.join(PACKAGE_ROOT, 'client', 'dist');

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const {
    db, port = DEFAULT_PORT, host = DEFAULT_HOST, token = null, publicReads = false, allowedHosts = [],
    log: announce = false, clientDir = DEFAULT_CLIENT_DIR, requestTimeoutMs = 30_000, webhooks = [], publicUrl = null,
  } = options;
  // ── validate options ──
  if (typeof db !== 'string' || db === '') throw new TypeError('Expected the "db" option to be a file path, e.g. "./gradpilot.db", or a postgres:// URL');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`Expected the "port" option to be an integer in [0, 65535], got ${port}`);
  if (!Number.isInteger(requestTimeoutMs) || requestTimeoutMs < 1) {
    throw new RangeError(`Expected the "requestTimeoutMs" option to be a positive integer, got ${requestTimeoutMs}`);
  }
  if (token !== null && (typeof token !== 'string' || token === '')) throw new TypeError('Expected the "token" option to be a non-empty string or null');
  if (typeof publicReads !== 'boolean') throw new TypeError(`Expected the "publicReads" option to be true or false, got ${typeof publicReads}`);
  if (!Array.isArray(allowedHosts) || allowedHosts.some((h) => typeof h !== 'string')) {
    throw new TypeError('Expected the "allowedHosts" option to be an array of host names, e.g. ["gradpilot.lan"]');
  }
  const allowed: AllowedHost[] = allowedHosts.map((h) => parseAllowedHost(h));
  if (!Array.isArray(webhooks)) throw new TypeError('Expected the "webhooks" option to be an array of URLs');
  webhooks.forEach((w, i) => {
    const problem = webhookUrlProblem(w, `the "webhooks[${i}]" option`);
    if (problem) throw new TypeError(problem);
  });
  const publicUrlProblem = publicUrl === null ? null : webhookUrlProblem(publicUrl, 'the "publicUrl" option');
  if (publicUrlProblem) throw new TypeError(publicUrlProblem);
  const alertOptions = resolveAlertOptions(options.alerts);
  if (!isLoopback(host) && token === null) {
    throw new Error(`Refusing to listen on non-loopback host "${host}" without a token: anyone on the network could write to it. Set GRADPILOT_TOKEN (or --host 127.0.0.1).`);
  }

  // ── wire the parts ──
  // One server per file, and only a file it can write and SQLite finds sound (else it throws, naming it).
  const { store, warmup } = await openStore(db, announce ? { report: (line) => process.stderr.write(`gradpilot: ${line}\n`) } : {});
  const metrics = new Metrics();
  const activity = new RunActivity();
  let listeningPort = port;
  const hostGuard = new HostGuard({ bindHost: host, port: () => listeningPort, allowedHosts: allowed });
  // Node's defaults hold a half-sent body for 300 s and check only every 30 s. Upgraded
  // sockets (socket.io's websockets) leave this bookkeeping, so they are not cut.
  const httpServer = http.createServer({
    requestTimeout: requestTimeoutMs,
    headersTimeout: Math.min(10_000, Math.ceil(requestTimeoutMs / 3)),
    connectionsCheckingInterval: Math.min(1000, requestTimeoutMs),
  });
  // On PostgreSQL, other servers may share the database: their sockets share rooms through it.
  const cluster = isPostgresUrl(db) ? (await import('./realtime/postgres-adapter.ts')).postgresAdapter(db) : null;
  const io = new IoServer({
    maxHttpBufferSize: MAX_BODY_BYTES * 2, serveClient: false, allowRequest: allowHandshake(hostGuard), ...(cluster ? { adapter: cluster.adapter } : {}),
  });
  const ingestNs: IngestNamespace = io.of(INGEST_NAMESPACE);
  const liveNs: LiveNamespace = io.of(LIVE_NAMESPACE);
  const summarize = async (runId: string) => {
    const row = await store.runs.byId(runId);
    return row && toRunSummary(store, activity, row);
  };
  const ctx: ServerContext = {
    store,
    metrics,
    activity,
    detectors: new RunDetectors(warmup, serverDetector),
    live: new LiveBroadcaster(liveNs, summarize, { clustered: cluster !== null }),
    replays: new SharedReplays(),
    replayQueue: new ReplayQueue(options.replays),
    pushPolicy: (runId, v) => ingestNs.to(runRoom(runId)).emit('policy', { runId, version: v.version, effectiveStep: v.effectiveStep, policy: v.policy }),
    token,
    publicReads,
    hostGuard,
    alerts: new Alerts({ store, webhooks, options: alertOptions, changed: (alert) => liveNs.emit('alert', alert) }),
    stops: new StopRequests(store, {
      sdks: (runId, push) => ingestNs.to(runRoom(runId)).emit('stop', push),
      dashboards: (runId, request) => liveNs.to(runRoom(runId)).emit('stop', request),
    }),
  };
  metrics.runs.set(await store.runs.count());
  httpServer.on('request', createApp(ctx, clientDir));
  // Attached after the app: engine.io takes over the request listeners it finds and passes
  // them every request that is not its own. Attached before, the app would answer socket.io's
  // long-polling requests too, and both would write one response.
  io.attach(httpServer);
  io.engine.on('headers', addSecurityHeaders);
  setupIngestNamespace(ingestNs, ctx, {
    extend: (socket) => {
      registerResume(socket, ctx);
      registerStopAck(socket, ctx);
    },
  });
  setupLiveNamespace(liveNs, ctx);

  try {
    await new Promise<void>((resolve, reject) => {
      httpServer.once('error', reject);
      httpServer.listen(port, host, () => {
        httpServer.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    io.close();
    await cluster?.close();
    await store.close();
    throw err;
  }
  const addr = httpServer.address();
  const actualPort = typeof addr === 'object' && addr ? addr.port : port;
  listeningPort = actualPort;
  const url = `http://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${actualPort}`;
  await ctx.alerts.start(publicUrl ?? url);
  log('listening on %s, data in %s', url, store.label);
  if (announce) {
    const serves = hasDashboard(clientDir) ? 'dashboard and API' : `API only: ${missingDashboardMessage(clientDir)}`;
    process.stdout.write(`gradpilot listening on ${url} (${serves}), data in ${isPostgresUrl(db) ? store.label : path.resolve(db)}\n`);
  }

  let closing: Promise<void> | null = null;
  return {
    url,
    port: actualPort,
    close() {
      closing ??= (async () => {
        ctx.alerts.stop();
        ctx.live.flushAll();
        await new Promise<void>((resolve) => {
          io.close(() => resolve());
          httpServer.closeAllConnections();
        });
        ctx.live.stop();
        await cluster?.close();
        await store.close();
        log('closed %s', url);
      })();
      return closing;
    },
  };
}
