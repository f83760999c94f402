// Another process writes to the database `gradpilot serve` uses (a backup tool, a sqlite3
// shell). Short write transactions are waited for (BEGIN IMMEDIATE with a busy timeout), not
// answered with "database is locked"; a lock held for longer than the busy timeout is a server
// fault, answered `retry: true`: the SDK keeps those batches, spills them and sends them again,
// and every step ends up stored once. Real server process, real SQLite locks, no root needed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { init } from '../../sdk/index.ts';
import type { Run } from '../../sdk/index.ts';
import { fetchMetric } from '../support/metrics-text.ts';
import { normAt, sameNumber } from '../support/norm-at.ts';
import { ServerProcess } from '../support/server-process.ts';
import { stepCounts, storedStepRows } from '../support/store-snapshot.ts';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Observes steps [from, to), 10 per turn of the event loop every `pauseMs`. */
async function train(run: Run, from: number, to: number, pauseMs: number): Promise<void> {
  for (let s = from; s < to; s++) {
    run.observe(s, { gradNorm: normAt(s) });
    if (s % 10 === 9) await sleep(pauseMs);
  }
}

describe('another process writing to the database', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });
  // One server process for both cases (each has its own run): starting one costs seconds.
  const server = new ServerProcess();
  let locker: Database.Database;
  beforeAll(async () => {
    await server.start();
    locker = new Database(server.db, { timeout: 5000 });
  }, 90_000);
  afterAll(async () => {
    locker?.close();
    await server.dispose();
  });

  it('should wait for its short write transactions instead of answering "database is locked"', async () => {
    const res = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'busy', name: 'busy' }) });
    expect(res.status).toBe(201);
    // A writer holding the lock 10 ms of every 15 (its write bumps the WAL, so a transaction
    // that read before it committed cannot write after it).
    const version = locker.pragma('user_version', { simple: true }) as number;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        locker.exec('BEGIN IMMEDIATE');
        locker.pragma(`user_version = ${version}`);
        await sleep(10);
        locker.exec('COMMIT');
        await sleep(5);
      }
    })();
    const statuses: number[] = [];
    const errors: string[] = [];
    for (let b = 0; b < 40; b++) {
      const steps = Array.from({ length: 100 }, (_, i) => ({ step: b * 100 + i, gradNorm: normAt(b * 100 + i) }));
      const r = await fetch(`${server.url}/api/runs/busy/steps`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ steps }) });
      statuses.push(r.status);
      if (r.status !== 200) errors.push(await r.text());
    }
    writing = false;
    await writer;
    expect(errors).toEqual([]);
    expect(statuses.every((s) => s === 200)).toBe(true);
    expect(stepCounts(server.db, 'busy')).toEqual({ rows: 4000, distinct: 4000 });
  }, 120_000);

  it('should answer a lock held past the busy timeout as a fault, and the SDK should keep and resend those batches', async () => {
    const spillDir = mkdtempSync(path.join(tmpdir(), 'gradpilot-spill-'));
    cleanup.push(() => rmSync(spillDir, { recursive: true, force: true }));
    const run = await init({ url: server.url, id: 'locked', name: 'locked', batchSize: 50, flushIntervalMs: 20, reconnectDelayMaxMs: 250, spillDir, quiet: true });
    cleanup.push(async () => void (await run.close({ timeoutMs: 0 })));
    const errors: { code?: string; message: string }[] = [];
    run.on('error', (err) => errors.push(err as { code?: string; message: string }));
    await train(run, 0, 300, 5);
    expect(await run.flush({ timeoutMs: 20_000 })).toBe(true);

    // ── another program holds the write lock for 4.5 s (the server waits 2 s per attempt) ──
    locker.exec('BEGIN IMMEDIATE');
    const lockedAt = Date.now();
    const trained = train(run, 300, 600, 50);
    const healthDuring = await (async () => {
      for (const end = Date.now() + 4000; Date.now() < end; await sleep(100)) {
        const r = await fetch(`${server.url}/api/health`);
        if (r.status === 503) return (await r.json()) as { ok: boolean; error: string };
      }
      return null;
    })();
    await trained;
    await sleep(Math.max(0, lockedAt + 4500 - Date.now()));
    const during = run.status();
    locker.exec('ROLLBACK');

    expect(healthDuring).not.toBeNull();
    expect(healthDuring!.error).toContain(`${server.db} is locked by another process`);
    expect(during.lastError).toMatch(/could not store steps .*locked by another process .*SQLITE_BUSY/);
    expect(during.dropped).toBe(0);
    expect(errors.some((e) => e.code === 'SERVER_FAULT')).toBe(true);

    await train(run, 600, 900, 5);
    expect(await run.flush({ timeoutMs: 20_000 })).toBe(true);
    expect(run.status()).toMatchObject({ delivered: 900, undelivered: 0, dropped: 0, lastError: null });
    expect(await fetchMetric(server.url, 'gradpilot_faults_total', { transport: 'socket', cause: 'locked' })).toBeGreaterThan(0);
    expect(await fetchMetric(server.url, 'gradpilot_rejects_total', { transport: 'socket' })).toBe(0);
    const rows = storedStepRows(server.db, 'locked');
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: 900 }, (_, i) => i));
    expect(rows.filter((r) => !sameNumber(r.gradNorm, normAt(r.step)))).toEqual([]);
  }, 120_000);
});
