// Events the server detects itself (norms only, no actions from the client), pushed live;
// live step pushes batched per run; Prometheus metrics; the export CLI.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EventDetector, parsePolicy } from '../../sdk/controller/index.ts';
import type { RunEvent } from '../../sdk/protocol/api-types.ts';
import type { LiveSteps } from '../../sdk/protocol/socket-events.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { RestartableServer } from '../sdk/helpers.ts';
import { call, createRun } from './http-client.ts';
import { connectIngest, connectLive, request } from './socket-client.ts';

const run = promisify(execFile);

describe('events and live updates', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await withServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('should detect non-finite, first non-finite, spike and explosion events like the controller, store and push them', async () => {
    const id = await createRun(server.url);
    const live = await connectLive(server.url);
    try {
      await request(live, 'subscribe', { runId: id });
      const pushed: RunEvent[] = [];
      live.on('events', (e) => pushed.push(...e));
      const g: (number | string)[] = Array.from({ length: 120 }, (_, i) => 1 + (i % 5) / 50);
      g[40] = 'NaN';
      g[41] = 'Infinity';
      g[60] = 50; // spike and explosion (> 10x the median)
      g[90] = 'NaN';
      // two batches, so detection carries over batch boundaries
      await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: g.slice(0, 50).map((v, i) => ({ step: i, gradNorm: v })) });
      await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: g.slice(50).map((v, i) => ({ step: 50 + i, gradNorm: v })) });

      const detector = new EventDetector(parsePolicy({ kind: 'percentile' }));
      // [step, kind, count]: consecutive non-finite steps (40 and 41) are one event.
      const expected: [number, string, number][] = [];
      g.forEach((v, i) => {
        const n = typeof v === 'number' ? v : Number(v);
        for (const kind of detector.observe(n)) {
          if (kind === 'nonfinite' && i === 40) expected.push([i, 'first_nonfinite', 1]);
          const open = expected.at(-1);
          if (kind === 'nonfinite' && open?.[1] === 'nonfinite' && open[0] + open[2] === i) open[2]++;
          else expected.push([i, kind, 1]);
        }
      });
      expect(expected).toContainEqual([40, 'nonfinite', 2]);
      expect(expected).toContainEqual([60, 'spike', 1]);
      expect(expected).toContainEqual([60, 'explosion', 1]);
      const events = await call<RunEvent[]>(`${server.url}/api/runs/${id}/events`);
      expect(events.body.map((e) => [e.step, e.kind, e.count])).toEqual(expected);
      expect(events.body.find((e) => e.count === 2)).toMatchObject({ step: 40, lastStep: 41 });
      expect(events.body[0]).toMatchObject({ runId: id, step: 40, kind: 'first_nonfinite', gradNorm: 'NaN' });
      expect((await call(`${server.url}/api/runs/${id}`)).body.events).toBe(expected.length);
      await expect.poll(() => pushed.length).toBe(expected.length);
      expect(pushed.map((e) => e.id)).toEqual(events.body.map((e) => e.id));
      const filtered = await call<RunEvent[]>(`${server.url}/api/runs/${id}/events?from=50&to=70`);
      expect(filtered.body.map((e) => e.step)).toEqual([60, 60]);
    } finally {
      live.close();
    }
  });

  it('should keep a burst of non-finite steps as one event across batches and a restart, pushed live as it grows', async () => {
    const restartable = new RestartableServer();
    await restartable.start();
    const id = await createRun(restartable.url);
    const live = await connectLive(restartable.url);
    try {
      await request(live, 'subscribe', { runId: id });
      const pushed: RunEvent[] = [];
      live.on('events', (e) => pushed.push(...e));
      const post = (from: number, n: number, gradNorm: number | string) =>
        call(`${restartable.url}/api/runs/${id}/steps`, 'POST', { steps: Array.from({ length: n }, (_, i) => ({ step: from + i, gradNorm })) });
      await post(0, 100, 1);
      await post(100, 20_000, 'NaN'); // one batch of a flood
      await post(20_100, 5_000, 'Infinity'); // the burst goes on in the next batch
      const burst = (await call<RunEvent[]>(`${restartable.url}/api/runs/${id}/events?order=newest`)).body;
      expect(burst.map((e) => [e.kind, e.step, e.lastStep, e.count])).toEqual([
        ['nonfinite', 100, 25_099, 25_000],
        ['first_nonfinite', 100, 100, 1],
      ]);
      await expect.poll(() => pushed.at(-1)?.count).toBe(25_000);
      expect(new Set(pushed.map((e) => e.id)).size).toBe(2);
      expect((await call(`${restartable.url}/api/runs/${id}`)).body.events).toBe(2);

      // A fresh detector (as after a restart) warms up on the stored steps and still extends it.
      await restartable.stop();
      await restartable.start();
      await call(`${restartable.url}/api/runs/${id}/steps`, 'POST', { steps: [{ step: 25_100, gradNorm: 'NaN' }, { step: 25_101, gradNorm: 2 }, { step: 25_102, gradNorm: 'NaN' }] });
      const after = (await call<RunEvent[]>(`${restartable.url}/api/runs/${id}/events`)).body;
      expect(after.map((e) => [e.kind, e.step, e.lastStep, e.count])).toEqual([
        ['first_nonfinite', 100, 100, 1],
        ['nonfinite', 100, 25_100, 25_001],
        ['nonfinite', 25_102, 25_102, 1],
      ]);
    } finally {
      live.close();
      await restartable.dispose();
    }
  });

  it('should batch live steps per run: many small batches arrive as few pushes, in order, only to the room', async () => {
    const id = await createRun(server.url);
    const other = await createRun(server.url, { name: 'other' });
    const live = await connectLive(server.url);
    const bystander = await connectLive(server.url);
    const sdk = await connectIngest(server.url);
    try {
      await request(live, 'subscribe', { runId: id });
      await request(bystander, 'subscribe', { runId: other });
      let bystanderSteps = 0;
      bystander.on('steps', () => bystanderSteps++);
      const pushes: LiveSteps[] = [];
      live.on('steps', (s) => pushes.push(s));
      const summaries: string[] = [];
      bystander.on('run', (r) => summaries.push(r.id));
      for (let i = 0; i < 100; i++) {
        const reply = await request(sdk, 'steps', { runId: id, seq: i, step: [i], gradNorm: [i / 10] });
        expect(reply.ok).toBe(true);
      }
      await expect.poll(() => pushes.reduce((n, p) => n + p.step.length, 0)).toBe(100);
      expect(pushes.flatMap((p) => p.step)).toEqual(Array.from({ length: 100 }, (_, i) => i));
      // at most one push per 50 ms window: far fewer pushes than batches
      expect(pushes.length).toBeLessThan(100);
      expect(bystanderSteps).toBe(0);
      // every dashboard hears about the run's summary
      expect(summaries).toContain(id);
    } finally {
      for (const s of [live, bystander, sdk]) s.close();
    }
  });

  it('should expose Prometheus metrics for ingest', async () => {
    const id = await createRun(server.url);
    const sdk = await connectIngest(server.url);
    try {
      await request(sdk, 'steps', { runId: id, seq: 1, step: [0, 1], gradNorm: [1, 2] });
      await request(sdk, 'steps', { runId: id, seq: 2, step: [1], gradNorm: [2] });
      await request(sdk, 'steps', { runId: id, seq: 3, step: ['x'], gradNorm: [2] });
      await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: [{ step: 5, gradNorm: 1 }] });
      await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: 'bad' });
      const text = (await call<string>(`${server.url}/metrics`)).body;
      expect(text).toMatch(/gradpilot_steps_ingested_total\{transport="socket"\} 2/);
      expect(text).toMatch(/gradpilot_steps_ingested_total\{transport="http"\} 1/);
      expect(text).toMatch(/gradpilot_steps_duplicate_total\{transport="socket"\} 1/);
      expect(text).toMatch(/gradpilot_batches_total\{transport="socket"\} 2/);
      expect(text).toMatch(/gradpilot_rejects_total\{transport="socket"\} 1/);
      expect(text).toMatch(/gradpilot_rejects_total\{transport="http"\} 1/);
      expect(text).toMatch(/gradpilot_runs 1/);
      expect(text).toMatch(/gradpilot_connected_sdks 1/);
      expect(text).toMatch(/gradpilot_ingest_seconds_count\{transport="socket"\} 2/);
    } finally {
      sdk.close();
    }
  });

  it('should export a run with `gradpilot export` from the database file', async () => {
    const id = await createRun(server.url);
    await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps: [{ step: 0, gradNorm: 'NaN', layers: { 'a,"b"': 1 }, time: 1764590400000 }, { step: 1, gradNorm: 2.5, loss: '-Infinity', action: 'clip', time: 1764590400250.5 }] });
    const out = path.join(server.dir, 'out.csv');
    const bin = path.resolve('server/cli/gradpilot.js');
    await run(process.execPath, [bin, 'export', '--db', server.dbPath, '--run', id, '--out', out]);
    expect(readFileSync(out, 'utf8')).toBe('step,gradNorm,loss,lr,threshold,coef,action,time,"a,""b"""\r\n0,NaN,,,,,,1764590400000,1\r\n1,2.5,-Infinity,,,,clip,1764590400250.5,\r\n');
    const unknown = run(process.execPath, [bin, 'export', '--db', server.dbPath, '--run', 'nope']);
    await expect(unknown).rejects.toMatchObject({ code: 1, stderr: expect.stringMatching(/unknown run "nope"/) });
  });
});
