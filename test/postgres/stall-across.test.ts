// Stall alerts with two servers on one PostgreSQL database: a run whose batches move from A to
// B (an SDK that failed over, a load balancer) has not stalled, though A hears nothing more of
// it; once no server gets its steps, it has.
import { afterEach, describe, expect, it } from 'vitest';
import type { WireStep } from '../../sdk/protocol/api-types.ts';
import { type RunningServer, startServer } from '../../server/start-server.ts';
import { createTestDatabase } from '../support/test-database.ts';
import { startWebhookReceiver } from '../support/webhook-receiver.ts';
import { call, createRun } from '../server/http-client.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// As in test/server/alerts.test.ts: 1.5 s of silence against a batch every ~100 ms, so a
// loaded machine's pauses between two batches do not count as a stall.
const STALL_MS = 1500;

async function post(server: RunningServer, runId: string, first: number): Promise<void> {
  const steps: WireStep[] = Array.from({ length: 5 }, (_, i) => ({ step: first + i, gradNorm: 1 + (i % 2), threshold: 2.5 }));
  const r = await call(`${server.url}/api/runs/${runId}/steps`, 'POST', { steps });
  expect(r.status).toBe(200);
}

describe('stall alerts across servers', () => {
  it('should not report a run as stalled while another server takes its steps, and report it once none does', async () => {
    const database = await createTestDatabase();
    cleanup.push(() => database.drop());
    const hook = await startWebhookReceiver();
    cleanup.push(() => hook.close());
    const options = { db: database.db, port: 0, webhooks: [hook.url], alerts: { stallMinMs: STALL_MS, stallFactor: 4, stallCheckMs: 25, cooldownMs: 0 } };
    const a = await startServer(options);
    cleanup.push(() => a.close());
    const b = await startServer(options);
    cleanup.push(() => b.close());
    const runId = await createRun(a.url, { name: 'moved' });

    let step = 0;
    for (let i = 0; i < 5; i++, step += 5) {
      await post(a, runId, step);
      await sleep(100);
    }
    // Twice A's stall limit on B alone: without the database's word A would call it stalled.
    const until = Date.now() + 2 * STALL_MS;
    let lastBatchAt = 0;
    while (Date.now() < until) {
      await post(b, runId, step);
      lastBatchAt = Date.now();
      step += 5;
      await sleep(100);
    }
    expect(hook.received).toEqual([]);

    const [first] = await hook.waitFor(1);
    expect(first.at - lastBatchAt).toBeGreaterThanOrEqual(STALL_MS - 200);
    expect(first.body).toMatchObject({ kind: 'stall', runId, step: step - 1 });
    // Each server that watched the run may report the silence (cooldown 0 here; the default of
    // 10 minutes, kept in the shared database, lets one through): both name the last step.
    await sleep(500);
    expect(hook.received.length).toBeLessThanOrEqual(2);
    for (const r of hook.received) expect(r.body).toMatchObject({ kind: 'stall', runId, step: step - 1 });
  });
});
