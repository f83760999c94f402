// The contenders of the server benchmarks, shared by server.bench.ts (vitest bench) and
// server-report.ts (prints the README table). Each ingest contender stores the next
// STEPS_PER_ROUND steps of its own run, in batches of BATCH steps, one transaction each.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Store } from '../../server/db/store.ts';
import { SqliteServerStore } from '../../server/db/sqlite-server-store.ts';
import { querySteps } from '../../server/query/query-steps.ts';
import { type RunningServer, startServer } from '../../server/start-server.ts';
import { BATCH, RawInsert, buildRun, makeBatch, tempDir } from './server-fixtures.ts';

export const STEPS_PER_ROUND = 50_000;

export interface IngestContenders {
  raw(): void;
  socket(): Promise<void>;
  http(): Promise<void>;
  close(): Promise<void>;
}

export async function setupIngest(): Promise<IngestContenders> {
  const tmp = tempDir('gradpilot-bench-ingest-');
  const raw = new RawInsert(path.join(tmp.dir, 'raw.db'));
  // One server (and SQLite file) per transport, so that neither pays for the other's WAL
  // checkpoints.
  const socketServer: RunningServer = await startServer({ db: path.join(tmp.dir, 'socket.db'), port: 0 });
  const httpServer: RunningServer = await startServer({ db: path.join(tmp.dir, 'http.db'), port: 0 });
  const create = async (server: RunningServer, name: string) =>
    ((await (await fetch(`${server.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name }) })).json()) as { id: string }).id;
  const socketRun = await create(socketServer, 'socket');
  const httpRun = await create(httpServer, 'http');
  const client = await startClient();
  const next = { raw: 0, socket: 0, http: 0 };
  const take = (kind: keyof typeof next) => {
    const start = next[kind];
    next[kind] += STEPS_PER_ROUND;
    return start;
  };
  return {
    raw() {
      const start = take('raw');
      for (let i = 0; i < STEPS_PER_ROUND / BATCH; i++) raw.insert(makeBatch(start + i * BATCH));
    },
    socket: () => client.run({ kind: 'socket', url: socketServer.url, runId: socketRun, start: take('socket'), steps: STEPS_PER_ROUND }),
    http: () => client.run({ kind: 'http', url: httpServer.url, runId: httpRun, start: take('http'), steps: STEPS_PER_ROUND }),
    async close() {
      client.close();
      await socketServer.close();
      await httpServer.close();
      raw.db.close();
      tmp.remove();
    },
  };
}

/** The SDK stand-in in its own process (server-bench-client.ts), driven over IPC. */
export async function startClient(): Promise<{ run(job: object): Promise<void>; close(): void }> {
  const script = path.join(path.dirname(fileURLToPath(import.meta.url)), 'server-bench-client.ts');
  const child: ChildProcess = fork(script, [], { execArgv: ['--conditions=gradpilot-source', '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  type Reply = { ready?: boolean; done?: boolean; error?: string };
  let pending: { resolve(m: Reply): void; reject(e: Error): void } | null = null;
  child.on('message', (m) => pending?.resolve(m as Reply));
  child.on('exit', (code) => pending?.reject(new Error(`benchmark client exited with ${code}`)));
  const nextMessage = () => new Promise<Reply>((resolve, reject) => (pending = { resolve, reject }));
  await nextMessage();
  return {
    async run(job) {
      const reply = nextMessage();
      child.send(job);
      const m = await reply;
      if (m.error) throw new Error(m.error);
    },
    close() {
      child.send('exit');
    },
  };
}

export const QUERY_SIZES = [10_000, 1_000_000, 10_000_000] as const;

export interface QueryContenders {
  /** points=1000 over the whole run of `size` steps. */
  query(size: number): Promise<void>;
  close(): void;
}

/** Builds one run per size in a temp file through the store layer (real rollups). Slow for 1e7. */
export function setupQueries(sizes: readonly number[] = QUERY_SIZES, log: (msg: string) => void = () => {}): QueryContenders {
  const tmp = tempDir('gradpilot-bench-query-');
  const store = new Store(path.join(tmp.dir, 'query.db'));
  const rids = new Map<number, number>();
  for (const n of sizes) {
    const t0 = performance.now();
    rids.set(n, buildRun(store, `run-${n}`, n));
    log(`built a run of ${n} steps in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const { steps } = new SqliteServerStore(store);
  return {
    async query(size) {
      const rid = rids.get(size)!;
      const s = await querySteps(steps, rid, String(rid), 0, size - 1, 1000);
      if (s.step.length === 0 || s.step.length > 1000) throw new Error('unexpected series');
    },
    close() {
      store.close();
      tmp.remove();
    },
  };
}
