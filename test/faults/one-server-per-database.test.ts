// Two servers on one database file would each keep their own caches of the run's rollups and
// write over the other's. The second is refused, naming the file and the first one's pid; the
// lock goes away with its holder, kill -9 included, so a restart just works. The first is a
// real `gradpilot serve` process (its pid, its kill -9); the second and the restart start in
// this process, as `gradpilot serve` does (its startServer), which keeps the test fast.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startServer } from '../../server/start-server.ts';
import { ServerProcess } from '../support/server-process.ts';

describe('two servers on one database', () => {
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  it('should refuse the second server, naming the file and the pid, and let a restart after kill -9 take over', async () => {
    const first = new ServerProcess();
    cleanup.push(() => first.dispose());
    await first.start();

    const second = startServer({ db: first.db, port: 0, host: '127.0.0.1' });
    await expect(second).rejects.toThrow(`The database ${first.db} is in use by another gradpilot server (pid ${first.pid} on `);
    await expect(second).rejects.toThrow(/stop that server first, or pass another --db/);
    expect((await fetch(`${first.url}/api/health`)).status).toBe(200); // the first one is untouched

    // kill -9 runs no shutdown code: the operating system drops the lock with the process.
    await first.kill9();
    expect(existsSync(`${first.db}.lock`)).toBe(true);
    const restarted = await startServer({ db: first.db, port: 0, host: '127.0.0.1' });
    cleanup.push(() => restarted.close());
    expect(await (await fetch(`${restarted.url}/api/health`)).json()).toMatchObject({ ok: true });
    // ...and its close releases it for the next one.
    await restarted.close();
    const again = await startServer({ db: first.db, port: 0, host: '127.0.0.1' });
    await again.close();
  }, 120_000);
});
