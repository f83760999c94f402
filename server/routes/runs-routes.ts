// /api/runs: create, list, summary, finish.
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { ValidationError, describe, isPlainObject, parseName, rejectUnknownKeys } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-error.ts';
import { SERVER_DEFAULT_POLICY, toPolicy } from '../policy/policy-rules.ts';
import { toRunSummary } from '../runs/run-summary.ts';
import { findRun, param } from './request-helpers.ts';

const RUN_ID = /^[A-Za-z0-9._-]{1,64}$/;

export function runsRoutes(ctx: ServerContext): Router {
  const router = Router();
  const summary = (id: string) => toRunSummary(ctx.store, ctx.activity, findRun(ctx, id));

  router.post('/api/runs', function createRun(req, res) {
    const body: unknown = req.body;
    if (!isPlainObject(body)) throw new ValidationError(`Expected a JSON object { "name": ... }, got ${describe(body)}`);
    rejectUnknownKeys(body, ['name', 'project', 'config', 'policy', 'id', 'author'], 'the run');
    const name = parseName(body.name, 'name') as string;
    const project = parseName(body.project, 'project', { required: false });
    if (body.config !== undefined && body.config !== null && !isPlainObject(body.config)) {
      throw new ValidationError(`Expected "config" to be an object, got ${describe(body.config)}`);
    }
    const author = parseName(body.author, 'author', { required: false }) ?? 'api';
    const policy = body.policy === undefined || body.policy === null ? SERVER_DEFAULT_POLICY : toPolicy(body.policy);
    let id: string;
    if (body.id !== undefined) {
      if (typeof body.id !== 'string' || !RUN_ID.test(body.id)) {
        throw new ValidationError(`Expected "id" to be 1-64 characters of A-Z a-z 0-9 . _ -, got ${describe(body.id)}`);
      }
      if (ctx.store.runs.byId(body.id)) throw new HttpError(409, `Run "${body.id}" already exists; omit "id" to get a fresh one`);
      id = body.id;
    } else id = randomBytes(9).toString('base64url');
    const at = new Date().toISOString();
    ctx.store.transaction(() => {
      const run = ctx.store.runs.create(id, name, project, body.config ?? null, at);
      ctx.store.policies.add(run.rid, policy, 0, author, at);
    });
    ctx.metrics.runs.set(ctx.store.runs.count());
    ctx.live.queueRun(id);
    res.status(201).json(summary(id));
  });

  router.get('/api/runs', function listRuns(_req, res) {
    res.json(ctx.store.runs.all().map((r) => toRunSummary(ctx.store, ctx.activity, r)));
  });

  router.get('/api/runs/:id', function getRun(req, res) {
    res.json(summary(param(req, 'id')));
  });

  router.post('/api/runs/:id/finish', function finishRun(req, res) {
    const run = findRun(ctx, param(req, 'id'));
    ctx.store.transaction(() => ctx.store.runs.finish(run.rid, new Date().toISOString()));
    ctx.live.queueRun(run.id);
    res.json(summary(run.id));
  });

  return router;
}
