// Static serving stays inside the dashboard's directory: traversal with "..", encoded dots,
// encoded slashes and backslashes, double encoding and NUL bytes never reach a file outside.
import http from 'node:http';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLIENT_DIR, type RunningServer, startServer } from '../../server/start-server.ts';

const SECRET = 'TOP-SECRET-5e1f';
const INDEX = '<!doctype html><title>dash</title>';

/** A raw GET: the path goes on the wire exactly as written (fetch would normalise "..").  */
function rawGet(port: number, rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: rawPath }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const TRAVERSALS = [
  '/../secret.txt', '/..%2fsecret.txt', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/%2E%2E/secret.txt',
  '/.%2e/secret.txt', '/%2e./secret.txt', '/%252e%252e/secret.txt', '/%252e%252e%252fsecret.txt',
  '/assets/../../secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/..\\secret.txt', '/..%5csecret.txt', '/%5c..%5csecret.txt',
  '//../secret.txt', '/index.html/../../secret.txt', '/secret.txt%00.html', '/..%00/secret.txt', '/..;/secret.txt',
  '/%c0%ae%c0%ae/secret.txt', '/..%c0%afsecret.txt', '/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd', '/../../../../../../etc/passwd',
  '/..%2f..%2f..%2f..%2f..%2fetc%2fpasswd', '//etc/passwd', '/%2fetc%2fpasswd', '/public/../secret.txt', '/./../secret.txt',
];

describe('static file serving', () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-static-'));
    const dist = path.join(dir, 'dist');
    mkdirSync(path.join(dist, 'assets'), { recursive: true });
    writeFileSync(path.join(dist, 'index.html'), INDEX);
    writeFileSync(path.join(dist, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(path.join(dir, 'secret.txt'), SECRET);
    writeFileSync(path.join(dir, 'dist-secret.txt'), SECRET); // a sibling whose name starts like the root
    server = await startServer({ db: path.join(dir, 'x.db'), port: 0, host: '127.0.0.1', clientDir: dist });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should serve files inside the dashboard directory', async () => {
    expect(await rawGet(server.port, '/assets/app.js')).toEqual({ status: 200, body: 'console.log(1)' });
    expect((await rawGet(server.port, '/')).body).toBe(INDEX);
  });

  it('should never serve a file outside it', async () => {
    const leaks: string[] = [];
    for (const p of [...TRAVERSALS, '/../dist-secret.txt', '/%2e%2e/dist-secret.txt']) {
      const r = await rawGet(server.port, p);
      const leaked = r.body.includes(SECRET) || r.body.includes('root:x:0:0');
      // Either refused, or the dashboard's own index.html (the client-side router's fallback).
      const fine = !leaked && (r.status >= 400 ? r.status < 500 : r.status === 200 && r.body === INDEX);
      if (!fine) leaks.push(`${p} -> ${r.status} ${r.body.slice(0, 80)}`);
    }
    expect(leaks).toEqual([]);
  });

  it('should not expose the repository (package.json) through the default dashboard directory', async () => {
    const real = await startServer({ db: path.join(dir, 'y.db'), port: 0, host: '127.0.0.1' });
    const realIndex = readFileSync(path.join(DEFAULT_CLIENT_DIR, 'index.html'), 'utf8');
    try {
      for (const p of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/../../package.json', '/%2e%2e/server/app.ts', '/../.git/config']) {
        const r = await rawGet(real.port, p);
        expect({ p, leaked: r.body.includes('"name": "gradpilot"') || r.body.includes('createApp') || r.body.includes('[core]') }).toEqual({ p, leaked: false });
        // Refused, or the dashboard's index.html for an extension-less path (client-side routing).
        expect({ p, ok: r.status >= 400 || (r.status === 200 && r.body === realIndex) }).toEqual({ p, ok: true });
      }
    } finally {
      await real.close();
    }
  });
});
