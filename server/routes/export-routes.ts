// `GET /api/runs/:id/export.csv`: streamed page by page (never the whole run in memory).
import { Router } from 'express';
import type { ServerContext } from '../context.ts';
import { writeRunCsv } from '../export/write-run-csv.ts';
import { findRun, param } from './request-helpers.ts';

export function exportRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.get('/api/runs/:id/export.csv', async function exportCsv(req, res) {
    const run = findRun(ctx, param(req, 'id'));
    res.status(200);
    res.set('Content-Type', 'text/csv; charset=utf-8; header=present');
    res.set('Content-Disposition', `attachment; filename="${run.id}.csv"`);
    await writeRunCsv(ctx.store, run.rid, res);
    res.end();
  });
  return router;
}
