import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type TestServer, withServer } from '../support/server.ts';
import { call, createRun } from './http-client.ts';

describe('runs API', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await withServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('should answer health', async () => {
    const r = await call(`${server.url}/api/health`);
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(true);
  });

  it('should create, list and summarize a run with its counters', async () => {
    const id = await createRun(server.url, { name: 'rnn', project: 'p', config: { lr: 0.1 } });
    await call(`${server.url}/api/runs/${id}/steps`, 'POST', {
      steps: [
        { step: 0, gradNorm: 1, action: 'apply' },
        { step: 1, gradNorm: 'NaN', action: 'skip' },
        { step: 2, gradNorm: 9, action: 'clip' },
      ],
    });
    const list = await call<any[]>(`${server.url}/api/runs`);
    expect(list.body.map((r) => r.id)).toEqual([id]);
    const one = await call(`${server.url}/api/runs/${id}`);
    expect(one.body).toMatchObject({ id, name: 'rnn', project: 'p', config: { lr: 0.1 }, steps: 3, lastStep: 2, clipped: 1, skipped: 1, nonFinite: 1 });
    expect(one.body.policy.version).toBe(1);
    expect(one.body.events).toBeGreaterThanOrEqual(2);
  });

  it('should serve the dashboard at / and 404 unknown API paths as JSON', async () => {
    const index = await fetch(`${server.url}/`);
    expect(index.status).toBe(200);
    expect(await index.text()).toContain('<');
    const unknown = await call(`${server.url}/api/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/Unknown endpoint/);
  });
});
