// Per-layer norms (max per bucket, non-finite kept), and `gradpilot serve` end to end:
// the log line, the API, and a clean shutdown on SIGTERM.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LayerSeries } from '../../sdk/protocol/api-types.ts';
import { type TestServer, withServer } from '../support/server.ts';
import { call, createRun } from './http-client.ts';

describe('per-layer norms', () => {
  let server: TestServer;
  beforeEach(async () => {
    server = await withServer();
  });
  afterEach(async () => {
    await server.close();
  });

  it('should answer raw per-layer norms, then the max per bucket with non-finite values kept', async () => {
    const id = await createRun(server.url);
    const steps = Array.from({ length: 100 }, (_, i) => ({
      step: i,
      gradNorm: 1,
      layers: { 'enc.w': i === 33 ? 'NaN' : i === 70 ? 9 : 1, 'dec.w': i < 50 ? 0.5 : null },
    }));
    await call(`${server.url}/api/runs/${id}/steps`, 'POST', { steps });
    const raw = await call<LayerSeries>(`${server.url}/api/runs/${id}/layers?from=30&to=35`);
    expect(raw.body).toEqual({
      runId: id,
      bucketSize: 1,
      names: ['enc.w', 'dec.w'],
      step: [30, 31, 32, 33, 34, 35],
      max: [
        [1, 1, 1, 'NaN', 1, 1],
        [0.5, 0.5, 0.5, 0.5, 0.5, 0.5],
      ],
      nonFinite: [
        [0, 0, 0, 1, 0, 0],
        [0, 0, 0, 0, 0, 0],
      ],
    });
    const coarse = await call<LayerSeries>(`${server.url}/api/runs/${id}/layers?points=10`);
    expect(coarse.body.bucketSize).toBe(10);
    expect(coarse.body.step).toEqual([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    // NaN alone never hides a number in the same bucket; the spike at 70 survives; missing stays null
    expect(coarse.body.max[0]).toEqual([1, 1, 1, 1, 1, 1, 1, 9, 1, 1]);
    expect(coarse.body.max[1]).toEqual([0.5, 0.5, 0.5, 0.5, 0.5, null, null, null, null, null]);
    // ...and the count says that the bucket of step 33 held a NaN all the same
    expect(coarse.body.nonFinite).toEqual([
      [0, 0, 0, 1, 0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
    ]);
  });
});

describe('gradpilot serve', () => {
  it('should log where it listens and where the data is, serve the API, and shut down cleanly on SIGTERM', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-serve-'));
    const db = path.join(dir, 'served.db');
    try {
      const child = spawn(process.execPath, [path.resolve('server/cli/gradpilot.js'), 'serve', '--port', '0', '--db', db], {
        env: { ...process.env, GRADPILOT_HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      await expect.poll(() => out, { timeout: 20_000 }).toMatch(/listening on http:\/\/127\.0\.0\.1:\d+/);
      expect(out).toContain(`data in ${db}`);
      const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(out)![1];
      const health = await call(`${url}/api/health`);
      expect(health.body.ok).toBe(true);
      await createRun(url);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toMatch(/SIGTERM, shutting down/);
      // The database was closed: SQLite removes the WAL file on the last clean close.
      expect(existsSync(`${db}-wal`)).toBe(false);
      expect(existsSync(db)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
