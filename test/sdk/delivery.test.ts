// No lost steps: the server goes away and comes back, or is not there at all at first.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { init, type Run } from '../../sdk/index.ts';
import type { LayerSeries } from '../../sdk/protocol/api-types.ts';
import { withServer } from '../support/server.ts';
import { getJson, RestartableServer, sleep, storedSteps, summary, tempDir, waitFor, yieldToEventLoop } from './helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function server(): Promise<RestartableServer> {
  const s = new RestartableServer();
  await s.start();
  cleanup.push(() => s.dispose());
  return s;
}

function spillDir(): string {
  const d = tempDir();
  cleanup.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

function track(run: Run): Run {
  cleanup.push(async () => void (await run.close({ timeoutMs: 500 })));
  return run;
}

/** A norm per step with NaN and ±Infinity sprinkled in, so exactness is checked too. */
function norm(s: number): number {
  if (s % 37 === 5) return Number.NaN;
  if (s % 41 === 7) return Number.POSITIVE_INFINITY;
  return 1 + (s % 13) / 7 + s * 1e-9;
}

function expectExactly(stored: { step: number[]; gradNorm: number[] }, n: number): void {
  expect(stored.step).toEqual(Array.from({ length: n }, (_, i) => i));
  for (let s = 0; s < n; s++) expect(Object.is(stored.gradNorm[s], norm(s)), `step ${s}`).toBe(true);
}

describe('delivery', () => {
  it('should deliver every step exactly once when the server stops mid-run and restarts on the same port and file', async () => {
    const srv = await server();
    const run = track(await init({
      url: srv.url, name: 'restart', batchSize: 16, flushIntervalMs: 30, reconnectDelayMaxMs: 200, spillDir: spillDir(),
    }));
    let spilledWhileAway = 0;
    for (let s = 0; s < 600; s++) {
      run.observe(s, { gradNorm: norm(s), loss: 1 / (s + 1) });
      if (s === 200) await srv.stop();
      if (s >= 200 && s < 400 && s % 20 === 0) await sleep(150); // ~1.5 s of training without a server
      if (s === 399) spilledWhileAway = run.status().spilled;
      if (s === 400) await srv.start();
      await yieldToEventLoop();
    }
    expect(spilledWhileAway).toBeGreaterThan(0);
    expect(await run.flush({ timeoutMs: 15_000 })).toBe(true);
    expectExactly(await storedSteps(srv.url, run.id), 600);
    expect((await summary(srv.url, run.id)).steps).toBe(600);
    const report = await run.close();
    expect(report).toMatchObject({ delivered: 600, undelivered: 0, dropped: 0, spillFile: null });
    expect((await summary(srv.url, run.id)).status).toBe('finished');
  });

  it('should train with the local policy while the server is unreachable, then create the run and deliver it', async () => {
    const srv = await server();
    await srv.stop(); // the port is known but nobody listens
    const started = Date.now();
    const run = track(await init({
      url: srv.url, name: 'late-server', project: 'sdk-tests', policy: { kind: 'percentile', p: 10, maxNorm: 0.5 },
      batchSize: 8, flushIntervalMs: 20, reconnectDelayMaxMs: 100, spillDir: spillDir(),
    }));
    expect(Date.now() - started).toBeLessThan(1000); // init did not wait for the server
    const observed: [number, number][] = []; // Date.now() just before and after each observe
    for (let s = 0; s < 50; s++) {
      const before = Date.now();
      const d = run.observe(s, { gradNorm: norm(s) });
      observed.push([before, Date.now()]);
      if (Number.isFinite(norm(s))) expect(d.threshold).toBe(0.5);
      await yieldToEventLoop();
    }
    expect(run.status()).toMatchObject({ ready: false, delivered: 0, undelivered: 50 });
    const back = Date.now();
    await srv.start();
    expect(await run.flush({ timeoutMs: 10_000 })).toBe(true);
    const stored = await storedSteps(srv.url, run.id);
    expectExactly(stored, 50);
    // Each step keeps the time it was observed, not its late arrival.
    stored.time.forEach((t, s) => {
      expect(t).toBeGreaterThanOrEqual(observed[s][0]);
      expect(t).toBeLessThanOrEqual(Math.min(observed[s][1], back));
    });
    const s = await summary(srv.url, run.id);
    expect(s).toMatchObject({ name: 'late-server', project: 'sdk-tests', steps: 50 });
    expect(s.policy.policy).toMatchObject({ kind: 'percentile', p: 10, maxNorm: 0.5 });
    expect(s.policy.acks).toEqual([expect.objectContaining({ rank: 0, appliedAtStep: 0, late: false })]);
  });

  it('should report undelivered steps on close and deliver them from the spill file on the next init of the run', async () => {
    const srv = await server();
    await srv.stop();
    const dir = spillDir();
    const first = await init({ url: srv.url, id: 'spilled-run', name: 'spilled', batchSize: 8, flushIntervalMs: 20, spillDir: dir });
    for (let s = 0; s < 30; s++) first.observe(s, { gradNorm: norm(s) });
    const report = await first.close({ timeoutMs: 100 });
    expect(report).toMatchObject({ delivered: 0, undelivered: 30, firstUndeliveredStep: 0, lastUndeliveredStep: 29 });
    expect(report.spillFile).toContain(dir);

    await srv.start();
    const second = track(await init({ url: srv.url, id: 'spilled-run', name: 'spilled', batchSize: 8, flushIntervalMs: 20, spillDir: dir }));
    for (let s = 30; s < 40; s++) second.observe(s, { gradNorm: norm(s) });
    expect(await second.flush({ timeoutMs: 10_000 })).toBe(true);
    expectExactly(await storedSteps(srv.url, 'spilled-run'), 40);
  });

  it('should say why a server with a token refuses it, and deliver with the right token', async () => {
    const srv = await withServer({ token: 'sesame' });
    cleanup.push(() => srv.close());
    const dir = spillDir();
    const wrong = track(await init({ url: srv.url, name: 'no-token', spillDir: dir, reconnectDelayMaxMs: 100 }));
    wrong.observe(0, { gradNorm: 1 });
    await waitFor(() => wrong.status().lastError !== null, 10_000, 'the refusal');
    expect(wrong.status().lastError).toMatch(/refused/i);
    expect(wrong.status().ready).toBe(false);
    const right = track(await init({ url: srv.url, name: 'token', token: 'sesame', spillDir: dir, flushIntervalMs: 20 }));
    right.observe(0, { gradNorm: 1 });
    expect(await right.flush({ timeoutMs: 10_000 })).toBe(true);
    expect((await summary(srv.url, right.id, 'sesame')).steps).toBe(1);
  });

  it('should deliver per-layer norms of many layers over the socket, non-finite ones exactly', async () => {
    const srv = await server();
    // No spill file: spilled batches travel as JSON, which would hide a binary-only problem.
    const run = track(await init({ url: srv.url, name: 'layers', batchSize: 4, flushIntervalMs: 20, spillDir: null }));
    let drops = 0;
    run.on('connection', ({ connected }) => void (connected || drops++));
    const names = Array.from({ length: 14 }, (_, i) => `block${i}/kernel`);
    for (let s = 0; s < 8; s++) {
      run.observe(s, { gradNorm: s + 1, layers: Object.fromEntries(names.map((n, i) => [n, i === 5 && s === 3 ? Number.NaN : i + s])) });
    }
    expect(await run.flush({ timeoutMs: 10_000 })).toBe(true);
    expect(run.status()).toMatchObject({ connected: true, delivered: 8 });
    expect(drops).toBe(0); // socket.io drops a connection on a packet with over 10 binary attachments
    const layers = await getJson<LayerSeries>(`${srv.url}/api/runs/${run.id}/layers?points=100`);
    expect([...layers.names].sort()).toEqual([...names].sort());
    const k = layers.names.indexOf('block5/kernel');
    expect(layers.max[k][3]).toBe('NaN');
    expect(layers.max[layers.names.indexOf('block13/kernel')][7]).toBe(20);
  });
});
