// With GRADPILOT_TOKEN set, every write path and every read path (runs with their configs,
// the CSV export, /metrics, the resume state, the /live socket) refuses a missing or wrong
// token and accepts the right one (so the refusals are about the token). `publicReads` opens
// the reads and nothing else.
import { type Socket, io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, withServer } from '../support/server.ts';
import { snapshotStore } from '../support/store-snapshot.ts';

const TOKEN = 'tok-7f3a9c';
const RUN = 'guarded';

function connect(url: string, opts: { auth?: Record<string, unknown>; extraHeaders?: Record<string, string> }, namespace = '/ingest'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(url + namespace, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => {
      s.close();
      reject(err);
    });
  });
}

describe('token auth on every write path', () => {
  let server: TestServer;
  const authed = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

  beforeAll(async () => {
    server = await withServer({ token: TOKEN });
    const res = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: authed, body: JSON.stringify({ id: RUN, name: 'guarded' }) });
    expect(res.status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  const writes: [string, string, unknown][] = [
    ['POST', '/api/runs', { name: 'intruder' }],
    ['POST', `/api/runs/${RUN}/steps`, { steps: [{ step: 1, gradNorm: 1 }] }],
    ['PUT', `/api/runs/${RUN}/policy`, { kind: 'fixed', maxNorm: 1 }],
    ['POST', `/api/runs/${RUN}/replay`, { policy: { kind: 'off' } }],
    ['POST', `/api/runs/${RUN}/resume`, { fromStep: 0 }],
    ['POST', `/api/runs/${RUN}/finish`, {}],
    // Methods and paths without a route still need the token first: nothing is writable unauthenticated.
    ['DELETE', `/api/runs/${RUN}`, {}],
    ['PATCH', `/api/runs/${RUN}`, { name: 'renamed' }],
  ];
  const reads = [
    '/api/runs', `/api/runs/${RUN}`, `/api/runs/${RUN}/steps`, `/api/runs/${RUN}/layers`, `/api/runs/${RUN}/events`,
    `/api/runs/${RUN}/policy`, `/api/runs/${RUN}/policy/history`, `/api/runs/${RUN}/state`, `/api/runs/${RUN}/export.csv`, '/metrics',
  ];

  it('should refuse each HTTP write without a token or with a wrong one, changing nothing', async () => {
    const before = snapshotStore(server.dbPath);
    for (const [method, path, body] of writes) {
      for (const headers of <Record<string, string>[]>[{}, { authorization: 'Bearer nope' }, { authorization: `Bearer ${TOKEN.toUpperCase()}` }, { authorization: `Basic ${TOKEN}` }, { 'x-token': TOKEN }]) {
        const res = await fetch(server.url + path, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
        const reply = (await res.json()) as { error: string };
        expect({ method, path, headers, status: res.status }).toEqual({ method, path, headers, status: 401 });
        expect(reply.error).toMatch(/token/i);
      }
    }
    // A token in the query string is not a token.
    const q = await fetch(`${server.url}/api/runs?token=${TOKEN}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"q"}' });
    expect(q.status).toBe(401);
    expect(snapshotStore(server.dbPath)).toEqual(before);
  });

  it('should accept the right token on each HTTP write path', async () => {
    for (const [method, path, body] of writes) {
      const res = await fetch(server.url + path, { method, headers: authed, body: JSON.stringify(body) });
      expect({ method, path, status: res.status === 401 }).toEqual({ method, path, status: false });
    }
  });

  it('should refuse each read without the right token, saying how to open reads, and answer it with the token', async () => {
    for (const path of reads) {
      for (const headers of <Record<string, string>[]>[{}, { authorization: 'Bearer nope' }]) {
        const res = await fetch(server.url + path, { headers });
        const reply = (await res.json()) as { error: string };
        expect({ path, headers, status: res.status }).toEqual({ path, headers, status: 401 });
        expect(reply.error).toMatch(headers.authorization ? /Wrong token/ : /for reads too \(start it with --public-reads to open them\)/);
      }
      const ok = await fetch(server.url + path, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect({ path, status: ok.status }).toEqual({ path, status: 200 });
    }
    // The SDK's probe tells "no gradpilot here" from "refused" with it: it stays open.
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });

  it('should refuse /live without the right token and accept it by header or auth', async () => {
    for (const opts of [{}, { auth: { token: 'nope' } }, { extraHeaders: { authorization: 'Bearer nope' } }]) {
      await expect(connect(server.url, opts, '/live')).rejects.toThrow(/token/i);
    }
    for (const opts of [{ auth: { token: TOKEN } }, { extraHeaders: { authorization: `Bearer ${TOKEN}` } }]) {
      const live = await connect(server.url, opts, '/live');
      const sub = (await live.timeout(5000).emitWithAck('subscribe', { runId: RUN })) as { ok: boolean };
      expect(sub.ok).toBe(true);
      live.close();
    }
  });

  it('should refuse /ingest connections without the right token and accept it by auth or header', async () => {
    for (const auth of [{}, { token: 'nope' }, { token: '' }, { token: TOKEN + ' ' }, { token: 42 }]) {
      await expect(connect(server.url, { auth })).rejects.toThrow(/token/i);
    }
    await expect(connect(server.url, { extraHeaders: { authorization: 'Bearer nope' } })).rejects.toThrow(/token/i);

    const byAuth = await connect(server.url, { auth: { token: TOKEN } });
    const reply = (await byAuth.timeout(5000).emitWithAck('steps', { runId: RUN, seq: 0, step: [100], gradNorm: [2] })) as { ok: boolean };
    expect(reply.ok).toBe(true);
    byAuth.close();
    const byHeader = await connect(server.url, { extraHeaders: { authorization: `Bearer ${TOKEN}` } });
    expect(byHeader.connected).toBe(true);
    byHeader.close();
  });

  it('should ignore write events sent to the read-only /live namespace', async () => {
    const before = snapshotStore(server.dbPath);
    const live = await connect(server.url, { auth: { token: TOKEN } }, '/live');
    for (const event of ['steps', 'join', 'policyAck', 'resume']) {
      live.emit(event, { runId: RUN, seq: 1, step: [200], gradNorm: [3], fromStep: 0, version: 1, rank: 0, appliedAtStep: 0, late: false });
    }
    // A round trip on the same socket: everything sent before it has been handled.
    const sub = (await live.timeout(5000).emitWithAck('subscribe', { runId: RUN })) as { ok: boolean };
    expect(sub.ok).toBe(true);
    live.close();
    expect(snapshotStore(server.dbPath)).toEqual(before);
  });
});

describe('token with public reads', () => {
  let server: TestServer;
  const authed = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };

  beforeAll(async () => {
    server = await withServer({ token: TOKEN, publicReads: true });
    expect((await fetch(`${server.url}/api/runs`, { method: 'POST', headers: authed, body: JSON.stringify({ id: RUN, name: 'open' }) })).status).toBe(201);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should answer reads and /live without a token and still refuse writes without it', async () => {
    for (const path of ['/api/runs', `/api/runs/${RUN}/export.csv`, `/api/runs/${RUN}/state`, '/metrics']) {
      expect({ path, status: (await fetch(server.url + path)).status }).toEqual({ path, status: 200 });
    }
    const live = await connect(server.url, {}, '/live');
    live.close();
    const write = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x"}' });
    expect(write.status).toBe(401);
    await expect(connect(server.url, {})).rejects.toThrow(/token/i);
  });
});
