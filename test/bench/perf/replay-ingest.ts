// Ingest latency while replays run: an SDK-like client streams small batches (10 steps, one
// in flight) to one run while 16 clients keep asking `GET /state?after=k` of a long run, each
// a full replay. Without the replay queue each of those interleaved its 10,000-step chunks
// with ingest; with it, one replay runs at a time and the rest wait or get 503.
//   node --conditions=gradpilot-source --import tsx test/bench/perf/replay-ingest.ts [steps]
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { parsePolicy } from '../../../sdk/controller/index.ts';
import { Store } from '../../../server/db/store.ts';
import { startServer } from '../../../server/start-server.ts';
import { connectIngest, request } from '../../server/socket-client.ts';
import { percentile } from '../../load/run-load.ts';
import { buildRun, tempDir } from '../server-fixtures.ts';

export interface ReplayPhase {
  latencies: number[];
  replays: { ok: number; busy: number; other: number };
}

export interface ReplayIngestResult {
  longRunSteps: number;
  /** Ingest alone. */
  baseline: number[];
  /** While the readers replay, one replay at a time (the server's default). */
  queued: ReplayPhase;
  /** The same readers with all 16 replays let run at once (as before the queue). */
  unqueued: ReplayPhase;
}

async function streamFor(url: string, runId: string, ms: number, from: number): Promise<{ latencies: number[]; next: number }> {
  const sock = await connectIngest(url);
  await request(sock, 'join', { runId, rank: 0, worldSize: 1 });
  const latencies: number[] = [];
  let step = from;
  const end = performance.now() + ms;
  while (performance.now() < end) {
    const n = 10;
    const batch = {
      runId, seq: step, step: Array.from({ length: n }, (_, i) => step + i),
      gradNorm: new Float64Array(n).fill(1.5),
    };
    const t0 = performance.now();
    const reply = await request(sock, 'steps', batch);
    if (!reply.ok) throw new Error(`ingest refused: ${reply.error}`);
    latencies.push(performance.now() - t0);
    step += n;
    await new Promise((r) => setTimeout(r, 5));
  }
  sock.close();
  return { latencies, next: step };
}

async function phase(url: string, steps: number, readers: number, ms: number, from: number): Promise<ReplayPhase & { next: number }> {
  let stop = false;
  const replays = { ok: 0, busy: 0, other: 0 };
  const reader = async (): Promise<void> => {
    while (!stop) {
      const after = Math.floor(Math.random() * steps);
      let res: Response;
      try {
        res = await fetch(`${url}/api/runs/long/state?after=${after}`);
        await res.arrayBuffer();
      } catch (err) {
        if (replays.other++ === 0) process.stderr.write(`a state read failed: ${(err as Error).message} (${String((err as Error).cause)})\n`);
        continue;
      }
      if (res.status === 200) replays.ok++;
      else if (res.status === 503) {
        replays.busy++;
        await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? '1') * 100));
      } else replays.other++;
    }
  };
  const readersDone = Promise.all(Array.from({ length: readers }, reader));
  const streamed = await streamFor(url, 'live', ms, from);
  stop = true;
  await readersDone;
  return { latencies: streamed.latencies, replays, next: streamed.next };
}

/** One server per setting, on a copy of the same database with a `steps`-step run. */
export async function measureReplayIngest({ steps = 300_000, seconds = 5, readers = 16 } = {}): Promise<ReplayIngestResult> {
  const tmp = tempDir('gradpilot-bench-replay-');
  const db = path.join(tmp.dir, 'bench.db');
  const store = new Store(db);
  const rid = buildRun(store, 'long', steps);
  // As POST /api/runs does: every run has a first policy version (the replay starts from it).
  store.policies.add(rid, parsePolicy({ kind: 'percentile', p: 10 }), 0, 'bench', new Date().toISOString());
  store.runs.create('live', 'live', null, null, new Date().toISOString());
  store.close();
  const serve = async <T>(replays: { concurrency: number; maxWaiting: number } | undefined, fn: (url: string) => Promise<T>): Promise<T> => {
    const server = await startServer({ db, port: 0, ...(replays ? { replays } : {}) });
    try {
      return await fn(server.url);
    } finally {
      await server.close();
    }
  };
  try {
    const { first, queued } = await serve(undefined, async (url) => {
      const alone = await streamFor(url, 'live', seconds * 1000, 0);
      return { first: alone, queued: await phase(url, steps, readers, seconds * 1000, alone.next) };
    });
    const unqueued = await serve({ concurrency: readers, maxWaiting: readers }, (url) => phase(url, steps, readers, seconds * 1000, queued.next));
    return { longRunSteps: steps, baseline: first.latencies, queued, unqueued };
  } finally {
    tmp.remove();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const r = await measureReplayIngest({ steps: Number(process.argv[2] ?? 300_000) });
  const f = (xs: number[], p: number) => `${percentile(xs, p).toFixed(1)} ms`;
  const line = (name: string, xs: number[], replays?: ReplayPhase['replays']) =>
    `  ${name}: p50 ${f(xs, 50)}, p99 ${f(xs, 99)} (${xs.length} batches)` +
    (replays ? `; replays ${replays.ok} x 200, ${replays.busy} x 503, ${replays.other} other` : '') + '\n';
  process.stdout.write(`ingest ack latency, 10-step batches, while 16 clients replay a ${r.longRunSteps}-step run:\n` +
    line('no replays          ', r.baseline) + line('replays queued (1)  ', r.queued.latencies, r.queued.replays) +
    line('16 replays at once  ', r.unqueued.latencies, r.unqueued.replays));
}
