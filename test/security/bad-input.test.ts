// Hundreds of generated malformed inputs over HTTP and both socket namespaces: each is
// answered 4xx (or an error ack / a refused connection) that names the problem, the server
// stays up, and the store is byte-for-byte what it was (row counts and a checksum of all tables).
import { type Socket, io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, withServer } from '../support/server.ts';
import { snapshotStore } from '../support/store-snapshot.ts';
import { type ConnectCase, type HttpCase, type MalformedCase, type SocketCase, malformedCases } from './malformed-inputs.ts';

const TOKEN = 's3cret-Token';
const RUN = 'target-run';

interface Failure {
  name: string;
  got: string;
}

async function sendHttp(base: string, c: HttpCase): Promise<Failure | null> {
  const res = await fetch(base + c.path, { method: c.method, headers: c.headers, body: c.body });
  const text = await res.text();
  let error: unknown;
  try {
    error = (JSON.parse(text) as { error?: unknown }).error;
  } catch {
    error = undefined;
  }
  const statusOk = c.status === undefined ? res.status >= 400 && res.status < 500 : res.status === c.status;
  if (statusOk && typeof error === 'string' && c.expect.test(error)) return null;
  return { name: c.name, got: `${res.status} ${text.slice(0, 300)}` };
}

function connect(url: string, namespace: string, auth: Record<string, unknown>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(url + namespace, { transports: ['websocket'], reconnection: false, auth, forceNew: true });
    s.once('connect', () => resolve(s));
    s.once('connect_error', (err) => {
      s.close();
      reject(err);
    });
  });
}

async function sendSocket(socket: Socket, c: SocketCase): Promise<Failure | null> {
  let reply: { ok: boolean; error?: string };
  try {
    reply = (await socket.timeout(10_000).emitWithAck(c.event, c.payload)) as typeof reply;
  } catch (err) {
    return { name: c.name, got: `no ack: ${(err as Error).message}` };
  }
  if (!reply.ok && typeof reply.error === 'string' && c.expect.test(reply.error)) return null;
  return { name: c.name, got: JSON.stringify(reply).slice(0, 300) };
}

async function sendConnect(url: string, c: ConnectCase): Promise<Failure | null> {
  try {
    const s = await connect(url, '/ingest', c.auth);
    s.close();
    return { name: c.name, got: 'connected' };
  } catch (err) {
    const message = (err as Error).message;
    return c.expect.test(message) ? null : { name: c.name, got: message };
  }
}

async function post(base: string, path: string, body: unknown, method = 'POST'): Promise<Response> {
  return fetch(base + path, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('malformed input', () => {
  let server: TestServer;
  let cases: MalformedCase[];

  beforeAll(async () => {
    server = await withServer({ token: TOKEN });
    expect((await post(server.url, '/api/runs', { id: RUN, name: 'target', policy: { kind: 'percentile', p: 10 } })).status).toBe(201);
    const steps = Array.from({ length: 300 }, (_, step) => ({
      step, gradNorm: step === 150 ? 'NaN' : 1 + (step % 13) / 10, loss: 1 / (step + 1), action: 'apply', layers: { a: 0.5, b: 0.25 },
    }));
    expect((await post(server.url, `/api/runs/${RUN}/steps`, { steps })).status).toBe(200);
    expect((await post(server.url, `/api/runs/${RUN}/policy`, { kind: 'zscore' }, 'PUT')).status).toBe(200);
    cases = malformedCases({ runId: RUN, token: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should answer at least 200 malformed inputs with a 4xx or error ack naming the problem, and change nothing', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(200);
    expect(cases.filter((c) => c.kind !== 'http').length).toBeGreaterThanOrEqual(60);
    const before = snapshotStore(server.dbPath);
    expect(before.counts.steps).toBe(300);

    const ingest = await connect(server.url, '/ingest', { token: TOKEN });
    const live = await connect(server.url, '/live', { token: TOKEN });
    const failures: Failure[] = [];
    try {
      for (const c of cases) {
        let f: Failure | null;
        if (c.kind === 'http') f = await sendHttp(server.url, c);
        else if (c.kind === 'connect') f = await sendConnect(server.url, c);
        else f = await sendSocket(c.namespace === '/ingest' ? ingest : live, c);
        if (f) failures.push(f);
      }
      expect(failures).toEqual([]);
      expect(ingest.connected).toBe(true);
    } finally {
      ingest.close();
      live.close();
    }

    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(200);
    const after = snapshotStore(server.dbPath);
    expect(after.counts).toEqual(before.counts);
    expect(after.checksum).toBe(before.checksum);

    // The checksum does notice a change: one valid step moves it.
    expect((await post(server.url, `/api/runs/${RUN}/steps`, { steps: [{ step: 9_000_000, gradNorm: 1 }] })).status).toBe(200);
    expect(snapshotStore(server.dbPath).checksum).not.toBe(before.checksum);
  }, 120_000);
});
