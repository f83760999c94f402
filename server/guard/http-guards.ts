// The express side of the guards: foreign Host (421), foreign Origin (403), and writes that
// are not JSON (415). Each refusal is an HttpError, answered by the app's error middleware.
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from '../http-error.ts';
import type { HostGuard } from './host-guard.ts';

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function isRead(method: string): boolean {
  return READS.has(method);
}

export function refuseForeignHost(guard: HostGuard) {
  return function foreignHost(req: Request, _res: Response, next: NextFunction): void {
    const problem = guard.hostProblem(req.headers.host);
    next(problem ? new HttpError(421, problem) : undefined);
  };
}

export function refuseForeignOrigin(guard: HostGuard) {
  return function foreignOrigin(req: Request, _res: Response, next: NextFunction): void {
    const problem = guard.originProblem(req.headers.origin, req.headers.host);
    next(problem ? new HttpError(403, problem) : undefined);
  };
}

/**
 * A web page can send a "simple" cross-site request (a form, or fetch with text/plain)
 * without the browser asking the server first; it cannot send application/json that way.
 * So every write must say it is JSON, even one without a body.
 */
export function requireJsonWrites(req: Request, _res: Response, next: NextFunction): void {
  if (isRead(req.method)) return next();
  const type = req.headers['content-type'];
  const mediaType = type?.split(';')[0].trim().toLowerCase();
  if (mediaType === 'application/json') return next();
  const got = type === undefined ? 'no Content-Type' : `Content-Type ${JSON.stringify(type)}`;
  next(new HttpError(415, `Expected "Content-Type: application/json" on ${req.method} ${req.originalUrl}, got ${got}: every write must be JSON (so that no other web page can send one)`));
}
