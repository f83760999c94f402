// The PostgreSQL figures, in one run on a throwaway cluster with PostgreSQL's default
// durability (fsync, synchronous commit: every batch's commit waits for the disk):
// - ingest over the socket (binary columns, acked after commit) beside a raw `pg` insert of
//   the same rows (INSERT ... SELECT FROM unnest, one transaction per 1000-step batch), rounds
//   interleaved as in ingest-query.ts;
// - points=1000 queries over runs of 1e4..1e7 steps (built through the store's own insert, so
//   rollups are real);
// - two runs streamed at once to one server, and to two servers on the same database.
import pg from 'pg';
import { querySteps } from '../../../server/query/query-steps.ts';
import { openPostgresStore } from '../../../server/db/postgres/pg-server-store.ts';
import { insertBatch } from '../../../server/db/postgres/pg-steps.ts';
import { bumpRun, createRunRow } from '../../../server/db/postgres/pg-runs.ts';
import { encodeAction } from '../../../server/db/step-codec.ts';
import { type RunningServer, startServer } from '../../../server/start-server.ts';
import { STEPS_PER_ROUND, startClient } from '../server-contenders.ts';
import { BATCH, makeBatch, toColumns } from '../server-fixtures.ts';
import { startPostgresCluster } from '../../support/postgres-cluster.ts';
import type { RoundTime } from './ingest-query.ts';

export interface PostgresFigures {
  raw: RoundTime;
  socket: RoundTime;
  /** Size -> median ms of querySteps(points=1000) over the whole run. */
  queries: Map<number, number>;
  /** Steps per second of two runs streamed at once: both to one server, and one to each of two. */
  oneServer: number;
  twoServers: number;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn: () => unknown): Promise<RoundTime> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wallMs: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

async function createRun(server: RunningServer, name: string): Promise<string> {
  const res = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  return ((await res.json()) as { id: string }).id;
}

/** The baseline: the same rows into a table shaped like `steps`, one unnest INSERT and one transaction per batch. */
async function rawInserter(url: string): Promise<{ insert(start: number): Promise<void>; close(): Promise<void> }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query(`CREATE TABLE raw_steps (rid BIGINT NOT NULL, step BIGINT NOT NULL, grad_norm DOUBLE PRECISION, loss DOUBLE PRECISION,
    lr DOUBLE PRECISION, threshold DOUBLE PRECISION, coef DOUBLE PRECISION, action SMALLINT, nan INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (rid, step))`);
  return {
    async insert(start) {
      const b = makeBatch(start);
      await client.query('BEGIN');
      await client.query(
        `INSERT INTO raw_steps SELECT 1, * FROM unnest($1::bigint[], $2::float8[], $3::float8[], $4::float8[], $5::float8[], $6::float8[], $7::smallint[], $8::int[])
         ON CONFLICT DO NOTHING`,
        [Array.from(b.step), Array.from(b.gradNorm), Array.from(b.loss), Array.from(b.lr), Array.from(b.threshold), Array.from(b.coef), b.action.map(encodeAction), new Array(b.step.length).fill(0)],
      );
      await client.query('COMMIT');
    },
    close: () => client.end(),
  };
}

export async function measurePostgres({ rounds = 10, warmup = 2, querySizes = [10_000, 1_000_000, 10_000_000], log = (_: string) => {} } = {}): Promise<PostgresFigures> {
  const cluster = await startPostgresCluster({ durable: true });
  try {
    // ── ingest: socket against raw, interleaved ──
    const ingestDb = await cluster.createDatabase('ingest');
    const server = await startServer({ db: ingestDb, port: 0 });
    const raw = await rawInserter(ingestDb);
    const client = await startClient();
    const runId = await createRun(server, 'socket');
    let nextRaw = 0;
    let nextSocket = 0;
    const times: RoundTime[][] = [[], []];
    for (let round = 0; round < rounds + warmup; round++) {
      const start = nextRaw;
      nextRaw += STEPS_PER_ROUND;
      const tr = await time(async () => {
        for (let i = 0; i < STEPS_PER_ROUND / BATCH; i++) await raw.insert(start + i * BATCH);
      });
      const ts = await time(() => client.run({ kind: 'socket', url: server.url, runId, start: nextSocket, steps: STEPS_PER_ROUND }));
      nextSocket += STEPS_PER_ROUND;
      if (round >= warmup) times[0].push(tr), times[1].push(ts);
    }
    const med = (ts: RoundTime[]) => ({ wallMs: median(ts.map((t) => t.wallMs)), cpuMs: median(ts.map((t) => t.cpuMs)) });

    // ── two runs at once: one server, then two on the same database ──
    const second = await startServer({ db: ingestDb, port: 0 });
    const client2 = await startClient();
    const runs = [await createRun(server, 'one-a'), await createRun(server, 'one-b'), await createRun(server, 'two-a'), await createRun(server, 'two-b')];
    const pairTimes: number[][] = [[], []];
    for (let round = 0; round < 4 + 1; round++) {
      const at = round * STEPS_PER_ROUND;
      const one = await time(() => Promise.all([client.run({ kind: 'socket', url: server.url, runId: runs[0], start: at, steps: STEPS_PER_ROUND }), client2.run({ kind: 'socket', url: server.url, runId: runs[1], start: at, steps: STEPS_PER_ROUND })]));
      const two = await time(() => Promise.all([client.run({ kind: 'socket', url: server.url, runId: runs[2], start: at, steps: STEPS_PER_ROUND }), client2.run({ kind: 'socket', url: second.url, runId: runs[3], start: at, steps: STEPS_PER_ROUND })]));
      if (round >= 1) pairTimes[0].push(one.wallMs), pairTimes[1].push(two.wallMs);
    }
    client.close();
    client2.close();
    await raw.close();
    await second.close();
    await server.close();

    // ── queries: runs of each size, built through the store's insert ──
    const store = await openPostgresStore(await cluster.createDatabase('query'));
    const rids = new Map<number, number>();
    for (const n of querySizes) {
      const t0 = performance.now();
      const run = await store.db.transaction((sql) => createRunRow(sql, `run-${n}`, `run-${n}`, null, null, 'now'));
      const chunk = 50_000;
      for (let start = 0; start < n; start += chunk) {
        const cols = toColumns(makeBatch(start, Math.min(chunk, n - start)));
        await store.db.transaction(async (sql) => {
          const r = await insertBatch(sql, run.rid, cols);
          await bumpRun(sql, run.rid, { accepted: r.inserted.length, clipped: r.clipped, skipped: r.skipped, nonFinite: r.nonFinite, maxStep: r.maxStep }, 0, 'now');
        });
      }
      await store.db.sql.run('VACUUM ANALYZE');
      rids.set(n, run.rid);
      log(`built a PostgreSQL run of ${n} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const queryTimes = querySizes.map(() => [] as number[]);
    for (let round = 0; round < 23; round++) {
      for (let i = 0; i < querySizes.length; i++) {
        const n = querySizes[i];
        const t0 = performance.now();
        const s = await querySteps(store.steps, rids.get(n)!, 'q', 0, n - 1, 1000);
        if (s.step.length === 0 || s.step.length > 1000) throw new Error('unexpected series');
        if (round >= 3) queryTimes[i].push(performance.now() - t0);
      }
    }
    await store.close();
    const pairSteps = (ms: number) => ((2 * STEPS_PER_ROUND) / ms) * 1000;
    return {
      raw: med(times[0]),
      socket: med(times[1]),
      queries: new Map(querySizes.map((n, i) => [n, median(queryTimes[i])])),
      oneServer: pairSteps(median(pairTimes[0])),
      twoServers: pairSteps(median(pairTimes[1])),
    };
  } finally {
    cluster.stop();
  }
}
