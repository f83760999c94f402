// Every response, whatever answers it (the API, its errors, the dashboard's files, the guards,
// socket.io), forbids framing by other pages and content sniffing, and carries the CSP under
// which the dashboard runs (test/browser/token.test.ts runs the dashboard under it in Chromium).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-request.ts';
import { type TestServer, withServer } from '../support/server.ts';

describe('security headers', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await withServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should send CSP, X-Frame-Options DENY and nosniff on every response', async () => {
    const p = server.port;
    const DASHBOARD_CSP = expect.stringMatching(/^default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; .*frame-ancestors 'self'$/);
    const requests: [method: string, path: string, headers: Record<string, string>, status: number, csp?: string][] = [
      ['GET', '/', {}, 200],
      ['GET', '/main.js', {}, 200],
      ['GET', '/#/runs/x', {}, 200],
      ['GET', '/api/health', {}, 200],
      ['GET', '/api/runs', {}, 200],
      ['GET', '/metrics', {}, 200],
      ['GET', '/api/runs/nope', {}, 404],
      // express's own 404 page replaces the CSP with a stricter one: nothing may load at all.
      ['GET', '/missing.js', {}, 404, "default-src 'none'"],
      ['POST', '/api/runs', { 'content-type': 'text/plain' }, 415],
      ['POST', '/api/runs', { 'content-type': 'application/json', origin: 'http://evil.example' }, 403],
      ['GET', '/api/runs', { host: 'evil.example' }, 421],
      ['GET', '/socket.io/?EIO=4&transport=polling', {}, 200],
    ];
    for (const [method, path, headers, status, csp = DASHBOARD_CSP] of requests) {
      const r = await rawRequest(p, method, path, headers, method === 'POST' ? '{"name":"x"}' : undefined);
      const got = {
        status: r.status,
        csp: r.headers['content-security-policy'],
        frame: r.headers['x-frame-options'],
        sniff: r.headers['x-content-type-options'],
      };
      expect({ method, path, ...got }).toEqual({
        method, path, status,
        csp,
        frame: 'DENY',
        sniff: 'nosniff',
      });
    }
  });
});
