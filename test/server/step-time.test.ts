// Wall-clock time per step: sent by SDKs as a binary column and by HTTP clients as `time`
// (ms since the epoch), else the arrival time; validated, stored, rolled up (a bucket's time
// is its first step's), pushed live and exported. And a database file written by the
// previous schema (rollup layout 3, no time column, no per-layer non-finite counts) opened by
// this server keeps working.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LayerSeries, RunSummary, StepSeries } from '../../sdk/protocol/api-types.ts';
import type { LiveSteps } from '../../sdk/protocol/socket-events.ts';
import { ROLLUP_LAYOUT_VERSION } from '../../server/db/store.ts';
import { startServer } from '../../server/start-server.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { call, createRun } from './http-client.ts';
import { connectIngest, connectLive, next, request } from './socket-client.ts';

const T0 = 1_764_590_400_000; // 2025-12-01T12:00:00Z

describe('step time', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await withServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('should store the time sent with each step, roll it up as the time of each bucket\'s first step, and export it', async () => {
    const id = await createRun(server.url);
    // 1000 steps 250 ms apart, a fraction of a millisecond kept; sent in two posts out of order.
    const steps = Array.from({ length: 1000 }, (_, i) => ({ step: i, gradNorm: 1, time: T0 + i * 250 + 0.5 }));
    expect((await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: steps.slice(500) })).status).toBe(200);
    expect((await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: steps.slice(0, 500) })).status).toBe(200);
    const raw = await call<StepSeries>(`${server.url}/api/runs/${id}/steps?from=10&to=12`);
    expect(raw.body.time).toEqual([T0 + 2500.5, T0 + 2750.5, T0 + 3000.5]);
    expect(raw.body.startTime).toBe(T0 + 0.5); // the run's first step, whatever the range
    const coarse = await call<StepSeries>(`${server.url}/api/runs/${id}/steps?from=100&to=999&points=10`);
    expect(coarse.body.bucketSize).toBeGreaterThan(1);
    expect(coarse.body.time).toEqual(coarse.body.step.map((s) => T0 + s * 250 + 0.5));
    const csv = (await call<string>(`${server.url}/api/runs/${id}/export.csv`)).body.split('\r\n');
    expect(csv[0]).toBe('step,gradNorm,loss,lr,threshold,coef,action,time');
    expect(csv[3]).toBe(`2,1,,,,,,${T0 + 500.5}`);
  });

  it('should store the arrival time for steps sent without one', async () => {
    const id = await createRun(server.url);
    const before = Date.now();
    await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: [{ step: 0, gradNorm: 1 }, { step: 1, gradNorm: 1, time: null }, { step: 2, gradNorm: 1, time: T0 }] });
    const after = Date.now();
    const s = await call<StepSeries>(`${server.url}/api/runs/${id}/steps`);
    const [t0, t1, t2] = s.body.time as number[];
    expect(t0).toBeGreaterThanOrEqual(before);
    expect(t0).toBeLessThanOrEqual(after);
    expect(t1).toBe(t0);
    expect(t2).toBe(T0);
  });

  it.each([
    ['the string "NaN"', 'NaN', /Expected "steps\[1\]\.time" to be a wall-clock time in milliseconds since the Unix epoch .*got the string "NaN"/],
    ['a date string', '2025-12-01T12:00:00Z', /"steps\[1\]\.time" .*got the string "2025-12-01T12:00:00Z"/],
    ['a negative number', -5, /"steps\[1\]\.time" .*got -5/],
    ['seconds instead of milliseconds', 1_764_590_400, /Expected "steps\[1\]\.time" in milliseconds since the Unix epoch, got 1764590400, which looks like seconds: send seconds × 1000/],
    ['a time past what a Date holds', 9e15, /"steps\[1\]\.time" .*got 9000000000000000/],
  ])('should answer 400 naming the field for %s, and store nothing', async (_, time, message) => {
    const id = await createRun(server.url);
    const r = await call<{ error: string }>(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: [{ step: 0, gradNorm: 1, time: T0 }, { step: 1, gradNorm: 1, time }] });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatch(message);
    expect((await call<RunSummary>(`${server.url}/api/runs/${id}`)).body.steps).toBe(0);
  });

  it('should take a binary time column over the socket, stamp an older SDK\'s batch on arrival, refuse a bad one, and push times live', async () => {
    const id = await createRun(server.url);
    const live = await connectLive(server.url);
    const sdk = await connectIngest(server.url);
    try {
      expect((await request(live, 'subscribe', { runId: id })).ok).toBe(true);
      expect((await request(sdk, 'join', { runId: id, rank: 0, worldSize: 1 })).ok).toBe(true);
      const pushed = next<LiveSteps>(live, 'steps');
      const sent = await request(sdk, 'steps', { runId: id, seq: 0, step: new Float64Array([0, 1]), gradNorm: new Float64Array([1, 2]), time: new Float64Array([T0, T0 + 1000.25]) });
      expect(sent.ok).toBe(true);
      expect((await pushed).time).toEqual([T0, T0 + 1000.25]);
      // An SDK from before the column: no `time` key at all.
      const before = Date.now();
      expect((await request(sdk, 'steps', { runId: id, seq: 1, step: new Float64Array([2]), gradNorm: new Float64Array([3]) })).ok).toBe(true);
      const bad = await request(sdk, 'steps', { runId: id, seq: 2, step: new Float64Array([3, 4]), gradNorm: new Float64Array([1, 1]), time: new Float64Array([T0, Number.NaN]) });
      expect(bad).toEqual({ ok: false, error: expect.stringMatching(/^Expected "time\[1\]" to be a wall-clock time in milliseconds since the Unix epoch.*got NaN$/) });
      const short = await request(sdk, 'steps', { runId: id, seq: 3, step: new Float64Array([3, 4]), gradNorm: new Float64Array([1, 1]), time: new Float64Array([T0]) });
      expect(short).toEqual({ ok: false, error: 'Expected "time" to have 2 entries (one per step), got 1' });
      const s = await call<StepSeries>(`${server.url}/api/runs/${id}/steps`);
      expect(s.body.step).toEqual([0, 1, 2]);
      expect(s.body.time.slice(0, 2)).toEqual([T0, T0 + 1000.25]);
      expect(s.body.time[2]).toBeGreaterThanOrEqual(before);
      expect(s.body.time[2]).toBeLessThanOrEqual(Date.now());
    } finally {
      sdk.close();
      live.close();
    }
  });
});

describe('a database file of the previous schema', () => {
  let dir: string;
  let db: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-old-schema-'));
    db = path.join(dir, 'old.db');
    // Written by the server of commit 7dd05b5 (rollup layout 3): run "old-run-id", steps
    // 0..999 without time; layer "enc.w" NaN at step 400, "dec.w" +Infinity at step 700.
    copyFileSync(path.join(import.meta.dirname, 'fixtures/rollup-layout-3.db'), db);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('should open it, show its steps without times, find the layer NaN at step 400 in a wide bucket, and take new steps with times', async () => {
    const columns = (table: string) => {
      const raw = new Database(db, { readonly: true });
      try {
        return (raw.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
      } finally {
        raw.close();
      }
    };
    expect(columns('steps')).not.toContain('time');
    const server = await startServer({ db, port: 0, host: '127.0.0.1' });
    try {
      const old = await call<StepSeries>(`${server.url}/api/runs/old-run-id/steps?points=10`);
      expect(old.status).toBe(200);
      expect(old.body.count.reduce((a, b) => a + b, 0)).toBe(1000);
      expect(old.body.time).toEqual(old.body.step.map(() => null));
      expect(old.body.startTime).toBeNull();
      const layers = await call<LayerSeries>(`${server.url}/api/runs/old-run-id/layers?points=10`);
      expect(layers.body.names).toEqual(['enc.w', 'dec.w']);
      expect(layers.body.bucketSize).toBeGreaterThanOrEqual(64);
      // Every bucket of the run, rebuilt from the stored norms (no raw reads but at the ends).
      expect(layers.body.step.length).toBeGreaterThanOrEqual(8);
      expect(layers.body.step[0]).toBe(0);
      const bucketOf = (step: number) => layers.body.step.findLastIndex((s) => s <= step);
      expect(bucketOf(700)).toBeGreaterThan(bucketOf(400));
      const expected = (step: number) => layers.body.step.map((_, i) => (i === bucketOf(step) ? 1 : 0));
      expect(layers.body.nonFinite).toEqual([expected(400), expected(700)]);
      expect(layers.body.max[1][bucketOf(700)]).toBe('Infinity');

      const more = Array.from({ length: 10 }, (_, i) => ({ step: 1000 + i, gradNorm: 1, time: T0 + i }));
      expect((await call(`${server.url}/api/runs/old-run-id/steps`, 'POST', { steps: more })).status).toBe(200);
      const tail = await call<StepSeries>(`${server.url}/api/runs/old-run-id/steps?from=998`);
      expect(tail.body.step).toEqual([998, 999, ...more.map((s) => s.step)]);
      expect(tail.body.time).toEqual([null, null, ...more.map((s) => s.time)]);
      const csv = (await call<string>(`${server.url}/api/runs/old-run-id/export.csv`)).body.split('\r\n');
      expect(csv[0]).toBe('step,gradNorm,loss,lr,threshold,coef,action,time,enc.w,dec.w');
      expect(csv[401]).toBe('400,1,1.6,,,,apply,,NaN,0.2');
      expect(csv[1001]).toBe(`1000,1,,,,,,${T0},,`);
    } finally {
      await server.close();
    }
    expect(columns('steps')).toContain('time');
    const raw = new Database(db, { readonly: true });
    try {
      expect(raw.pragma('user_version', { simple: true })).toBe(ROLLUP_LAYOUT_VERSION);
    } finally {
      raw.close();
    }
  });
});
