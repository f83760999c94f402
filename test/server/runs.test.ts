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

  it('should list runs newest first, a page at a time, without their configs', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i++) ids.push(await createRun(server.url, { name: `run ${i}`, config: { i, blob: 'x'.repeat(1000) } }));
    const pages: string[][] = [];
    let next: string | null = null;
    do {
      const res: Response = await fetch(`${server.url}/api/runs?limit=3${next === null ? '' : `&cursor=${next}`}`);
      expect(res.status).toBe(200);
      const runs = (await res.json()) as { id: string; config?: unknown }[];
      expect(runs.every((r) => !('config' in r))).toBe(true);
      pages.push(runs.map((r) => r.id));
      next = res.headers.get('x-next-cursor');
      if (next !== null) expect(res.headers.get('link')).toBe(`</api/runs?limit=3&cursor=${next}>; rel="next"`);
    } while (next !== null);
    const newest = [...ids].reverse();
    expect(pages).toEqual([newest.slice(0, 3), newest.slice(3, 6), newest.slice(6)]);
    // Without parameters: the first 1000, newest first; the single run still has its config.
    expect((await call<{ id: string }[]>(`${server.url}/api/runs`)).body.map((r) => r.id)).toEqual(newest);
    expect((await call(`${server.url}/api/runs/${ids[2]}`)).body.config).toEqual({ i: 2, blob: 'x'.repeat(1000) });
    const projectRun = await createRun(server.url, { name: 'in p', project: 'p' });
    expect((await call<{ id: string }[]>(`${server.url}/api/runs?project=p`)).body.map((r) => r.id)).toEqual([projectRun]);
    expect((await call(`${server.url}/api/projects`)).body).toEqual(['p']);
    // Search: name, project or id contains q (case-insensitive), with the project filter and paging.
    const search = async (query: string) => (await call<{ id: string }[]>(`${server.url}/api/runs?${query}`)).body.map((r) => r.id);
    expect(await search('q=IN%20P')).toEqual([projectRun]);
    expect(await search(`q=${ids[4].slice(2, 9)}`)).toEqual([ids[4]]);
    expect(await search('q=p&project=p')).toEqual([projectRun]);
    expect(await search('q=%25')).toEqual([]);
    const paged = await fetch(`${server.url}/api/runs?q=run&limit=2`);
    expect(paged.headers.get('link')).toMatch(/&q=run>; rel="next"$/);
    expect((await call(`${server.url}/api/runs?q=${'x'.repeat(201)}`)).status).toBe(400);
    for (const bad of ['limit=0', 'limit=5001', 'limit=abc', 'cursor=-1', 'cursor=abc']) {
      const res = await call(`${server.url}/api/runs?${bad}`);
      expect(res.status, bad).toBe(400);
      expect(String(res.body.error), bad).toMatch(/"(limit|cursor)"/);
    }
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
