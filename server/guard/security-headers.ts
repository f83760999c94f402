// Headers on every response (the API's, the dashboard's files, socket.io's polling and
// upgrade responses): no framing by other pages (clickjacking), no content sniffing, and a
// CSP that lets the dashboard load only its own scripts, styles and sockets.
import type { NextFunction, Request, Response } from 'express';

// What the dashboard needs, checked in Chromium (test/browser/security.test.ts):
// - uPlot and the views set element.style through the CSSOM, which style-src does not govern,
//   so styles need no 'unsafe-inline';
// - the favicon is a data: URL (img-src data:);
// - the /live socket: 'self' matches ws:// and wss:// on the same host and port (CSP 3).
const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'self'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CSP,
  // Browsers that know CSP's frame-ancestors follow it and ignore this; older ones get DENY.
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
};

export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.set(SECURITY_HEADERS);
  next();
}

/** For engine.io's "headers" event: the same headers on socket.io's own responses. */
export function addSecurityHeaders(headers: Record<string, string | string[] | undefined>): void {
  Object.assign(headers, SECURITY_HEADERS);
}
