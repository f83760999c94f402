// Token auth: with a token configured, every write needs `Authorization: Bearer <token>`.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { HttpError } from './http-error.ts';

/** Compares in constant time so the token cannot be guessed byte by byte from timings. */
export function tokenMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token in an `Authorization: Bearer <token>` header, or undefined. */
export function bearerToken(header: unknown): string | undefined {
  if (typeof header !== 'string') return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header.trim());
  return m ? m[1] : undefined;
}

/** Why a token is refused, or null when it is accepted. */
export function tokenProblem(expected: string | null, given: string | undefined): string | null {
  if (expected === null) return null;
  if (given === undefined) return 'Missing token: this server requires "Authorization: Bearer <token>" (GRADPILOT_TOKEN) for writes';
  return tokenMatches(expected, given) ? null : 'Wrong token in "Authorization: Bearer <token>"';
}

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function requireTokenForWrites(token: string | null) {
  return function requireToken(req: Request, _res: Response, next: NextFunction): void {
    if (token === null || READS.has(req.method)) return next();
    const problem = tokenProblem(token, bearerToken(req.headers.authorization));
    next(problem ? new HttpError(401, problem) : undefined);
  };
}
