// Policy of a run: `GET|PUT /api/runs/:id/policy`, `GET /api/runs/:id/policy/history`.
import { Router } from 'express';
import { ValidationError, describe, isPlainObject, parseName, parseStep, rejectUnknownKeys } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-error.ts';
import { toPolicy } from '../policy/policy-rules.ts';
import { setPolicy } from '../policy/set-policy.ts';
import { findRun, param } from './request-helpers.ts';

export function policyRoutes(ctx: ServerContext): Router {
  const router = Router();

  router.get('/api/runs/:id/policy', async function getPolicy(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    const version = await ctx.store.policies.latest(run.rid);
    if (!version) throw new HttpError(404, `Run "${run.id}" has no policy yet`);
    res.json(version);
  });

  router.get('/api/runs/:id/policy/history', async function policyHistory(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    res.json(await ctx.store.policies.history(run.rid));
  });

  // Body: { policy, effectiveStep?, author? }, or a bare policy object ({ kind, ... }).
  router.put('/api/runs/:id/policy', async function putPolicy(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    const body: unknown = req.body;
    if (!isPlainObject(body)) throw new ValidationError(`Expected a JSON object { "policy": { "kind": ... }, "effectiveStep"?: n }, got ${describe(body)}`);
    const wrapped = 'policy' in body;
    if (wrapped) rejectUnknownKeys(body, ['policy', 'effectiveStep', 'author'], 'the body');
    const policy = toPolicy(wrapped ? body.policy : body);
    const effectiveStep = wrapped && body.effectiveStep !== undefined && body.effectiveStep !== null ? parseStep(body.effectiveStep, 'effectiveStep') : undefined;
    const author = (wrapped ? parseName(body.author, 'author', { required: false }) : null) ?? 'api';
    const version = await setPolicy(ctx, run, policy, effectiveStep, author);
    res.json(version);
  });

  return router;
}
