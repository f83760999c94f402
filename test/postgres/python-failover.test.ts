// The Python SDK fails over as the TS one does (two-instances.test.ts): two `gradpilot serve`
// processes on one PostgreSQL database, the first killed with -9 mid-ingest; the run carries on
// through the second and every step is stored once.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { ServerProcess, REPO_ROOT } from '../support/server-process.ts';
import { createTestDatabase, queryRows } from '../support/test-database.ts';
import { tempDir } from '../sdk/helpers.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('Python SDK with two servers', () => {
  it('should carry on through B when A is killed with -9 mid-ingest, every step stored once', async () => {
    const database = await createTestDatabase();
    cleanup.push(() => database.drop());
    const a = new ServerProcess({ db: database.db });
    const b = new ServerProcess({ db: database.db });
    cleanup.push(() => a.dispose(), () => b.dispose());
    await Promise.all([a.start(), b.start()]);
    const spill = tempDir();
    cleanup.push(() => rmSync(spill, { recursive: true, force: true }));
    const N = 3000;
    const child = spawn('/usr/bin/python3', ['test/postgres/python_failover.py', `${a.url},${b.url}`, 'py-failover', spill, String(N)], {
      cwd: REPO_ROOT,
      env: { ...process.env, PYTHONPATH: 'sdk/python', PYTHONDONTWRITEBYTECODE: '1' },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    cleanup.push(() => void child.kill('SIGKILL'));
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const half = (await lines.next()).value as string;
    expect(half).toMatch(/^half /);
    expect(JSON.parse(half.slice(5)).delivered).toBeGreaterThan(0);
    await a.kill9();
    child.stdin!.write('go\n');
    const report = JSON.parse((await lines.next()).value as string);
    expect(report).toMatchObject({ delivered: N, undelivered: 0, dropped: 0 });
    const [stored] = await queryRows(database.db, "SELECT count(*) AS n, count(DISTINCT step) AS d, min(step) AS lo, max(step) AS hi FROM steps s JOIN runs r ON r.rid = s.rid WHERE r.id = 'py-failover'");
    expect(stored).toEqual({ n: N, d: N, lo: 0, hi: N - 1 });
  });
});
