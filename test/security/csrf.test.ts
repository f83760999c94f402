// No web page can write to a server without a token (the default): a cross-site form or a
// text/plain fetch is a "simple" request the browser sends without asking, so every write
// must be application/json (415 otherwise), and a request naming a foreign page in its
// Origin is refused (403). SDKs and curl send no Origin; the dashboard sends its own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-request.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { snapshotStore } from '../support/store-snapshot.ts';

const RUN = 'victim';
const JSON_TYPE = { 'content-type': 'application/json' };

describe('cross-site writes', () => {
  let server: TestServer;
  let writes: [method: string, path: string, body: string][];

  beforeAll(async () => {
    server = await withServer();
    const created = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ id: RUN, name: 'victim' }) });
    expect(created.status).toBe(201);
    const steps = Array.from({ length: 20 }, (_, step) => ({ step, gradNorm: 1 + step }));
    expect((await fetch(`${server.url}/api/runs/${RUN}/steps`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ steps }) })).status).toBe(200);
    writes = [
      ['POST', '/api/runs', JSON.stringify({ name: 'planted' })],
      ['POST', `/api/runs/${RUN}/steps`, JSON.stringify({ steps: [{ step: 100, gradNorm: 1e9 }] })],
      // The attack that was seen: a page supersedes every stored step of a run.
      ['POST', `/api/runs/${RUN}/resume`, JSON.stringify({ fromStep: 0 })],
      ['PUT', `/api/runs/${RUN}/policy`, JSON.stringify({ kind: 'off' })],
      ['POST', `/api/runs/${RUN}/replay`, JSON.stringify({ policy: { kind: 'off' } })],
      ['POST', `/api/runs/${RUN}/finish`, ''],
      ['DELETE', `/api/runs/${RUN}`, ''],
      ['PATCH', `/api/runs/${RUN}`, JSON.stringify({ name: 'renamed' })],
    ];
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should answer a write that is not application/json with 415 naming the header, changing nothing', async () => {
    const before = snapshotStore(server.dbPath);
    // What a form or a no-preflight fetch can send, and nothing at all (a bodiless POST).
    const types = ['text/plain', 'text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', undefined];
    for (const [method, path, body] of writes) {
      for (const type of types) {
        // A raw request: fetch would add text/plain to a body sent without a type.
        const res = await rawRequest(server.port, method, path, type === undefined ? {} : { 'content-type': type }, body);
        const reply = JSON.parse(res.body) as { error: string };
        expect({ method, path, type, status: res.status }).toEqual({ method, path, type, status: 415 });
        expect(reply.error).toContain('Expected "Content-Type: application/json"');
        expect(reply.error).toContain(type === undefined ? 'got no Content-Type' : `got Content-Type "${type}"`);
      }
    }
    expect(snapshotStore(server.dbPath)).toEqual(before);
  });

  it('should refuse any request whose Origin is another page with 403 naming it, changing nothing', async () => {
    const before = snapshotStore(server.dbPath);
    const foreign = ['http://evil.example', 'https://evil.example', 'null', `http://127.0.0.1:${server.port + 1}`, `http://localhost:${server.port}.evil.example`, 'file://', 'not a url'];
    for (const origin of foreign) {
      for (const [method, path, body] of [...writes, ['GET', '/api/runs', ''] as [string, string, string], ['GET', `/api/runs/${RUN}/export.csv`, ''] as [string, string, string]]) {
        const res = await fetch(server.url + path, { method, headers: { ...JSON_TYPE, origin }, body: method === 'GET' ? undefined : body });
        const reply = (await res.json()) as { error: string };
        expect({ origin, method, path, status: res.status }).toEqual({ origin, method, path, status: 403 });
        expect(reply.error).toContain(`Refused a request from the web page at ${JSON.stringify(origin)}`);
      }
    }
    expect(snapshotStore(server.dbPath)).toEqual(before);
  });

  it('should accept JSON writes with no Origin (SDKs, curl) and from the dashboard itself', async () => {
    const noOrigin = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: JSON_TYPE, body: JSON.stringify({ name: 'sdk' }) });
    expect(noOrigin.status).toBe(201);
    for (const origin of [server.url, `http://localhost:${server.port}`]) {
      // Host and Origin agree: the page was served by this very server under that name.
      const host = new URL(origin).host;
      const res = await rawRequest(server.port, 'POST', '/api/runs', { ...JSON_TYPE, origin, host }, JSON.stringify({ name: 'dashboard' }));
      expect({ origin, status: res.status }).toEqual({ origin, status: 201 });
    }
    const bodiless = await fetch(`${server.url}/api/runs/${RUN}/finish`, { method: 'POST', headers: { ...JSON_TYPE, origin: server.url } });
    expect(bodiless.status).toBe(200);
    const charset = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'Application/JSON; charset=utf-8' }, body: JSON.stringify({ name: 'charset' }) });
    expect(charset.status).toBe(201);
  });
});
