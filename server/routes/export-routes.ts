// `GET /api/runs/:id/export.csv`: streamed page by page (never the whole run in memory).
// A store that fails before the first row is answered with an error status (writeRunCsv reads
// the first page before it writes). One that fails mid-stream, after the 200 went out, ends
// the response without the chunked encoding's last chunk: the client sees a broken transfer
// (curl exits 18, "transfer closed with outstanding read data remaining"; fetch's body read
// rejects), never a CSV that merely looks short.
import { Router } from 'express';
import type { ServerContext } from '../context.ts';
import { writeRunCsv } from '../export/write-run-csv.ts';
import { findRun, param } from './request-helpers.ts';

export function exportRoutes(ctx: ServerContext): Router {
  const router = Router();
  router.get('/api/runs/:id/export.csv', async function exportCsv(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    res.status(200);
    res.set('Content-Type', 'text/csv; charset=utf-8; header=present');
    res.set('Content-Disposition', `attachment; filename="${run.id}.csv"`);
    try {
      await writeRunCsv(ctx.store, run.rid, res);
    } catch (err) {
      if (!res.headersSent) {
        // The error is JSON, not a file to save (res.json keeps a Content-Type already set).
        res.removeHeader('Content-Type');
        res.removeHeader('Content-Disposition');
        throw err;
      }
      ctx.store.noteReadFault(err, `export of run "${run.id}" (aborted mid-stream)`);
      res.destroy();
      return;
    }
    res.end();
  });
  return router;
}
