// kill -9 of the server during a large ingest, five times, restarting it on the same port
// and database each time: every step the SDK saw acknowledged is stored exactly once, the
// file passes SQLite's integrity check, and the run carries on to the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { normAt, sameNumber } from '../support/norm-at.ts';
import { ServerProcess } from '../support/server-process.ts';
import { integrityCheck, stepCounts, storedStepRows } from '../support/store-snapshot.ts';
import { StreamerProcess } from '../support/streamer-process.ts';

const KILLS = 5;

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Steps in [0, n) missing from the stored list. */
function missingBelow(steps: number[], n: number): number[] {
  const have = new Set(steps);
  const missing: number[] = [];
  for (let s = 0; s < n; s++) if (!have.has(s)) missing.push(s);
  return missing;
}

describe('server killed with SIGKILL during ingest', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('should keep every acknowledged step exactly once across 5 kill -9 restarts, and finish the run', async () => {
    const server = new ServerProcess();
    cleanup.push(() => server.dispose());
    const spillDir = mkdtempSync(path.join(tmpdir(), 'gradpilot-spill-'));
    cleanup.push(async () => rmSync(spillDir, { recursive: true, force: true }));
    await server.start();

    const runId = `kill9-${Date.now().toString(36)}`;
    const sdk = new StreamerProcess({
      url: server.url, id: runId, spillDir, to: 10_000_000, stepsPerTick: 20, tickMs: 10, batchSize: 100, flushIntervalMs: 50,
    });
    cleanup.push(() => sdk.kill9());
    await sdk.started;
    let lastAcked = 0;
    for (let k = 0; k < KILLS; k++) {
      // Wait for some acknowledged progress on this server life, then kill at a random moment.
      await sdk.until((p) => p.delivered > lastAcked + 200, 60_000, `deliveries after restart ${k}`);
      await sleep(50 + Math.random() * 400);
      const acked = sdk.progress!.delivered; // reported before the kill, so acknowledged before it
      await server.kill9();
      lastAcked = acked;

      expect(integrityCheck(server.db)).toBe('ok');
      const rows = storedStepRows(server.db, runId);
      const counts = stepCounts(server.db, runId);
      expect(counts.rows).toBe(counts.distinct);
      // Batches are acknowledged in order, after their commit: the acknowledged steps are 0..acked-1.
      expect(missingBelow(rows.map((r) => r.step), acked)).toEqual([]);
      await server.start(); // same port, same file
    }

    sdk.stop();
    const closed = await sdk.closed;
    await server.stop();
    expect(closed.report.undelivered).toBe(0);
    expect(closed.report.dropped).toBe(0);
    expect(closed.report.lastError).toBeNull();
    expect(integrityCheck(server.db)).toBe('ok');
    const rows = storedStepRows(server.db, runId);
    const counts = stepCounts(server.db, runId);
    expect(counts.rows).toBe(counts.distinct);
    expect(rows.length).toBe(closed.lastStep + 1);
    expect(missingBelow(rows.map((r) => r.step), closed.lastStep + 1)).toEqual([]);
    const wrong = rows.filter((r) => !sameNumber(r.gradNorm, normAt(r.step)));
    expect(wrong).toEqual([]);
    expect(server.starts).toBe(KILLS + 1);
    expect(closed.lastStep).toBeGreaterThan(KILLS * 200);
  }, 240_000);
});
