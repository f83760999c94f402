// A database the server could not write is refused at start, naming the file, instead of
// starting and answering every write with an error: a file marked read-only (0444, in a
// writable folder; refused for root too, who could write it regardless) by `gradpilot serve`,
// and a file on a read-only file system (a tmpfs remounted read-only, where mounting is
// allowed) by startServer.
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { Store } from '../../server/db/store.ts';
import { startServer } from '../../server/start-server.ts';
import { runCli } from '../support/server-process.ts';
import { mountSmallFilesystem } from '../support/small-filesystem.ts';

describe('a read-only database', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0).reverse()) fn();
  });

  it('should refuse a database file of mode 0444, naming it, and create nothing beside it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-ro-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const db = path.join(dir, 'runs.db');
    new Store(db).close();
    chmodSync(db, 0o444);

    const r = await runCli(['serve', '--port', '0', '--db', db], {}, 20_000);
    expect(r.code).toBe(1);
    expect(r.stdout).not.toMatch(/listening/);
    expect(r.stderr).toContain(`The database ${db} is read-only (mode 0444), so every write would fail.`);
    expect(r.stderr).toContain(`chmod u+w "${db}"`);
    for (const beside of ['-wal', '-shm', '.lock']) expect(existsSync(db + beside)).toBe(false);
  }, 60_000);

  const small = mountSmallFilesystem(1024 * 1024);
  afterAll(() => {
    if (typeof small !== 'string') small.unmount();
  });
  it.skipIf(typeof small === 'string')('should refuse a database on a read-only file system, naming it', async () => {
    if (typeof small === 'string') return;
    const db = path.join(small.dir, 'runs.db');
    new Store(db).close();
    small.remount(true);

    await expect(startServer({ db, port: 0, host: '127.0.0.1' })).rejects.toThrow(`The database ${db} is on a read-only file system, so every write would fail.`);
  }, 60_000);
});
