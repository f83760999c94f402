// The controller over stored history: `GET /api/runs/:id/state?after=k` (read-only resume
// state), `POST /api/runs/:id/resume { fromStep? }` (supersedes steps after fromStep, as the
// socket `resume` does) and `POST /api/runs/:id/replay { policy, points? }` (what-if).
import { Router } from 'express';
import { ValidationError, describe, isPlainObject, parseStep, rejectUnknownKeys } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import { toPolicy } from '../policy/policy-rules.ts';
import { controllerStateAfter, resumeRun } from '../policy/resume-run.ts';
import { whatIf } from '../policy/what-if.ts';
import { findRun, intParam, param } from './request-helpers.ts';
import { DEFAULT_POINTS, MAX_POINTS } from './steps-routes.ts';

export function controllerRoutes(ctx: ServerContext): Router {
  const router = Router();

  router.get('/api/runs/:id/state', async function getState(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    res.json(await controllerStateAfter(ctx, run, intParam(req.query.after, 'after'), { mayRefuse: true }));
  });

  router.post('/api/runs/:id/resume', async function postResume(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    const body: unknown = req.body ?? {};
    if (!isPlainObject(body)) throw new ValidationError(`Expected a JSON object { "fromStep"?: n }, got ${describe(body)}`);
    rejectUnknownKeys(body, ['fromStep'], 'the body');
    const fromStep = body.fromStep === undefined || body.fromStep === null ? undefined : parseStep(body.fromStep, 'fromStep');
    res.json(await resumeRun(ctx, run, fromStep));
  });

  router.post('/api/runs/:id/replay', async function postReplay(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    const body: unknown = req.body;
    if (!isPlainObject(body)) throw new ValidationError(`Expected a JSON object { "policy": { "kind": ... }, "points"?: n }, got ${describe(body)}`);
    rejectUnknownKeys(body, ['policy', 'points'], 'the body');
    const policy = toPolicy(body.policy);
    let points = DEFAULT_POINTS;
    if (body.points !== undefined && body.points !== null) {
      if (typeof body.points !== 'number' || !Number.isInteger(body.points) || body.points < 1 || body.points > MAX_POINTS) {
        throw new ValidationError(`Expected "points" to be an integer in [1, ${MAX_POINTS}], got ${describe(body.points)}`);
      }
      points = body.points;
    }
    ctx.metrics.replays.inc({ kind: 'whatif' });
    res.json(await ctx.replayQueue.run(() => whatIf(ctx.store, run, policy, points), { mayRefuse: true }));
  });

  return router;
}
