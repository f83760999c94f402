// Two gradpilot servers on one PostgreSQL database (real sockets, real PostgreSQL 15): live
// pushes cross servers, a policy set on one reaches an SDK on the other in time, batches of
// one run alternating between them are stored and rolled up as by one server, and an SDK
// whose server is killed with -9 carries on through the other without losing or doubling a step.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Decision, init } from '../../sdk/index.ts';
import type { PolicyVersion, RunEvent, RunSummary, StepSeries, WireStep } from '../../sdk/protocol/api-types.ts';
import type { WireNumber } from '../../sdk/protocol/wire-number.ts';

type LivePolicy = PolicyVersion & { runId: string };
import { pickMax, pickMin } from '../../server/query/bucket-agg.ts';
import { type RunningServer, startServer } from '../../server/start-server.ts';
import { LiveFollower } from '../support/live-follower.ts';
import { ServerProcess } from '../support/server-process.ts';
import { createTestDatabase, queryRows } from '../support/test-database.ts';
import { policyOf, putJson, sleep, tempDir, waitFor, yieldToEventLoop } from '../sdk/helpers.ts';
import { call, createRun } from '../server/http-client.ts';
import { connectLive, request } from '../server/socket-client.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** Two in-process servers on one fresh database. */
async function twoServers(): Promise<{ a: RunningServer; b: RunningServer; db: string }> {
  const database = await createTestDatabase();
  cleanup.push(() => database.drop());
  const a = await startServer({ db: database.db, port: 0 });
  cleanup.push(() => a.close());
  const b = await startServer({ db: database.db, port: 0 });
  cleanup.push(() => b.close());
  return { a, b, db: database.db };
}

function spillDir(): string {
  const dir = tempDir();
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const wire = (v: number | null): WireNumber => (v === null ? null : Number.isFinite(v) ? v : (String(v) as WireNumber));

describe('two servers on one PostgreSQL database', () => {
  it('should show a dashboard on B every step an SDK streams to A, once, and the run as running', async () => {
    const { a, b } = await twoServers();
    const run = await init({ url: a.url, id: 'live-across', batchSize: 40, flushIntervalMs: 20, spillDir: spillDir(), quiet: true });
    cleanup.push(() => run.close({ timeoutMs: 2000 }));
    await waitFor(() => run.status().ready, 10_000, 'the run joined A');
    const follower = new LiveFollower(b.url, run.id);
    cleanup.push(() => follower.close());
    await follower.start();
    const N = 2000;
    for (let s = 0; s < N; s++) {
      run.observe(s, { gradNorm: 1 + (s % 13) / 10 });
      if (s % 50 === 0) await yieldToEventLoop();
    }
    await run.flush({ timeoutMs: 10_000 });
    // B has no SDK of this run and ingested none of its steps; the database says it is running.
    const onB = await call<RunSummary>(`${b.url}/api/runs/${run.id}`);
    expect(onB.body).toMatchObject({ status: 'running', steps: N });
    expect((await run.close({ timeoutMs: 10_000 })).undelivered).toBe(0);
    await waitFor(() => follower.live.length >= N, 15_000, `${N} live steps on B (got ${follower.live.length})`);
    await sleep(300); // a step pushed twice would arrive by now
    expect(follower.live.length).toBe(N);
    expect([...follower.live].sort((x, y) => x - y)).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  it('should bring a policy set on B to the SDK on A before its effectiveStep, and B its acknowledgement', async () => {
    const { a, b } = await twoServers();
    const run = await init({ url: a.url, id: 'policy-across', policy: { kind: 'percentile', p: 50, maxNorm: 10 }, batchSize: 10, flushIntervalMs: 20, spillDir: spillDir(), quiet: true });
    cleanup.push(() => run.close({ timeoutMs: 2000 }));
    await waitFor(() => run.status().ready, 10_000, 'the run joined A');
    const dashboard = await connectLive(b.url);
    cleanup.push(() => void dashboard.close());
    expect(await request(dashboard, 'subscribe', { runId: run.id })).toEqual({ ok: true, result: null });
    const livePolicies: LivePolicy[] = [];
    dashboard.on('policy', (p: LivePolicy) => livePolicies.push(p));

    const decisions: Decision[] = [];
    for (let s = 0; s < 20; s++) decisions.push(run.observe(s, { gradNorm: 5 }));
    await run.flush({ timeoutMs: 5000 });
    const put = await putJson<PolicyVersion>(`${b.url}/api/runs/${run.id}/policy`, { policy: { kind: 'percentile', p: 50, maxNorm: 1 }, effectiveStep: 60 });
    await waitFor(() => run.status().pendingPolicyVersions.includes(put.version), 10_000, 'the push from B');
    for (let s = 20; s < 80; s++) {
      decisions.push(run.observe(s, { gradNorm: 5 }));
      await yieldToEventLoop();
    }
    expect(decisions[59]).toMatchObject({ threshold: 5, action: 'apply' });
    expect(decisions[60]).toMatchObject({ threshold: 1, action: 'clip' });
    await waitFor(async () => (await policyOf(b.url, run.id)).acks.length === 1, 10_000, 'the ack, read on B');
    expect((await policyOf(b.url, run.id)).acks[0]).toMatchObject({ rank: 0, appliedAtStep: 60, late: false });
    await waitFor(() => livePolicies.some((p) => p.version === put.version && p.acks.length === 1), 10_000, 'the ack pushed to the dashboard on B');
  });

  it('should store batches alternating between A and B as one server does: rollups equal to brute force, the same events and counts', async () => {
    const { a, b } = await twoServers();
    const oracleDb = await createTestDatabase();
    cleanup.push(() => oracleDb.drop());
    // The same batches into one SQLite server: the detector there sees every batch itself.
    const oracle = await startServer({ db: `${oracleDb.dir}/oracle.db`, port: 0 });
    cleanup.push(() => oracle.close());
    const id = await createRun(a.url, { name: 'alternating', id: 'alt' });
    await createRun(oracle.url, { name: 'alternating', id: 'alt' });

    // 3000 steps (under the detector's 4096-step warm-up, so a rebuilt detector is exact):
    // noise, a spike, an explosion, a NaN burst across a batch edge, a level shift, missing
    // norms, gaps. A server whose detector missed the other's batches finds other events.
    const rows: WireStep[] = [];
    const values = new Map<number, number | null>();
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let s = 0; s < 3000; s++) {
      if (s % 97 === 13) continue;
      let g: number | null = 1 + rnd() * 0.2;
      if (s === 700) g = 40;
      if (s === 1500) g = 500;
      if (s >= 1205 && s <= 1225) g = Number.NaN; // rows 1192-1212: across the edge of batches 11 (B) and 12 (A)
      if (s >= 2500) g = 3 + rnd() * 0.2; // a level shift, judged partly by each server
      if (s === 2000) g = Number.POSITIVE_INFINITY;
      if (s % 301 === 5) g = null;
      values.set(s, g);
      rows.push({ step: s, gradNorm: wire(g), loss: wire(g === null ? 0.5 : g / 2) } as WireStep);
    }
    for (let i = 0, k = 0; i < rows.length; i += 100, k++) {
      const batch = rows.slice(i, i + 100);
      const target = k % 2 === 0 ? a : b;
      expect((await call(`${target.url}/api/runs/${id}/steps`, 'POST', { steps: batch })).status).toBe(200);
      await call(`${oracle.url}/api/runs/${id}/steps`, 'POST', { steps: batch });
    }
    // A resend to the other server is a duplicate there too.
    expect((await call(`${b.url}/api/runs/${id}/steps`, 'POST', { steps: rows.slice(0, 100) })).body).toMatchObject({ accepted: 0, duplicates: 100 });

    for (const [from, to, points] of [[0, 2999, 1000], [0, 2999, 7], [123, 2876, 50], [1190, 1215, 1000], [64, 2047, 31]]) {
      for (const server of [a, b]) {
        const got = (await call<StepSeries>(`${server.url}/api/runs/${id}/steps?from=${from}&to=${to}&points=${points}`)).body;
        const w = got.bucketSize;
        const buckets = new Map<number, { first: number; last: number; count: number; nonFinite: number; min: number | null; max: number | null; lastG: number | null }>();
        for (const [s, g] of values) {
          if (s < from || s > to) continue;
          const k = Math.floor(s / w);
          const bk = buckets.get(k) ?? { first: s, last: s, count: 0, nonFinite: 0, min: null, max: null, lastG: null };
          bk.count++;
          if (g !== null && !Number.isFinite(g)) bk.nonFinite++;
          bk.min = bk.count === 1 ? g : pickMin(bk.min, g);
          bk.max = bk.count === 1 ? g : pickMax(bk.max, g);
          bk.last = s;
          bk.lastG = g;
          buckets.set(k, bk);
        }
        const keys = [...buckets.keys()].sort((x, y) => x - y);
        expect(got.step).toEqual(keys.map((k) => buckets.get(k)!.first));
        expect(got.lastStep).toEqual(keys.map((k) => buckets.get(k)!.last));
        expect(got.count).toEqual(keys.map((k) => buckets.get(k)!.count));
        expect(got.nonFinite).toEqual(keys.map((k) => buckets.get(k)!.nonFinite));
        expect(got.gradNorm.min).toEqual(keys.map((k) => wire(buckets.get(k)!.min)));
        expect(got.gradNorm.max).toEqual(keys.map((k) => wire(buckets.get(k)!.max)));
        expect(got.gradNorm.last).toEqual(keys.map((k) => wire(buckets.get(k)!.lastG)));
      }
    }
    const strip = (events: RunEvent[]) => events.map(({ id: _id, createdAt: _at, ...e }) => e);
    const oracleEvents = strip((await call<RunEvent[]>(`${oracle.url}/api/runs/${id}/events`)).body);
    expect(oracleEvents.map((e) => e.kind)).toEqual(expect.arrayContaining(['spike', 'explosion', 'first_nonfinite', 'nonfinite']));
    expect(strip((await call<RunEvent[]>(`${a.url}/api/runs/${id}/events`)).body)).toEqual(oracleEvents);
    const counts = (s: RunSummary) => ({ steps: s.steps, lastStep: s.lastStep, nonFinite: s.nonFinite, events: s.events, clipped: s.clipped, skipped: s.skipped });
    const want = counts((await call<RunSummary>(`${oracle.url}/api/runs/${id}`)).body);
    expect(counts((await call<RunSummary>(`${a.url}/api/runs/${id}`)).body)).toEqual(want);
    expect(counts((await call<RunSummary>(`${b.url}/api/runs/${id}`)).body)).toEqual(want);
  });

  it('should take batches of one run sent to A and B at the same time one after another: counts and rollups as if sent in turn', async () => {
    const { a, b } = await twoServers();
    const id = await createRun(a.url, { name: 'concurrent', id: 'concurrent' });
    // 40 batches of 250 steps, shuffled, each also resent to the other server: all at once.
    const starts = Array.from({ length: 40 }, (_, i) => i * 250).sort((x, y) => ((x * 7919) % 40) - ((y * 7919) % 40));
    const batch = (start: number) => ({ steps: Array.from({ length: 250 }, (_, i) => ({ step: start + i, gradNorm: 1 + ((start + i) % 11) / 10, action: (start + i) % 5 === 0 ? 'clip' : 'apply' })) });
    const replies = await Promise.all(starts.flatMap((start, k) => [
      call(`${(k % 2 === 0 ? a : b).url}/api/runs/${id}/steps`, 'POST', batch(start)),
      call(`${(k % 2 === 0 ? b : a).url}/api/runs/${id}/steps`, 'POST', batch(start)),
    ]));
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    expect(replies.reduce((n, r) => n + (r.body as { accepted: number }).accepted, 0)).toBe(10_000);
    const summary = (await call<RunSummary>(`${b.url}/api/runs/${id}`)).body;
    expect(summary).toMatchObject({ steps: 10_000, lastStep: 9999, clipped: 2000 });
    for (const points of [1000, 37, 5]) {
      const got = (await call<StepSeries>(`${a.url}/api/runs/${id}/steps?points=${points}`)).body;
      const w = got.bucketSize;
      const keys = Array.from({ length: Math.ceil(10_000 / w) }, (_, k) => k);
      expect(got.count).toEqual(keys.map((k) => Math.min(w, 10_000 - k * w)));
      expect(got.clipped).toEqual(keys.map((k) => Array.from({ length: Math.min(w, 10_000 - k * w) }, (_, i) => k * w + i).filter((s) => s % 5 === 0).length));
      expect(got.gradNorm.max).toEqual(keys.map((k) => Math.max(...Array.from({ length: Math.min(w, 10_000 - k * w) }, (_, i) => 1 + ((k * w + i) % 11) / 10))));
    }
  });

  it('should carry an SDK on through B when A is killed with -9 mid-ingest, every acknowledged step stored once', async () => {
    const database = await createTestDatabase();
    cleanup.push(() => database.drop());
    const a = new ServerProcess({ db: database.db });
    const b = new ServerProcess({ db: database.db });
    cleanup.push(() => a.dispose(), () => b.dispose());
    await Promise.all([a.start(), b.start()]);
    const run = await init({ url: [a.url, b.url], id: 'failover', batchSize: 25, flushIntervalMs: 10, spillDir: spillDir(), quiet: true, reconnectDelayMaxMs: 500 });
    cleanup.push(() => run.close({ timeoutMs: 2000 }));
    await waitFor(() => run.status().ready, 20_000, 'the run joined A');
    const N = 4000;
    let killedAt = -1;
    for (let s = 0; s < N; s++) {
      run.observe(s, { gradNorm: 1 + (s % 17) / 10 });
      if (s % 20 === 0) await sleep(1);
      if (s === N / 2) {
        // Mid-ingest: some batches acknowledged by A (a loaded machine may take a while), the rest to come.
        await waitFor(() => run.status().delivered > 0, 20_000, 'a first acknowledgement from A');
        killedAt = run.status().delivered;
        await a.kill9();
      }
    }
    const report = await run.close({ timeoutMs: 30_000 });
    expect(killedAt).toBeGreaterThan(0);
    expect(report).toMatchObject({ delivered: N, undelivered: 0, dropped: 0 });
    const [stored] = await queryRows(database.db, "SELECT count(*) AS n, count(DISTINCT step) AS d, min(step) AS lo, max(step) AS hi FROM steps s JOIN runs r ON r.rid = s.rid WHERE r.id = 'failover'");
    expect(stored).toEqual({ n: N, d: N, lo: 0, hi: N - 1 });
    expect((await call<RunSummary>(`${b.url}/api/runs/failover`)).body).toMatchObject({ steps: N, lastStep: N - 1 });
  });
});
