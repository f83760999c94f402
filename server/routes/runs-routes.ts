// /api/runs: create, list, summary, finish.
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { ValidationError, describe, isPlainObject, parseName, rejectUnknownKeys } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import { HttpError } from '../http-error.ts';
import { SERVER_DEFAULT_POLICY, toPolicy } from '../policy/policy-rules.ts';
import { toRunSummary } from '../runs/run-summary.ts';
import { findRun, intParam, param } from './request-helpers.ts';

const RUN_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** A run's hyperparameters, not its data. */
export const MAX_CONFIG_BYTES = 64 * 1024;
export const DEFAULT_RUNS_PAGE = 1000;
export const MAX_RUNS_PAGE = 5000;

export function runsRoutes(ctx: ServerContext): Router {
  const router = Router();
  const summary = async (id: string) => toRunSummary(ctx.store, ctx.activity, await findRun(ctx, id), { withConfig: true });

  router.post('/api/runs', async function createRun(req, res) {
    const body: unknown = req.body;
    if (!isPlainObject(body)) throw new ValidationError(`Expected a JSON object { "name": ... }, got ${describe(body)}`);
    rejectUnknownKeys(body, ['name', 'project', 'config', 'policy', 'id', 'author'], 'the run');
    const name = parseName(body.name, 'name') as string;
    const project = parseName(body.project, 'project', { required: false });
    if (body.config !== undefined && body.config !== null && !isPlainObject(body.config)) {
      throw new ValidationError(`Expected "config" to be an object, got ${describe(body.config)}`);
    }
    const configBytes = body.config === undefined || body.config === null ? 0 : Buffer.byteLength(JSON.stringify(body.config));
    if (configBytes > MAX_CONFIG_BYTES) {
      throw new HttpError(413, `"config" is ${configBytes} bytes of JSON; at most ${MAX_CONFIG_BYTES} are kept per run. Store large files elsewhere and put their path in config.`);
    }
    const author = parseName(body.author, 'author', { required: false }) ?? 'api';
    const policy = body.policy === undefined || body.policy === null ? SERVER_DEFAULT_POLICY : toPolicy(body.policy);
    let id: string;
    if (body.id !== undefined) {
      if (typeof body.id !== 'string' || !RUN_ID.test(body.id)) {
        throw new ValidationError(`Expected "id" to be 1-64 characters of A-Z a-z 0-9 . _ -, got ${describe(body.id)}`);
      }
      if (await ctx.store.runs.byId(body.id)) throw new HttpError(409, `Run "${body.id}" already exists; omit "id" to get a fresh one`);
      id = body.id;
    } else id = randomBytes(9).toString('base64url');
    const at = new Date().toISOString();
    await ctx.store.createRun(id, name, project, body.config ?? null, policy, author, at);
    ctx.metrics.runs.set(await ctx.store.runs.count());
    ctx.live.queueRun(id);
    res.status(201).json(await summary(id));
  });

  // Newest first, a page at a time: still a JSON array (the contract), with the cursor of the
  // next page in `X-Next-Cursor` and a `Link: <...>; rel="next"` header while there is one.
  router.get('/api/runs', async function listRuns(req, res) {
    const limit = intParam(req.query.limit, 'limit', { min: 1, max: MAX_RUNS_PAGE }) ?? DEFAULT_RUNS_PAGE;
    const cursor = req.query.cursor;
    if (cursor !== undefined && (typeof cursor !== 'string' || !/^[1-9]\d{0,15}$/.test(cursor))) {
      throw new ValidationError(`Expected "cursor" to be the X-Next-Cursor of a previous page, got ${describe(cursor)}`);
    }
    const project = req.query.project === undefined ? null : parseName(req.query.project, 'project');
    const q = req.query.q;
    if (q !== undefined && (typeof q !== 'string' || q.length > 200)) {
      throw new ValidationError(`Expected "q" to be the text to search names, projects and ids for (at most 200 characters), got ${describe(q)}`);
    }
    const search = q === undefined || q === '' ? null : q;
    const rows = await ctx.store.runs.page(limit + 1, cursor === undefined ? null : Number(cursor), project, search);
    const more = rows.length > limit;
    if (more) rows.pop();
    if (more && rows.length > 0) {
      const next = String(rows[rows.length - 1].rid);
      res.set('X-Next-Cursor', next);
      res.set(
        'Link',
        `</api/runs?limit=${limit}&cursor=${next}${project === null ? '' : `&project=${encodeURIComponent(project)}`}${search === null ? '' : `&q=${encodeURIComponent(search)}`}>; rel="next"`,
      );
    }
    res.json(await Promise.all(rows.map((r) => toRunSummary(ctx.store, ctx.activity, r))));
  });

  router.get('/api/projects', async function listProjects(_req, res) {
    res.json(await ctx.store.runs.projects());
  });

  router.get('/api/runs/:id', async function getRun(req, res) {
    res.json(await summary(param(req, 'id')));
  });

  router.post('/api/runs/:id/finish', async function finishRun(req, res) {
    const run = await findRun(ctx, param(req, 'id'));
    await ctx.store.finishRun(run.rid, new Date().toISOString());
    ctx.live.queueRun(run.id);
    res.json(await summary(run.id));
  });

  return router;
}
