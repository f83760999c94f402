// Server-driven policy: a change made through the API reaches every rank of a run, and they
// all switch at the same step.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { init, type Decision, type Run } from '../../sdk/index.ts';
import type { PolicyVersion } from '../../sdk/protocol/api-types.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { policyOf, putJson, sleep, tempDir, waitFor, yieldToEventLoop } from './helpers.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ server: TestServer; spillDir: string }> {
  const server = await withServer();
  const spillDir = tempDir();
  cleanup.push(() => server.close(), () => rmSync(spillDir, { recursive: true, force: true }));
  return { server, spillDir };
}

describe('policy pushes', () => {
  it('should switch rank 0 and rank 1 of one run at the same step, and both acknowledge it', async () => {
    const { server, spillDir } = await setup();
    const common = {
      url: server.url, id: 'data-parallel', name: 'dp', worldSize: 2, policy: { kind: 'percentile', p: 50, maxNorm: 10 } as const,
      batchSize: 4, flushIntervalMs: 20, spillDir,
    };
    const ranks: Run[] = [await init({ ...common, rank: 0 }), await init({ ...common, rank: 1 })];
    for (const r of ranks) cleanup.push(() => r.close({ timeoutMs: 1000 }));
    await waitFor(() => ranks.every((r) => r.status().ready), 10_000, 'both ranks joined');

    const decisions: Decision[][] = [[], []];
    const stepAll = (s: number): void => ranks.forEach((r, i) => decisions[i].push(r.observe(s, { gradNorm: 5 })));
    for (let s = 0; s < 20; s++) stepAll(s);
    await ranks[0].flush({ timeoutMs: 5000 });

    const put = await putJson<PolicyVersion>(`${server.url}/api/runs/data-parallel/policy`, {
      policy: { kind: 'percentile', p: 50, maxNorm: 1 }, effectiveStep: 30,
    });
    expect(put.effectiveStep).toBe(30);
    await waitFor(() => ranks.every((r) => r.status().pendingPolicyVersions.includes(put.version)), 10_000, 'the push');
    for (let s = 20; s < 40; s++) {
      stepAll(s);
      await yieldToEventLoop();
    }
    for (const d of decisions) {
      expect(d[29]).toMatchObject({ threshold: 5, action: 'apply' });
      expect(d[30]).toMatchObject({ threshold: 1, action: 'clip' });
    }
    expect(ranks.map((r) => r.policyVersion)).toEqual([put.version, put.version]);
    await waitFor(async () => (await policyOf(server.url, 'data-parallel')).acks.length === 2, 10_000, 'two acks');
    const acks = (await policyOf(server.url, 'data-parallel')).acks.sort((a, b) => a.rank - b.rank);
    expect(acks).toEqual([
      expect.objectContaining({ rank: 0, appliedAtStep: 30, late: false }),
      expect.objectContaining({ rank: 1, appliedAtStep: 30, late: false }),
    ]);
  });

  it('should switch both ranks at one step with the server\'s default effectiveStep while they train', async () => {
    const { server, spillDir } = await setup();
    // The SDK's default batching (256 steps or 1 s): the stored history lags the ranks.
    const common = { url: server.url, id: 'dp-default', name: 'dp', worldSize: 2, policy: { kind: 'fixed', maxNorm: 10 } as const, spillDir };
    const ranks: Run[] = [await init({ ...common, rank: 0 }), await init({ ...common, rank: 1 })];
    for (const r of ranks) cleanup.push(() => r.close({ timeoutMs: 1000 }));
    await waitFor(() => ranks.every((r) => r.status().ready), 10_000, 'both ranks joined');

    let put: Promise<PolicyVersion> | undefined;
    const switchedAt = [-1, -1];
    for (let s = 0; s < 2000 && switchedAt.includes(-1); s++) {
      ranks.forEach((r, i) => {
        const d = r.observe(s, { gradNorm: 5 });
        if (d.threshold === 1 && switchedAt[i] < 0) switchedAt[i] = s;
      });
      if (s === 400) put = putJson<PolicyVersion>(`${server.url}/api/runs/dp-default/policy`, { kind: 'fixed', maxNorm: 1 });
      await sleep(2); // a training step's worth of time, so the ranks keep stepping while the PUT travels
    }
    const version = await put!;
    expect(version.effectiveStep).toBeGreaterThan(400);
    expect(switchedAt).toEqual([version.effectiveStep, version.effectiveStep]);
    await waitFor(async () => (await policyOf(server.url, 'dp-default')).acks.length === 2, 10_000, 'two acks');
    for (const ack of (await policyOf(server.url, 'dp-default')).acks) expect(ack).toMatchObject({ appliedAtStep: version.effectiveStep, late: false });
  });

  it('should apply a push that arrives after its effectiveStep at once and acknowledge it as late', async () => {
    const { server, spillDir } = await setup();
    // Batches go out only on flush(), so the server's last step stays where the test wants it.
    const run = await init({
      url: server.url, name: 'late-push', policy: { kind: 'percentile', p: 50, maxNorm: 10 }, batchSize: 1000,
      flushIntervalMs: 60_000, spillDir,
    });
    cleanup.push(() => run.close({ timeoutMs: 1000 }));
    await waitFor(() => run.status().ready, 10_000, 'joined');
    for (let s = 0; s < 8; s++) run.observe(s, { gradNorm: 5 });
    await run.flush({ timeoutMs: 5000 });
    // The server's last step is 7; the SDK runs ahead to step 40 before the push lands.
    for (let s = 8; s <= 40; s++) run.observe(s, { gradNorm: 5 });
    const put = await putJson<PolicyVersion>(`${server.url}/api/runs/${run.id}/policy`, { policy: { kind: 'percentile', p: 50, maxNorm: 1 }, effectiveStep: 12 });
    await waitFor(() => run.policyVersion === put.version, 10_000, 'the late push');
    expect(run.observe(41, { gradNorm: 5 })).toMatchObject({ threshold: 1, action: 'clip' });
    await waitFor(async () => (await policyOf(server.url, run.id)).acks.length === 1, 10_000, 'the ack');
    expect((await policyOf(server.url, run.id)).acks[0]).toMatchObject({ rank: 0, appliedAtStep: 41, late: true });
  });
});
