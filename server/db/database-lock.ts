// One server per database. Two servers on one file each keep their own caches (the highest
// rollup bucket of every run, detectors) and write over each other's rollups. The lock is a
// small SQLite file beside the database, `<db>.lock`: the owner writes its pid into it, then
// keeps a write transaction open on it for as long as it runs. The lock itself is the
// operating system's (SQLite takes a POSIX advisory lock, or a Windows file lock), so it goes
// away with the process however that ends, kill -9 included: a restart never finds a stale
// lock. The file stays (removing it would race with a server that just opened it).
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { DatabaseFileError } from './check-database.ts';

interface Owner {
  pid: number;
  host: string;
  started_at: string;
  token: string;
}

export function lockFileOf(file: string): string {
  return `${file}.lock`;
}

export class DatabaseLock {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Takes the lock of `file`, or throws a DatabaseFileError naming the server that holds it. */
  static acquire(file: string): DatabaseLock {
    const lockFile = lockFileOf(file);
    let db: Database.Database;
    try {
      // No busy wait: a held lock is an answer, not something to wait for.
      db = new Database(lockFile, { timeout: 0 });
    } catch (err) {
      throw new DatabaseFileError(`Cannot create the lock file ${lockFile} beside the database: ${(err as Error).message}. Check that the folder exists and is writable.`);
    }
    try {
      const token = randomBytes(8).toString('hex');
      // Write our pid (committed, so that a second server can read it), then hold the lock.
      // Another server may slip in between the two: whoever then finds someone else's token
      // under its own lock gives up, so at most one holds it (a tie refuses both; try again).
      if (!tryBegin(db)) throw locked(file, lockFile, readOwner(db));
      db.exec('CREATE TABLE IF NOT EXISTS owner (pid INTEGER NOT NULL, host TEXT NOT NULL, started_at TEXT NOT NULL, token TEXT NOT NULL)');
      db.exec('DELETE FROM owner');
      db.prepare('INSERT INTO owner VALUES (?, ?, ?, ?)').run(process.pid, hostname(), new Date().toISOString(), token);
      db.exec('COMMIT');
      if (!tryBegin(db)) throw locked(file, lockFile, readOwner(db));
      const owner = readOwner(db);
      if (owner?.token !== token) throw locked(file, lockFile, owner);
      return new DatabaseLock(db);
    } catch (err) {
      if (db.inTransaction) db.exec('ROLLBACK');
      db.close();
      if (err instanceof DatabaseFileError) throw err;
      throw new DatabaseFileError(`Cannot use the lock file ${lockFile}: ${(err as Error).message}. If it is not a gradpilot lock file, move it away.`);
    }
  }

  release(): void {
    if (!this.#db.open) return;
    if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
    this.#db.close();
  }
}

/** BEGIN IMMEDIATE: false when another connection holds the write lock. */
function tryBegin(db: Database.Database): boolean {
  try {
    db.exec('BEGIN IMMEDIATE');
    return true;
  } catch (err) {
    if ((err as { code?: string }).code?.startsWith('SQLITE_BUSY')) return false;
    throw err;
  }
}

// The holder keeps a RESERVED lock only (it never writes while holding), which lets readers in.
function readOwner(db: Database.Database): Owner | null {
  try {
    return (db.prepare('SELECT pid, host, started_at, token FROM owner LIMIT 1').get() as Owner | undefined) ?? null;
  } catch {
    return null; // the holder has not written its row yet
  }
}

function locked(file: string, lockFile: string, owner: Owner | null): DatabaseFileError {
  const who = owner ? `pid ${owner.pid} on ${owner.host}, running since ${owner.started_at}` : 'it is starting right now';
  return new DatabaseFileError(
    `The database ${file} is in use by another gradpilot server (${who}). One server per database: ` +
      `stop that server first, or pass another --db. (The lock is ${lockFile}; it is released when that process exits.)`,
  );
}
