// DNS rebinding: a page on evil.example whose name is made to resolve to 127.0.0.1 talks
// to us as same-origin, but its requests say `Host: evil.example:<port>`. While bound to
// loopback the server answers only loopback names with its own port (and --allowed-hosts).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Socket, io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../server/start-server.ts';
import { rawRequest } from '../support/raw-request.ts';
import { type TestServer, withServer } from '../support/server.ts';

function handshake(url: string, headers: Record<string, string>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(`${url}/live`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: headers });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => {
      s.close();
      reject(err);
    });
  });
}

describe('Host header check', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await withServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should answer 421 naming the Host and the way out for any other name, on the API, the files and the socket.io handshake', async () => {
    const p = server.port;
    const refused = [`evil.example:${p}`, 'evil.example', `127.0.0.1:${p + 1}`, `localhost:${p + 1}`, 'localhost', `localhost.evil.example:${p}`, `127.0.0.1.nip.io:${p}`, `[::2]:${p}`, `0.0.0.0:${p}`, ''];
    for (const host of refused) {
      for (const url of ['/api/runs', '/api/health', '/', '/main.js', '/metrics']) {
        const r = await rawRequest(p, 'GET', url, { host });
        expect({ host, url, status: r.status }).toEqual({ host, url, status: 421 });
        const { error } = JSON.parse(r.body) as { error: string };
        expect(error).toContain(`Refused Host ${JSON.stringify(host)}: this server answers only to 127.0.0.1:${p}, localhost:${p}, [::1]:${p}`);
        expect(error).toMatch(/DNS rebinding.*--allowed-hosts .*GRADPILOT_ALLOWED_HOSTS/);
      }
    }
    const polling = await rawRequest(p, 'GET', '/socket.io/?EIO=4&transport=polling', { host: `evil.example:${p}` });
    expect(polling.status).toBe(403);
    expect(polling.body).toContain('Refused Host');
    await expect(handshake(server.url, { host: `evil.example:${p}` })).rejects.toThrow();
  });

  it('should answer loopback names with the port', async () => {
    const p = server.port;
    for (const host of [`127.0.0.1:${p}`, `localhost:${p}`, `LOCALHOST:${p}`, `[::1]:${p}`, `127.1.2.3:${p}`]) {
      expect({ host, status: (await rawRequest(p, 'GET', '/api/runs', { host })).status }).toEqual({ host, status: 200 });
    }
    (await handshake(server.url, {})).close();
  });
});

describe('--allowed-hosts', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-hosts-'));
  let server: RunningServer;

  beforeAll(async () => {
    server = await startServer({ db: path.join(dir, 'allowed.db'), port: 0, host: '127.0.0.1', allowedHosts: ['gradpilot.lan', 'box.lan:8443'] });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should answer the allowed names (any port, or the one given) besides the loopback ones', async () => {
    const p = server.port;
    const status = async (host: string) => (await rawRequest(p, 'GET', '/api/runs', { host })).status;
    expect(await status(`gradpilot.lan:${p}`)).toBe(200);
    expect(await status('gradpilot.lan')).toBe(200);
    expect(await status('box.lan:8443')).toBe(200);
    expect(await status(`box.lan:${p}`)).toBe(421);
    expect(await status(`127.0.0.1:${p}`)).toBe(200);
    expect(await status(`evil.example:${p}`)).toBe(421);
    (await handshake(server.url, { host: `gradpilot.lan:${p}` })).close();
  });

  it('should refuse a malformed entry at start, naming it', async () => {
    for (const bad of ['evil example', 'http://gradpilot.lan', 'gradpilot.lan:99999', '*.lan', '']) {
      await expect(startServer({ db: path.join(dir, 'bad.db'), port: 0, host: '127.0.0.1', allowedHosts: [bad] })).rejects.toThrow(`Expected each of "allowedHosts" to be a host name or IP with an optional port (e.g. "gradpilot.lan", "gradpilot.lan:7070", "[fd00::1]"), got ${JSON.stringify(bad)}`);
    }
  });
});
