// What one client may cost the server: a run's config and layer names are capped, a request
// that stops mid-body is cut off, and replays over stored history take turns (503 +
// Retry-After beyond a short queue) so that ingest keeps its latency.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_LAYERS } from '../../sdk/protocol/validate.ts';
import { ReplayQueue } from '../../server/policy/replay-queue.ts';
import { MAX_CONFIG_BYTES } from '../../server/routes/runs-routes.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { snapshotStore } from '../support/store-snapshot.ts';

function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('per-run budgets', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await withServer({ requestTimeoutMs: 1500 });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should refuse a config over MAX_CONFIG_BYTES with 413 naming the limit, and create nothing', async () => {
    const before = snapshotStore(server.dbPath);
    const res = await postJson(`${server.url}/api/runs`, { id: 'big-config', name: 'x', config: { blob: 'x'.repeat(MAX_CONFIG_BYTES) } });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(new RegExp(`"config" is \\d+ bytes of JSON; at most ${MAX_CONFIG_BYTES}`));
    expect(snapshotStore(server.dbPath)).toEqual(before);
    const fits = await postJson(`${server.url}/api/runs`, { id: 'fits', name: 'x', config: { blob: 'x'.repeat(MAX_CONFIG_BYTES - 20) } });
    expect(fits.status).toBe(201);
  });

  it('should cap layer names per run, not per batch', async () => {
    expect((await postJson(`${server.url}/api/runs`, { id: 'layers', name: 'layers' })).status).toBe(201);
    const url = `${server.url}/api/runs/layers/steps`;
    const names = (from: number, n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`layer${from + i}`, 1]));
    expect((await postJson(url, { steps: [{ step: 0, gradNorm: 1, layers: names(0, MAX_LAYERS - 1) }] })).status).toBe(200);
    // The last free name, with names already known: fine.
    expect((await postJson(url, { steps: [{ step: 1, gradNorm: 1, layers: names(MAX_LAYERS - 2, 2) }] })).status).toBe(200);
    const before = snapshotStore(server.dbPath);
    const over = await postJson(url, { steps: [{ step: 2, gradNorm: 1, layers: names(MAX_LAYERS, 1) }] });
    expect(over.status).toBe(400);
    expect((await over.json()).error).toBe(`Too many layer names for this run: it has ${MAX_LAYERS} and the batch adds 1; at most ${MAX_LAYERS} per run`);
    expect(snapshotStore(server.dbPath)).toEqual(before);
    expect((await postJson(url, { steps: [{ step: 2, gradNorm: 1, layers: names(0, 3) }] })).status).toBe(200);
  });

  it('should close a request whose body stops coming within the request timeout', async () => {
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      const sock = net.connect(server.port, '127.0.0.1', () => {
        sock.write(`POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"name":`);
      });
      let got = '';
      sock.on('data', (d: Buffer) => (got += d.toString()));
      sock.on('close', () => resolve(got));
      sock.on('error', () => resolve(got));
    });
    const waited = Date.now() - started;
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
    expect(waited).toBeGreaterThanOrEqual(1400);
    expect(waited).toBeLessThan(10_000);
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
  });
});

describe('replays over stored history', () => {
  it('should run one at a time, hand the slot over in order, and refuse HTTP reads beyond a full queue', async () => {
    const queue = new ReplayQueue({ concurrency: 1, maxWaiting: 2 });
    const order: string[] = [];
    const gates = new Map<string, () => void>();
    const task = (name: string) => () => new Promise<string>((resolve) => {
      order.push(`start ${name}`);
      gates.set(name, () => resolve(name));
    });
    const a = queue.run(task('a'), { mayRefuse: true });
    const b = queue.run(task('b'), { mayRefuse: true });
    const c = queue.run(task('c'), { mayRefuse: true });
    await expect(queue.run(task('d'), { mayRefuse: true })).rejects.toMatchObject({ status: 503, retryAfterSeconds: 2 });
    const resume = queue.run(task('resume'), { mayRefuse: false }); // an SDK's resume always waits
    expect({ running: queue.running, waiting: queue.waiting }).toEqual({ running: 1, waiting: 3 });
    for (const name of ['a', 'b', 'c', 'resume']) {
      await new Promise((r) => setImmediate(r));
      expect(order.at(-1)).toBe(`start ${name}`);
      expect(queue.running).toBe(1);
      gates.get(name)!();
    }
    expect(await Promise.all([a, b, c, resume])).toEqual(['a', 'b', 'c', 'resume']);
    expect({ running: queue.running, waiting: queue.waiting }).toEqual({ running: 0, waiting: 0 });
  });

  it('should answer 16 concurrent state reads of a long run with 200 or 503 + Retry-After, never anything else', async () => {
    const server = await withServer();
    try {
      expect((await postJson(`${server.url}/api/runs`, { id: 'long', name: 'long' })).status).toBe(201);
      for (let from = 0; from < 60_000; from += 20_000) {
        const steps = Array.from({ length: 20_000 }, (_, i) => ({ step: from + i, gradNorm: 1 + ((from + i) % 97) / 10 }));
        expect((await postJson(`${server.url}/api/runs/long/steps`, { steps })).status).toBe(200);
      }
      const answers = await Promise.all(Array.from({ length: 16 }, (_, k) => fetch(`${server.url}/api/runs/long/state?after=${50_000 + k}`)));
      const statuses = answers.map((r) => r.status);
      expect(statuses.every((s) => s === 200 || s === 503), String(statuses)).toBe(true);
      expect(statuses).toContain(503);
      for (const [k, r] of answers.entries()) {
        const body = (await r.json()) as { fromStep?: number; error?: string };
        if (r.status === 503) {
          expect(r.headers.get('retry-after')).toBe('2');
          expect(body.error).toMatch(/busy replaying runs/);
        } else {
          expect(body.fromStep).toBe(50_000 + k);
        }
      }
    } finally {
      await server.close();
    }
  });
});
