// PostgreSQL going away under a running server (its own throwaway cluster, shut down and
// started again): batches meanwhile are server faults (`retry: true`), never refusals, so the
// SDK keeps every step and delivers it once PostgreSQL is back; the server neither crashes nor
// stays broken (its socket.io adapter listens again: a second server's dashboard gets live
// steps), /api/health says 503 while it is down, and no message shows the URL's password.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type GradpilotError, init } from '../../sdk/index.ts';
import { startServer } from '../../server/start-server.ts';
import { LiveFollower } from '../support/live-follower.ts';
import { startPostgresCluster } from '../support/postgres-cluster.ts';
import { queryRows } from '../support/test-database.ts';
import { sleep, tempDir, waitFor, yieldToEventLoop } from '../sdk/helpers.ts';

const PASSWORD = 'hunter2-do-not-print';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('PostgreSQL down under a running server', () => {
  it('should keep every step the SDK sees while it is down and store each once when it is back', async () => {
    const cluster = await startPostgresCluster();
    cleanup.push(() => cluster.stop());
    // Trust authentication ignores the password; it is there to be kept out of every message.
    const plain = await cluster.createDatabase();
    const url = new URL(plain);
    url.password = PASSWORD;
    const said: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
      said.push(String(chunk));
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    });
    const server = await startServer({ db: url.toString(), port: 0 });
    cleanup.push(() => server.close());
    const other = await startServer({ db: url.toString(), port: 0 });
    cleanup.push(() => other.close());
    const spill = tempDir();
    cleanup.push(() => rmSync(spill, { recursive: true, force: true }));

    const errors: GradpilotError[] = [];
    const run = await init({ url: server.url, id: 'pg-down', batchSize: 50, flushIntervalMs: 50, reconnectDelayMaxMs: 500, spillDir: spill, quiet: true });
    cleanup.push(() => run.close({ timeoutMs: 0 }));
    run.on('error', (e) => errors.push(e as GradpilotError));
    const N = 1500;
    const observe = async (from: number, to: number): Promise<void> => {
      for (let s = from; s < to; s++) {
        run.observe(s, { gradNorm: 1 + (s % 11) / 10, loss: 1 / (1 + s) });
        if (s % 50 === 49) await yieldToEventLoop();
      }
    };
    await observe(0, 500);
    await run.flush({ timeoutMs: 10_000 });

    cluster.pause();
    await observe(500, 1000);
    await waitFor(() => errors.some((e) => e.code === 'SERVER_FAULT'), 20_000, 'a SERVER_FAULT report while PostgreSQL is down');
    expect(errors.filter((e) => e.code === 'INVALID_STEP')).toEqual([]);
    const health = await fetch(`${server.url}/api/health`);
    expect(health.status).toBe(503);
    const healthText = await health.text();
    await sleep(500);

    cluster.resume();
    await run.flush({ timeoutMs: 30_000 });
    const follower = new LiveFollower(other.url, run.id);
    cleanup.push(() => follower.close());
    await follower.start();
    // The adapters reconnect their LISTEN sessions on a timer (1-3 s): steps pushed before
    // that are missed by the other server's dashboard, as NOTIFY keeps nothing. Once one
    // arrives there, every later one must.
    let s = 1000;
    for (; s < N && follower.live.length === 0; s++) {
      run.observe(s, { gradNorm: 1 + (s % 11) / 10, loss: 1 / (1 + s) });
      await run.flush({ timeoutMs: 10_000 });
      await sleep(50);
    }
    expect(follower.live.length, 'no live step reached the other server after PostgreSQL came back').toBeGreaterThan(0);
    const firstSeen = follower.live[0];
    await observe(s, N);
    const closed = await run.close({ timeoutMs: 30_000 });
    await waitFor(() => follower.live.includes(N - 1), 15_000, 'the last step live on the other server');
    expect([...new Set(follower.live)].sort((x, y) => x - y)).toEqual(Array.from({ length: N - firstSeen }, (_, i) => firstSeen + i));
    expect(closed.undelivered).toBe(0);
    expect(closed.dropped).toBe(0);
    const rows = await queryRows(plain, `SELECT count(*) AS n, count(DISTINCT step) AS d, min(step) AS lo, max(step) AS hi
      FROM steps WHERE rid = (SELECT rid FROM runs WHERE id = 'pg-down')`);
    expect(rows[0]).toEqual({ n: N, d: N, lo: 0, hi: N - 1 });
    await waitFor(async () => (await fetch(`${server.url}/api/health`)).status === 200, 15_000, 'health 200 again');

    for (const text of [healthText, ...errors.map((e) => e.message), ...said]) expect(text).not.toContain(PASSWORD);
  }, 90_000);
});
