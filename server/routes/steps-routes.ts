// Steps: HTTP ingest and the downsampled range queries.
import { Router } from 'express';
import { validateStepsBody } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import { ingestBatch } from '../ingest/ingest-batch.ts';
import { queryLayers } from '../query/query-layers.ts';
import { querySteps } from '../query/query-steps.ts';
import { findRun, intParam, param } from './request-helpers.ts';
import type { Request } from 'express';
import type { RunRow } from '../db/run-store.ts';

export const DEFAULT_POINTS = 1000;
export const MAX_POINTS = 100_000;

function rangeOf(req: Request, run: RunRow): { from: number; to: number; points: number } {
  const from = intParam(req.query.from, 'from') ?? 0;
  const to = intParam(req.query.to, 'to') ?? run.last_step ?? 0;
  const points = intParam(req.query.points, 'points', { min: 1, max: MAX_POINTS }) ?? DEFAULT_POINTS;
  return { from, to, points };
}

export function stepsRoutes(ctx: ServerContext): Router {
  const router = Router();

  router.post('/api/runs/:id/steps', async function postSteps(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    const cols = validateStepsBody(req.body);
    res.json(await ingestBatch(ctx, run, cols, 'http'));
  });

  router.get('/api/runs/:id/steps', async function getSteps(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    const { from, to, points } = rangeOf(req, run);
    res.json(await querySteps(ctx.store.steps, run.rid, run.id, from, to, points));
  });

  router.get('/api/runs/:id/layers', async function getLayers(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    const { from, to, points } = rangeOf(req, run);
    res.json(await queryLayers(ctx.store.steps, run.rid, run.id, from, to, points));
  });

  return router;
}
