// 50 runs streaming at once for a few seconds (the minute-long version with latency figures
// is `npm run test:soak`): no errors, nothing lost, nothing pushed to the dashboard twice.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestServer, withServer } from '../support/server.ts';
import { snapshotStore } from '../support/store-snapshot.ts';
import { runLoad } from './run-load.ts';

describe('50 concurrent runs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await withServer();
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should store and push every step of 50 runs streaming at once, without errors', async () => {
    const r = await runLoad({ url: server.url, runs: 50, durationMs: 3000, batchSteps: 10, intervalMs: 100, minBatches: 5 });
    expect(r.errors).toEqual([]);
    expect(r.stepsSent).toBeGreaterThanOrEqual(50 * 10 * 5);
    expect(r.stepsAcked).toBe(r.stepsSent);
    expect(r.stepsLive).toBe(r.stepsSent);
    expect(r.liveDuplicates).toBe(0);
    expect(r.ingestMs.length).toBe(r.stepsSent / 10);
    const counts = snapshotStore(server.dbPath).counts;
    expect(counts.runs).toBe(50);
    expect(counts.steps).toBe(r.stepsSent);
  }, 60_000);
});
