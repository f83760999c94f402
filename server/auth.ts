// Token auth: with a token configured, every write needs `Authorization: Bearer <token>`,
// and so does every read unless the server was started with public reads.
import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { isRead } from './guard/http-guards.ts';
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

/**
 * The token of a socket.io handshake: the `Authorization: Bearer` header (what the SDK sends:
 * headers never appear in socket.io's debug output), or `auth: { token }` (which does, in
 * the CONNECT packet; still accepted).
 */
export function handshakeToken(handshake: { auth?: unknown; headers: { authorization?: string } }): string | undefined {
  const auth = handshake.auth as { token?: unknown } | undefined;
  return typeof auth?.token === 'string' ? auth.token : bearerToken(handshake.headers.authorization);
}

export type Access = 'writes' | 'reads';

/** Why a token is refused, or null when it is accepted. */
export function tokenProblem(expected: string | null, given: string | undefined, access: Access = 'writes'): string | null {
  if (expected === null) return null;
  if (given === undefined) {
    return access === 'writes'
      ? 'Missing token: this server requires "Authorization: Bearer <token>" (GRADPILOT_TOKEN) for writes'
      : 'Missing token: this server requires "Authorization: Bearer <token>" (GRADPILOT_TOKEN) for reads too (start it with --public-reads to open them)';
  }
  return tokenMatches(expected, given) ? null : 'Wrong token in "Authorization: Bearer <token>"';
}

export function requireToken(token: string | null, { publicReads = false } = {}) {
  return function checkToken(req: Request, _res: Response, next: NextFunction): void {
    const access: Access = isRead(req.method) ? 'reads' : 'writes';
    if (token === null || (access === 'reads' && publicReads)) return next();
    const problem = tokenProblem(token, bearerToken(req.headers.authorization), access);
    next(problem ? new HttpError(401, problem) : undefined);
  };
}
