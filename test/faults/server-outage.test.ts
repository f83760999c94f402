// The server stopped while the SDK keeps training, then started again: nothing lost,
// nothing stored or pushed twice, and a dashboard on /live catches up by itself.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normAt, sameNumber } from '../support/norm-at.ts';
import { LiveFollower } from '../support/live-follower.ts';
import { ServerProcess } from '../support/server-process.ts';
import { integrityCheck, stepCounts, storedStepRows } from '../support/store-snapshot.ts';
import { StreamerProcess } from '../support/streamer-process.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function waitFor(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('server stopped while the SDK keeps training', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('should lose nothing, double nothing, and let a /live subscriber catch up after the restart', async () => {
    const server = new ServerProcess();
    cleanup.push(() => server.dispose());
    const spillDir = mkdtempSync(path.join(tmpdir(), 'gradpilot-spill-'));
    cleanup.push(() => rmSync(spillDir, { recursive: true, force: true }));
    await server.start();

    const runId = `outage-${Date.now().toString(36)}`;
    const sdk = new StreamerProcess({ url: server.url, id: runId, spillDir, to: 10_000_000, stepsPerTick: 20, tickMs: 10 });
    cleanup.push(() => sdk.kill9());
    await sdk.started;
    await sdk.until((p) => p.delivered >= 300, 60_000, 'first deliveries');
    const follower = new LiveFollower(server.url, runId);
    cleanup.push(() => follower.close());
    await follower.start();
    await waitFor(() => follower.live.length > 0, 30_000, 'live steps before the outage');

    await server.stop();
    const atStop = sdk.progress!.observed;
    // Training goes on while the server is away.
    await sdk.until((p) => p.observed >= atStop + 1000 && !p.connected, 60_000, 'training during the outage');
    const undeliveredDuringOutage = sdk.progress!.undelivered;
    expect(undeliveredDuringOutage).toBeGreaterThan(0);
    await server.start();

    // Keep training after the restart so that steps arrive live again.
    await waitFor(() => follower.liveAfterReconnect > 0, 60_000, 'live steps after the restart');
    sdk.stop();
    const closed = await sdk.closed;
    expect(closed.report.undelivered).toBe(0);
    expect(closed.report.dropped).toBe(0);
    const total = closed.lastStep + 1;
    expect(total).toBeGreaterThan(atStop + 1000);
    await waitFor(() => follower.known.size >= total, 30_000, 'the follower to know every step');

    expect(follower.reconnects).toBeGreaterThanOrEqual(1);
    expect(follower.duplicates()).toEqual([]);
    expect([...follower.known].sort((a, b) => a - b)).toEqual(Array.from({ length: total }, (_, i) => i));
    follower.close();
    await server.stop();
    expect(integrityCheck(server.db)).toBe('ok');
    const counts = stepCounts(server.db, runId);
    expect(counts).toEqual({ rows: total, distinct: total });
    const rows = storedStepRows(server.db, runId);
    expect(rows.filter((r) => !sameNumber(r.gradNorm, normAt(r.step)))).toEqual([]);
  }, 240_000);
});
