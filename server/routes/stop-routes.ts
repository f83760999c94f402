// Stop requests of a run: `POST /api/runs/:id/stop { reason?, author? }` (a write: the token
// in token mode), `GET /api/runs/:id/stop` (every request, oldest first, with each rank's receipt).
import { Router } from 'express';
import { ValidationError, describe, isPlainObject, parseName, rejectUnknownKeys } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import { findRun, param } from './request-helpers.ts';

export const MAX_STOP_REASON_LENGTH = 1000;

export function stopRoutes(ctx: ServerContext): Router {
  const router = Router();

  router.get('/api/runs/:id/stop', async function stopHistory(req, res) {
    res.json(await ctx.stops.history((await findRun(ctx, param(req, 'id')))));
  });

  router.post('/api/runs/:id/stop', async function requestStop(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    const body: unknown = req.body ?? {};
    if (!isPlainObject(body)) throw new ValidationError(`Expected a JSON object { "reason"?: "...", "author"?: "..." }, got ${describe(body)}`);
    rejectUnknownKeys(body, ['reason', 'author'], 'the stop request');
    const author = parseName(body.author, 'author', { required: false }) ?? 'api';
    let reason: string | null = null;
    if (body.reason !== undefined && body.reason !== null) {
      if (typeof body.reason !== 'string' || body.reason.length > MAX_STOP_REASON_LENGTH) {
        throw new ValidationError(`Expected "reason" to be a string of at most ${MAX_STOP_REASON_LENGTH} characters, got ${describe(body.reason)}`);
      }
      reason = body.reason.trim() === '' ? null : body.reason;
    }
    res.status(201).json(await ctx.stops.request(run, author, reason));
  });

  return router;
}
