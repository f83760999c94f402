// Before a server takes a database file: refuse one it could not write, or one SQLite finds
// damaged, with a message naming the file. Otherwise the server would start and then answer
// every write with an error (read-only), or take writes into a damaged b-tree and fail later,
// in the middle of an export.
import { accessSync, constants, statSync } from 'node:fs';
import type Database from 'better-sqlite3';

/** The file cannot be served; the message says why and what to do. */
export class DatabaseFileError extends Error {
  override name = 'DatabaseFileError';
}

function mode(bits: number): string {
  return '0' + (bits & 0o777).toString(8);
}

/**
 * The file, if it exists, must be writable: not marked read-only (no write bit at all, which
 * root would otherwise ignore), and writable by this user.
 */
export function checkWritableFile(file: string): void {
  let st;
  try {
    st = statSync(file);
  } catch {
    return; // created on open; a folder we cannot write fails there, with its own message
  }
  if (!st.isFile()) throw new DatabaseFileError(`The database ${file} is not a regular file; pass a file path with --db`);
  if ((st.mode & 0o222) === 0) {
    throw new DatabaseFileError(
      `The database ${file} is read-only (mode ${mode(st.mode)}), so every write would fail. ` +
        `Make it writable (chmod u+w "${file}"), or pass another --db; \`gradpilot export --db "${file}"\` reads it as it is.`,
    );
  }
  try {
    accessSync(file, constants.W_OK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EROFS') {
      throw new DatabaseFileError(`The database ${file} is on a read-only file system, so every write would fail. Serve a copy on a writable disk, or pass another --db.`);
    }
    const uid = typeof process.getuid === 'function' ? `uid ${process.getuid()}` : 'this user';
    throw new DatabaseFileError(
      `The database ${file} is not writable by the server (${uid}; the file has mode ${mode(st.mode)}, owner uid ${st.uid}), so every write would fail. ` +
        `Run the server as its owner or change the file's permissions, or pass another --db.`,
    );
  }
}

/**
 * On the freshly opened connection, before anything writes: `PRAGMA quick_check` (every page
 * of every b-tree, without the slower index cross-checks of integrity_check), then a write
 * probe that is rolled back (a read-only mount or attribute passes the permission checks).
 */
export function checkOpenDatabase(db: Database.Database, file: string): void {
  let problems: string[];
  try {
    problems = (db.pragma('quick_check') as { quick_check: string }[]).map((r) => r.quick_check);
  } catch (err) {
    problems = [`${(err as Error).message} (${(err as { code?: string }).code ?? 'error'})`];
  }
  if (problems.length !== 1 || problems[0] !== 'ok') {
    const shown = problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; and ${problems.length - 3} more` : '');
    throw new DatabaseFileError(
      `The database ${file} is damaged: PRAGMA quick_check found: ${shown}. Refusing to serve it (writes would go into a broken file). ` +
        `Restore a backup, or salvage what SQLite can read: \`sqlite3 "${file}" .recover | sqlite3 recovered.db\`, then serve recovered.db.`,
    );
  }
  const version = db.pragma('user_version', { simple: true }) as number;
  try {
    db.exec('BEGIN IMMEDIATE');
    db.pragma(`user_version = ${version}`);
  } catch (err) {
    const code = (err as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_READONLY')) {
      throw new DatabaseFileError(
        `The database ${file} cannot be written (${code}: ${(err as Error).message}): a read-only file system, or a file attribute? ` +
          'Every write would fail. Serve a writable copy, or pass another --db.',
      );
    }
    // Anything else (a lock held by another program, a full disk) passes: the server starts,
    // reads work, and its writes say what is wrong.
  } finally {
    if (db.inTransaction) db.exec('ROLLBACK');
  }
}
