// Small helpers shared by the routes: JSON bodies (Python's bare NaN/Infinity accepted),
// integer query parameters and run lookup, each failing with an HttpError that names the field.
import type { NextFunction, Request, Response } from 'express';
import { quoteBareNonFinite } from '@gradpilot/sdk/protocol';
import type { ServerContext } from '../context.ts';
import type { RunRow } from '../db/run-store.ts';
import { HttpError } from '../http-error.ts';

/** Parses the text body (read by express.text) as JSON into req.body; an empty body is undefined. */
export function parseJsonBody(req: Request, _res: Response, next: NextFunction): void {
  const text: unknown = req.body;
  if (typeof text !== 'string' || text.trim() === '') {
    req.body = undefined;
    next();
    return;
  }
  try {
    req.body = JSON.parse(quoteBareNonFinite(text));
    next();
  } catch (err) {
    next(new HttpError(400, `Malformed JSON body: ${(err as Error).message}`, { cause: err }));
  }
}

export function intParam(value: unknown, name: string, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new HttpError(400, `Expected query parameter "${name}" to be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`);
  }
  return n;
}

export async function findRun(ctx: ServerContext, id: string): Promise<RunRow> {
  const run = await ctx.store.runs.byId(id);
  if (!run) throw new HttpError(404, `Unknown run "${id}": create it with POST /api/runs or list runs with GET /api/runs`);
  return run;
}

/** The route parameter `name` as a string (express 5 types allow arrays for wildcards). */
export function param(req: Request, name: string): string {
  const v = req.params[name];
  return Array.isArray(v) ? v.join('/') : String(v);
}
