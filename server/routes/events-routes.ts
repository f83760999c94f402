// Events the server detected: `GET /api/runs/:id/events?from=&to=&after=&limit=` in step
// order, or `?order=newest&before=<id>&limit=` newest first (a page back from `before`).
import { Router } from 'express';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-error.ts';
import { findRun, intParam, param } from './request-helpers.ts';

export function eventsRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.get('/api/runs/:id/events', async function listEvents(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    const order = req.query.order ?? 'step';
    if (order !== 'step' && order !== 'newest') {
      throw new HttpError(400, `Expected query parameter "order" to be "step" or "newest", got ${JSON.stringify(order)}`);
    }
    res.json(
      await ctx.store.events.list(run.rid, run.id, {
        from: intParam(req.query.from, 'from'),
        to: intParam(req.query.to, 'to'),
        after: intParam(req.query.after, 'after'),
        before: intParam(req.query.before, 'before'),
        newest: order === 'newest',
        limit: intParam(req.query.limit, 'limit', { min: 1, max: 100_000 }),
      }),
    );
  });
  return router;
}
