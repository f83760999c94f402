// Stop requests reach every rank of a TS run; the script reads run.stopRequested and decides.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { init, type Run, type StopPush } from '../../sdk/index.ts';
import type { StopRequest } from '../../sdk/protocol/api-types.ts';
import { call } from '../server/http-client.ts';
import { getJson, RestartableServer, tempDir, waitFor, yieldToEventLoop } from './helpers.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ server: RestartableServer; spillDir: string }> {
  const server = new RestartableServer();
  await server.start();
  const spillDir = tempDir();
  cleanup.push(() => server.dispose(), () => rmSync(spillDir, { recursive: true, force: true }));
  return { server, spillDir };
}

async function rank(options: Parameters<typeof init>[0]): Promise<{ run: Run; told: StopPush[] }> {
  const run = await init({ flushIntervalMs: 20, quiet: true, ...options });
  cleanup.push(() => run.close({ timeoutMs: 1000 }));
  const told: StopPush[] = [];
  run.on('stop', (push) => told.push(push));
  return { run, told };
}

describe('stop requests', () => {
  it('should reach rank 0 and rank 1, once each, and be acknowledged with the step each had reached', async () => {
    const { server, spillDir } = await setup();
    const common = { url: server.url, id: 'dp-stop', name: 'dp', worldSize: 2, spillDir };
    const ranks = [await rank({ ...common, rank: 0 }), await rank({ ...common, rank: 1 })];
    await waitFor(() => ranks.every((r) => r.run.status().ready), 10_000, 'both ranks joined');
    expect(ranks.map((r) => r.run.stopRequested)).toEqual([false, false]);

    // Both ranks train until told; the request is made while they do.
    let asked: Promise<{ status: number; body: StopRequest }> | null = null;
    const stoppedAt = [-1, -1];
    for (let step = 0; step < 5000 && stoppedAt.includes(-1); step++) {
      ranks.forEach(({ run }, i) => {
        if (stoppedAt[i] >= 0) return;
        if (run.stopRequested) stoppedAt[i] = step;
        else run.observe(step, { gradNorm: 1 + (step % 3) });
      });
      if (step === 50) asked = call<StopRequest>(`${server.url}/api/runs/dp-stop/stop`, 'POST', { reason: 'loss plateaued', author: 'ana' });
      await yieldToEventLoop();
    }
    const created = await asked!;
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ runId: 'dp-stop', author: 'ana', reason: 'loss plateaued', clearedAt: null, acks: [] });
    expect(stoppedAt.every((s) => s > 50)).toBe(true);
    for (const { run, told } of ranks) {
      expect(told).toEqual([{ runId: 'dp-stop', id: created.body.id, author: 'ana', reason: 'loss plateaued', createdAt: created.body.createdAt }]);
      expect(run.stopRequest).toEqual(told[0]);
    }

    await waitFor(async () => (await getJson<StopRequest[]>(`${server.url}/api/runs/dp-stop/stop`))[0].acks.length === 2, 10_000, 'two acks');
    const [stored] = await getJson<StopRequest[]>(`${server.url}/api/runs/dp-stop/stop`);
    expect(stored.acks.map((a) => a.rank)).toEqual([0, 1]);
    stored.acks.forEach((a, i) => expect(a.step).toBe(stoppedAt[i] - 1)); // told after its last observed step

    // A restart tells both ranks again in the join answer: still one 'stop' event each.
    await server.stop();
    await waitFor(() => ranks.every((r) => !r.run.status().connected), 10_000, 'both ranks disconnected');
    await server.start();
    await waitFor(() => ranks.every((r) => r.run.status().ready && r.run.status().connected), 15_000, 'both ranks back');
    await new Promise((r) => setTimeout(r, 100));
    expect(ranks.map((r) => r.told.length)).toEqual([1, 1]);
  });

  it('should tell a rank that joins after the request, and not a process that resumes the run', async () => {
    const { server, spillDir } = await setup();
    const first = await rank({ url: server.url, id: 'late', name: 'late', spillDir });
    await waitFor(() => first.run.status().ready, 10_000, 'joined');
    for (let step = 0; step < 10; step++) first.run.observe(step, { gradNorm: 1 });
    await first.run.flush({ timeoutMs: 5000 });
    const created = await call<StopRequest>(`${server.url}/api/runs/late/stop`, 'POST', {});
    expect(created.body).toMatchObject({ author: 'api', reason: null });
    await waitFor(() => first.run.stopRequested, 10_000, 'rank 0 told');

    const late = await rank({ url: server.url, id: 'late', name: 'late', rank: 1, worldSize: 2, spillDir });
    await waitFor(() => late.run.stopRequested, 10_000, 'the late rank told by its join');
    expect(late.told.map((t) => t.id)).toEqual([created.body.id]);
    await first.run.close();

    const resumed = await rank({ url: server.url, resume: 'late', name: 'late', spillDir });
    await waitFor(() => resumed.run.status().ready, 10_000, 'resumed');
    await new Promise((r) => setTimeout(r, 100));
    expect(resumed.run.stopRequested).toBe(false);
    expect(resumed.told).toEqual([]);
    const [stored] = await getJson<StopRequest[]>(`${server.url}/api/runs/late/stop`);
    expect(stored.clearedAt).not.toBeNull();
  });
});
