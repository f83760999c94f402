// The database and its -wal and -shm are readable by their owner only (0600): a new file is
// created so whatever the umask, and files made earlier with the umask's 0644 are narrowed
// when the server opens them.
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../../server/start-server.ts';

const json = { 'content-type': 'application/json' };
const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8);
const modes = (db: string) => Object.fromEntries(['', '-wal', '-shm'].map((suffix) => [`db${suffix}`, modeOf(db + suffix)]));

describe('database file modes', () => {
  let dir: string;
  let umask: number;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-mode-'));
    // The usual umask, with which SQLite alone makes every file 0644.
    umask = process.umask(0o022);
  });
  afterAll(() => {
    process.umask(umask);
    rmSync(dir, { recursive: true, force: true });
  });

  it('should create the database, -wal and -shm as 0600', async () => {
    const db = path.join(dir, 'new.db');
    const server = await startServer({ db, port: 0, host: '127.0.0.1' });
    try {
      const res = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: json, body: JSON.stringify({ name: 'private' }) });
      expect(res.status).toBe(201);
      expect(modes(db)).toEqual({ db: '600', 'db-wal': '600', 'db-shm': '600' });
    } finally {
      await server.close();
    }
  });

  it('should narrow a database and its -wal and -shm left 0644 to 0600 when it opens them', async () => {
    const db = path.join(dir, 'old.db');
    // An older server's files: another connection keeps the -wal and -shm in place.
    const other = new Database(db);
    other.pragma('journal_mode = WAL');
    other.exec('CREATE TABLE IF NOT EXISTS t (x); INSERT INTO t VALUES (1)');
    for (const suffix of ['', '-wal', '-shm']) chmodSync(db + suffix, 0o644);
    expect(modes(db)).toEqual({ db: '644', 'db-wal': '644', 'db-shm': '644' });
    const server = await startServer({ db, port: 0, host: '127.0.0.1' });
    try {
      expect(modes(db)).toEqual({ db: '600', 'db-wal': '600', 'db-shm': '600' });
    } finally {
      await server.close();
      other.close();
    }
  });
});
