// Token auth on writes and reads (HTTP and the /ingest handshake), loopback-only without a token, and
// static files that cannot escape the dashboard directory.
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../server/start-server.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { call } from './http-client.ts';
import { connectIngest, request } from './socket-client.ts';

const TOKEN = 's3cret-token';

function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    // http.get sends the path as written, without the URL normalisation fetch would apply.
    http
      .get({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('token auth', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await withServer({ token: TOKEN });
  });
  afterAll(async () => {
    await server.close();
  });

  it('should refuse writes and reads without the token or with a wrong one', async () => {
    const missing = await call(`${server.url}/api/runs`, 'POST', { name: 'x' });
    expect(missing.status).toBe(401);
    expect(missing.body.error).toMatch(/Missing token.*Authorization: Bearer/);
    const wrong = await call(`${server.url}/api/runs`, 'POST', { name: 'x' }, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatch(/Wrong token/);
    const read = await call(`${server.url}/api/runs`);
    expect(read.status).toBe(401);
    expect(read.body.error).toMatch(/Missing token.*for reads too/);
    expect((await call(`${server.url}/api/runs`, 'GET', undefined, { authorization: `Bearer ${TOKEN}` })).body).toEqual([]);
    const ok = await call(`${server.url}/api/runs`, 'POST', { name: 'x' }, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(201);
    const put = await call(`${server.url}/api/runs/${ok.body.id}/policy`, 'PUT', { policy: { kind: 'off' } });
    expect(put.status).toBe(401);
  });

  it('should refuse an /ingest socket without the token and accept one with it', async () => {
    await expect(connectIngest(server.url)).rejects.toThrow(/Missing token/);
    await expect(connectIngest(server.url, 'nope')).rejects.toThrow(/Wrong token/);
    const sdk = await connectIngest(server.url, TOKEN);
    const reply = await request(sdk, 'join', { runId: 'none', rank: 0, worldSize: 1 });
    expect(reply).toEqual({ ok: false, error: expect.stringMatching(/Unknown run "none"/) });
    sdk.close();
  });

  it('should refuse to listen on a non-loopback host without a token', async () => {
    await expect(startServer({ db: ':memory:', port: 0, host: '0.0.0.0' })).rejects.toThrow(/Refusing to listen on non-loopback host "0.0.0.0" without a token/);
  });

  it('should not serve files outside the dashboard directory', async () => {
    for (const path of ['/../package.json', '/..%2fpackage.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2f..%2fpackage.json']) {
      const r = await rawGet(server.port, path);
      expect(r.body).not.toContain('"name": "gradpilot"');
    }
    const index = await rawGet(server.port, '/');
    expect(index.status).toBe(200);
  });
});
