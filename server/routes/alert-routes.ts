// Alerts and webhooks: `GET /api/alerts`, `GET /api/runs/:id/alerts`, `POST /api/alerts/test`,
// `GET /api/webhooks`, `GET|POST /api/projects/:project/webhooks`,
// `DELETE /api/projects/:project/webhooks/:webhookId`. Writes need the token like every write.
import { Router, type Request, type Response } from 'express';
import type { AlertKind } from '@gradpilot/sdk/protocol';
import { ValidationError, describe, isPlainObject, parseName, rejectUnknownKeys } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-error.ts';
import { redactWebhookUrl, webhookUrlProblem } from '../alerts/webhook-target.ts';
import { findRun, intParam, param } from './request-helpers.ts';

const KINDS: readonly AlertKind[] = ['explosion', 'nonfinite', 'spikes', 'stall', 'superseded', 'test'];
export const DEFAULT_ALERTS_PAGE = 100;
export const MAX_ALERTS_PAGE = 1000;

function kindParam(value: unknown): AlertKind | null {
  if (value === undefined || value === '') return null;
  if (typeof value !== 'string' || !(KINDS as readonly string[]).includes(value)) {
    throw new ValidationError(`Expected query parameter "kind" to be one of ${KINDS.join(', ')}, got ${describe(value)}`);
  }
  return value as AlertKind;
}

export function alertRoutes(ctx: ServerContext): Router {
  const router = Router();

  // Newest first; a full page sets X-Next-Cursor, to pass as `before` for the next one.
  async function sendAlerts(req: Request, res: Response, rid: number | null, project: string | null): Promise<void> {
    const limit = intParam(req.query.limit, 'limit', { min: 1, max: MAX_ALERTS_PAGE }) ?? DEFAULT_ALERTS_PAGE;
    const before = intParam(req.query.before, 'before', { min: 1 }) ?? null;
    const alerts = await ctx.store.alerts.list({ rid, project, kind: kindParam(req.query.kind), before, limit });
    if (alerts.length === limit) res.set('X-Next-Cursor', String(alerts[alerts.length - 1].id));
    res.json(alerts);
  }

  router.get('/api/alerts', async function listAlerts(req, res) {
    const rid = req.query.run === undefined ? null : (await findRun(ctx, parseName(req.query.run, 'run') as string)).rid;
    const project = req.query.project === undefined ? null : parseName(req.query.project, 'project');
    await sendAlerts(req, res, rid, project);
  });

  router.get('/api/runs/:id/alerts', async function runAlerts(req, res) {
    await sendAlerts(req, res, (await findRun(ctx, param(req, 'id'))).rid, null);
  });

  // Body: { runId? } (the webhooks that run's alerts go to) or { project? }; {} = server-wide.
  router.post('/api/alerts/test', async function testAlert(req, res) {
    const body: unknown = req.body ?? {};
    if (!isPlainObject(body)) throw new ValidationError(`Expected a JSON object { "runId"?: ..., "project"?: ... }, got ${describe(body)}`);
    rejectUnknownKeys(body, ['runId', 'project'], 'the body');
    const runId = parseName(body.runId, 'runId', { required: false });
    const project = parseName(body.project, 'project', { required: false });
    if (runId !== null && project !== null) throw new ValidationError('Give "runId" or "project", not both: a run\'s alerts go to its own project\'s webhooks');
    const run = runId === null ? null : (await findRun(ctx, runId));
    res.status(201).json(await ctx.alerts.test({ run, project }));
  });

  router.get('/api/webhooks', async function listWebhooks(_req, res) {
    res.json({ server: ctx.alerts.serverWebhooks.map(redactWebhookUrl), projects: await ctx.store.webhooks.all() });
  });

  router.get('/api/projects/:project/webhooks', async function projectWebhooks(req, res) {
    res.json(await ctx.store.webhooks.list(parseName(param(req, 'project'), 'project') as string));
  });

  router.post('/api/projects/:project/webhooks', async function addWebhook(req, res) {
    const project = parseName(param(req, 'project'), 'project') as string;
    const body: unknown = req.body;
    if (!isPlainObject(body)) throw new ValidationError(`Expected a JSON object { "url": "https://..." }, got ${describe(body)}`);
    rejectUnknownKeys(body, ['url', 'author'], 'the webhook');
    const problem = webhookUrlProblem(body.url, '"url"');
    if (problem) throw new ValidationError(problem);
    const author = parseName(body.author, 'author', { required: false }) ?? 'api';
    const added = await ctx.store.webhooks.add(project, body.url as string, author, new Date().toISOString());
    if (!added) throw new HttpError(409, `Project "${project}" already has this webhook`);
    res.status(201).json(added);
  });

  router.delete('/api/projects/:project/webhooks/:webhookId', async function removeWebhook(req, res) {
    const project = parseName(param(req, 'project'), 'project') as string;
    const id = intParam(param(req, 'webhookId'), 'webhookId', { min: 1 }) as number;
    if (!await ctx.store.webhooks.remove(project, id)) {
      throw new HttpError(404, `Project "${project}" has no webhook ${id}; list them with GET /api/projects/${encodeURIComponent(project)}/webhooks`);
    }
    res.status(204).end();
  });

  return router;
}
