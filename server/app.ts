// The express app: JSON API, metrics, and the dashboard's static files.
import path from 'node:path';
import express, { type NextFunction, type Request, type Response } from 'express';
import createDebug from 'debug';
import { ValidationError } from '@gradpilot/sdk/protocol';
import { requireToken } from './auth.ts';
import type { ServerContext } from './context.ts';
import { hasDashboard, missingDashboardMessage } from './dashboard-files.ts';
import { refuseForeignHost, refuseForeignOrigin, requireJsonWrites } from './guard/http-guards.ts';
import { securityHeaders } from './guard/security-headers.ts';
import { describeFailure, type Failure } from './failure.ts';
import { HttpError } from './http-error.ts';
import { alertRoutes } from './routes/alert-routes.ts';
import { controllerRoutes } from './routes/controller-routes.ts';
import { eventsRoutes } from './routes/events-routes.ts';
import { exportRoutes } from './routes/export-routes.ts';
import { policyRoutes } from './routes/policy-routes.ts';
import { parseJsonBody } from './routes/request-helpers.ts';
import { runsRoutes } from './routes/runs-routes.ts';
import { stepsRoutes } from './routes/steps-routes.ts';
import { stopRoutes } from './routes/stop-routes.ts';

const log = createDebug('gradpilot:http');

/** Largest request body; a full batch of MAX_BATCH_STEPS steps with a few layers fits. */
export const MAX_BODY_BYTES = 8 * 1024 * 1024;

/**
 * A body announced over the limit gets its 413 at once: body-parser would first read the
 * whole body to discard it, so a client sending a huge batch learned of the limit only after
 * uploading all of it. Node still reads off the rest afterwards (closing instead could reset
 * the connection before the client has read the answer).
 */
function refuseAnnouncedOversizeBody(req: Request, res: Response, next: NextFunction): void {
  const length = Number(req.headers['content-length']);
  if (!(length > MAX_BODY_BYTES)) {
    next();
    return;
  }
  next(Object.assign(new Error('request entity too large'), { type: 'entity.too.large', length, limit: MAX_BODY_BYTES }));
}

export function createApp(ctx: ServerContext, clientDir: string): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');

  // ── who may ask: in this order, before any route (even /api/health and the files) ──
  app.use(securityHeaders, refuseForeignHost(ctx.hostGuard), refuseForeignOrigin(ctx.hostGuard));

  // Open even with a token: the SDK's probe tells "no gradpilot here" from "refused" with it.
  app.get('/api/health', async function health(_req, res) {
    // A store that cannot write is not healthy, although it answers: say so until it can.
    const fault = await ctx.store.writeFault();
    const body = { ok: fault === null, runs: await ctx.store.runs.count(), uptimeSeconds: Math.round(process.uptime()) };
    if (fault) res.status(503).json({ ...body, store: 'unwritable', error: `The store cannot write: ${fault.problem}. To fix: ${fault.remedy}.` });
    else res.json(body);
  });
  app.use(['/api', '/metrics'], requireToken(ctx.token, { publicReads: ctx.publicReads }));
  app.get('/metrics', async function metrics(_req, res) {
    ctx.metrics.storeWritable.set(ctx.store.health.fault ? 0 : 1);
    res.set('Content-Type', ctx.metrics.registry.contentType);
    res.send(await ctx.metrics.registry.metrics());
  });

  // Bodies are read as text so that Python's bare NaN/Infinity can be quoted before JSON.parse.
  app.use('/api', requireJsonWrites, refuseAnnouncedOversizeBody, express.text({ type: () => true, limit: MAX_BODY_BYTES }), parseJsonBody);
  app.use(runsRoutes(ctx));
  app.use(stepsRoutes(ctx));
  app.use(eventsRoutes(ctx));
  app.use(policyRoutes(ctx));
  app.use(exportRoutes(ctx));
  app.use(controllerRoutes(ctx));
  app.use(alertRoutes(ctx));
  app.use(stopRoutes(ctx));
  app.use('/api', function unknownEndpoint(req, _res, next) {
    next(new HttpError(404, `Unknown endpoint ${req.method} ${req.originalUrl}`));
  });

  // express.static (send) resolves paths inside `root` only and rejects ".." segments.
  const root = path.resolve(clientDir);
  app.use(express.static(root, { dotfiles: 'ignore', index: 'index.html' }));
  app.get('/{*path}', function dashboardFallback(req, res, next) {
    if (path.extname(req.path) !== '') return next();
    if (!hasDashboard(root)) {
      // Say why instead of a bare 404: the API works, only the bundle is missing.
      res.status(503).type('text/plain').send(`${missingDashboardMessage(root)}\n`);
      return;
    }
    res.sendFile('index.html', { root }, (err) => err && next());
  });

  app.use(function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction) {
    const { status, message, cause } = toHttpError(err, ctx.store.label);
    if (status >= 500) log('%s %s failed: %O', req.method, req.originalUrl, err);
    else log('%s %s -> %d %s', req.method, req.originalUrl, status, message);
    if (status >= 500 && req.method === 'GET') ctx.store.noteReadFault(err, `${req.method} ${req.path}`);
    if (req.path.startsWith('/api/runs') && req.method !== 'GET') {
      if (cause === null) ctx.metrics.rejects.inc({ transport: 'http' });
      else ctx.metrics.faults.inc({ transport: 'http', cause });
    }
    if (status === 503) res.set('Retry-After', '1');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof HttpError && err.retryAfterSeconds !== null) res.set('Retry-After', String(err.retryAfterSeconds));
    res.status(status).json({ error: message });
  });
  return app;
}

function toHttpError(err: unknown, dbFile: string): Pick<Failure, 'status' | 'message' | 'cause'> {
  if (err instanceof HttpError || err instanceof ValidationError) return describeFailure(err, dbFile);
  const e = err as { status?: unknown; type?: unknown; message?: unknown; length?: unknown; limit?: unknown };
  if (e && e.type === 'entity.too.large') {
    return { status: 413, message: `Request body too large: ${String(e.length)} bytes; the limit is ${String(e.limit)} bytes. Send smaller batches.`, cause: null };
  }
  if (e && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    return { status: e.status, message: typeof e.message === 'string' ? e.message : 'Bad request', cause: null };
  }
  return describeFailure(err, dbFile);
}
