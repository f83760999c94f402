// Load: many runs streaming at once over /ingest (columnar binary batches, as the SDK sends
// them) while a dashboard follows all of them on /live. Measures the ingest latency (batch
// sent -> acknowledged after commit) and the step -> dashboard latency (batch sent -> its
// steps pushed on /live), and checks that nothing failed, was lost, or was pushed twice.
import { type Socket, io } from 'socket.io-client';
import type { LiveSteps } from '../../sdk/protocol/socket-events.ts';

export interface LoadOptions {
  url: string;
  runs: number;
  durationMs: number;
  /** Steps per batch and the pause between a run's batches. */
  batchSteps: number;
  intervalMs: number;
  /** Batches every run sends however slow the machine is (so a test's content does not depend on speed). */
  minBatches?: number;
  token?: string;
}

export interface LoadResult {
  runs: number;
  seconds: number;
  stepsSent: number;
  stepsAcked: number;
  /** Steps pushed on /live (each counted once), and the ones pushed more than once. */
  stepsLive: number;
  liveDuplicates: number;
  errors: string[];
  /** Milliseconds, one per batch. */
  ingestMs: number[];
  /** Milliseconds, one per step. */
  dashboardMs: number[];
}

/** Nearest-rank percentile of unsorted values (p in [0, 100]). */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

function connect(url: string, auth: Record<string, unknown>): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = io(url, { transports: ['websocket'], reconnection: false, forceNew: true, auth });
    s.once('connect', () => resolve(s));
    s.once('connect_error', reject);
  });
}

async function createRun(url: string, id: string, token?: string): Promise<void> {
  const res = await fetch(`${url}/api/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ id, name: id, project: 'load', policy: { kind: 'percentile', p: 10 } }),
  });
  if (res.status !== 201) throw new Error(`POST /api/runs ${id}: ${res.status} ${await res.text()}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLoad({ url, runs, durationMs, batchSteps, intervalMs, minBatches = 0, token }: LoadOptions): Promise<LoadResult> {
  const prefix = `load-${Date.now().toString(36)}`;
  const ids = Array.from({ length: runs }, (_, i) => `${prefix}-${i}`);
  await Promise.all(ids.map((id) => createRun(url, id, token)));
  const errors: string[] = [];
  const ingestMs: number[] = [];
  const dashboardMs: number[] = [];
  /** `${run}:${firstStep}` -> send time, per batch. */
  const sentAt = new Map<string, number>();
  const liveSeen = ids.map(() => new Set<number>());
  const runIndex = new Map(ids.map((id, i) => [id, i]));
  let liveDuplicates = 0;

  const dashboard = await connect(`${url}/live`, {});
  dashboard.on('steps', (s: LiveSteps) => {
    const now = performance.now();
    const r = runIndex.get(s.runId);
    if (r === undefined) return;
    for (const step of s.step) {
      if (liveSeen[r].has(step)) liveDuplicates++;
      liveSeen[r].add(step);
      const t = sentAt.get(`${r}:${step - (step % batchSteps)}`);
      if (t !== undefined) dashboardMs.push(now - t);
    }
  });
  for (const id of ids) {
    const reply = (await dashboard.timeout(10_000).emitWithAck('subscribe', { runId: id })) as { ok: boolean; error?: string };
    if (!reply.ok) errors.push(`subscribe ${id}: ${reply.error}`);
  }

  const sockets = await Promise.all(ids.map(() => connect(`${url}/ingest`, token ? { token } : {})));
  await Promise.all(
    sockets.map(async (s, r) => {
      const reply = (await s.timeout(10_000).emitWithAck('join', { runId: ids[r], rank: 0, worldSize: 1 })) as { ok: boolean; error?: string };
      if (!reply.ok) errors.push(`join ${ids[r]}: ${reply.error}`);
    }),
  );

  let stepsSent = 0;
  let stepsAcked = 0;
  const inFlight = new Set<Promise<void>>();
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    sockets.map(async (s, r) => {
      await sleep(Math.random() * intervalMs); // spread the runs over the interval
      for (let seq = 0, next = 0; seq < minBatches || performance.now() < end; seq++, next += batchSteps) {
        const step = new Float64Array(batchSteps);
        const gradNorm = new Float64Array(batchSteps);
        const threshold = new Float64Array(batchSteps);
        for (let i = 0; i < batchSteps; i++) {
          step[i] = next + i;
          gradNorm[i] = 1 + Math.random();
          threshold[i] = 1.5;
        }
        const t0 = performance.now();
        sentAt.set(`${r}:${next}`, t0);
        stepsSent += batchSteps;
        const p = s
          .timeout(30_000)
          .emitWithAck('steps', { runId: ids[r], seq, step, gradNorm, threshold, action: new Array(batchSteps).fill('apply') })
          .then(
            (reply: { ok: boolean; error?: string; result?: { accepted: number } }) => {
              ingestMs.push(performance.now() - t0);
              if (reply.ok) stepsAcked += reply.result?.accepted ?? 0;
              else errors.push(`steps ${ids[r]} seq ${seq}: ${reply.error}`);
            },
            (err: Error) => {
              errors.push(`steps ${ids[r]} seq ${seq}: ${err.message}`);
            },
          );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        await sleep(intervalMs);
      }
    }),
  );
  await Promise.all(inFlight);
  const seconds = (performance.now() - start) / 1000;
  // The live broadcaster batches per run (50 ms): give the last pushes time to arrive.
  const waitUntil = performance.now() + 30_000;
  const liveCount = () => liveSeen.reduce((n, s) => n + s.size, 0);
  while (liveCount() < stepsAcked && performance.now() < waitUntil) await sleep(20);
  for (const s of sockets) s.close();
  dashboard.close();
  return { runs, seconds, stepsSent, stepsAcked, stepsLive: liveCount(), liveDuplicates, errors, ingestMs, dashboardMs };
}

/** One line per figure, for the soak script and the performance table. */
export function summarizeLoad(r: LoadResult): string {
  const f = (v: number) => v.toFixed(1);
  return [
    `${r.runs} runs for ${r.seconds.toFixed(1)} s: ${r.stepsSent} steps sent, ${r.stepsAcked} acknowledged, ${r.stepsLive} pushed live (${r.liveDuplicates} twice), ${r.errors.length} errors`,
    `throughput ${Math.round(r.stepsAcked / r.seconds)} steps/s`,
    `ingest latency (batch -> ack):      p50 ${f(percentile(r.ingestMs, 50))} ms, p99 ${f(percentile(r.ingestMs, 99))} ms (${r.ingestMs.length} batches)`,
    `step -> dashboard latency (/live):  p50 ${f(percentile(r.dashboardMs, 50))} ms, p99 ${f(percentile(r.dashboardMs, 99))} ms (${r.dashboardMs.length} steps)`,
  ].join('\n');
}
