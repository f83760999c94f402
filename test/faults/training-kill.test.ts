// The training process killed with SIGKILL mid-run, then resumed with init({ resume }): the
// run goes on with exactly the thresholds an uninterrupted controller computes over the
// same norms, and every step is stored once.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Controller, parsePolicy } from '../../sdk/controller/index.ts';
import type { PolicyInput } from '../../sdk/index.ts';
import { lossAt, normAt, sameNumber } from '../support/norm-at.ts';
import { withServer } from '../support/server.ts';
import { openReadOnly, stepCounts, storedStepRows } from '../support/store-snapshot.ts';
import { StreamerProcess } from '../support/streamer-process.ts';

const TOTAL = 8000;
const POLICY: PolicyInput = { kind: 'percentile', p: 10 };

/** Thresholds of a controller that never stopped, over normAt(0..n-1). */
function uninterruptedThresholds(n: number): (number | null)[] {
  const controller = new Controller(parsePolicy(POLICY));
  const out: (number | null)[] = [];
  for (let step = 0; step < n; step++) out.push(controller.decide({ step, gradNorm: normAt(step), loss: lossAt(step) }).threshold);
  return out;
}

describe('training process killed with SIGKILL, then resumed', () => {
  const cleanup: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it.each([
    { from: 'the last stored step', checkpoint: false },
    { from: 'an earlier checkpoint (fromStep: later steps superseded and sent again)', checkpoint: true },
  ])('should continue from $from with the same thresholds as an uninterrupted controller', async ({ checkpoint }) => {
    const server = await withServer();
    cleanup.push(() => server.close());
    const spillDir = mkdtempSync(path.join(tmpdir(), 'gradpilot-spill-'));
    cleanup.push(() => rmSync(spillDir, { recursive: true, force: true }));
    const runId = `resume-${Date.now().toString(36)}`;

    const first = new StreamerProcess({ url: server.url, id: runId, policy: POLICY, spillDir, to: TOTAL, stepsPerTick: 10, tickMs: 10 });
    cleanup.push(() => first.kill9());
    await first.started;
    const target = 1500 + Math.floor(Math.random() * 1500);
    await first.until((p) => p.delivered >= target, 60_000, `${target} delivered steps`);
    const acked = first.progress!.delivered;
    await first.kill9();
    expect(first.progress!.observed).toBeLessThan(TOTAL - 1); // killed mid-run, not after it

    // A checkpoint saved every 500 steps, before the last acknowledged one.
    const fromStep = checkpoint ? Math.floor((acked - 1) / 500) * 500 - 1 : undefined;
    const second = new StreamerProcess({ url: server.url, id: runId, resume: true, fromStep, spillDir, to: TOTAL, stepsPerTick: 50, tickMs: 5 });
    cleanup.push(() => second.kill9());
    const started = await second.started;
    // It continues after the checkpoint, or after what the server holds (every acknowledged step).
    if (fromStep !== undefined) expect(started.lastStep).toBe(fromStep);
    else expect(started.lastStep!).toBeGreaterThanOrEqual(acked - 1);
    const closed = await second.closed;
    expect(closed.report.undelivered).toBe(0);
    expect(closed.report.dropped).toBe(0);
    expect(closed.lastStep).toBe(TOTAL - 1);

    expect(stepCounts(server.dbPath, runId)).toEqual({ rows: TOTAL, distinct: TOTAL });
    if (checkpoint) {
      // The steps after the checkpoint that the killed process had delivered were superseded, then stored anew.
      const db = openReadOnly(server.dbPath);
      const resumes = db.prepare('SELECT from_step AS fromStep, superseded FROM resumes').all() as { fromStep: number; superseded: number }[];
      db.close();
      expect(resumes).toEqual([{ fromStep, superseded: expect.any(Number) }]);
      expect(resumes[0].superseded).toBeGreaterThanOrEqual(acked - 1 - fromStep!);
    }
    const rows = storedStepRows(server.dbPath, runId);
    expect(rows.map((r) => r.step)).toEqual(Array.from({ length: TOTAL }, (_, i) => i));
    expect(rows.filter((r) => !sameNumber(r.gradNorm, normAt(r.step)))).toEqual([]);
    const expected = uninterruptedThresholds(TOTAL);
    const differ = rows.filter((r) => !sameNumber(r.threshold, expected[r.step])).map((r) => ({ step: r.step, stored: r.threshold, expected: expected[r.step] }));
    expect(differ.slice(0, 5)).toEqual([]);
    // The thresholds really moved with the history (so equality above says something).
    expect(new Set(rows.map((r) => r.threshold)).size).toBeGreaterThan(100);
  }, 180_000);
});
