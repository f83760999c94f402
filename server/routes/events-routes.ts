// Events the server detected: `GET /api/runs/:id/events?from=&to=&after=&limit=`.
import { Router } from 'express';
import type { ServerContext } from '../context.ts';
import { findRun, intParam, param } from './request-helpers.ts';

export function eventsRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.get('/api/runs/:id/events', function listEvents(req, res) {
    const run = findRun(ctx, param(req, 'id'));
    res.json(
      ctx.store.events.list(run.rid, run.id, {
        from: intParam(req.query.from, 'from'),
        to: intParam(req.query.to, 'to'),
        after: intParam(req.query.after, 'after'),
        limit: intParam(req.query.limit, 'limit', { min: 1, max: 100_000 }),
      }),
    );
  });
  return router;
}
