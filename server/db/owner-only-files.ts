// The database holds every run's config (often with secrets) and is read by nobody but its
// server, so it and its -wal/-shm are 0600 whatever the umask. SQLite gives a new -wal and
// -shm the mode of the database file, so creating that one 0600 covers files it makes
// later; files left by an older server are narrowed when it opens them.
import { chmodSync, closeSync, constants, openSync } from 'node:fs';
import createDebug from 'debug';

const log = createDebug('gradpilot:db');

export const OWNER_ONLY = 0o600;

/** SQLite's names for a database without a file of its own. */
function isFileDatabase(file: string): boolean {
  return file !== '' && file !== ':memory:' && !file.startsWith('file:');
}

/** Creates the database file 0600 if it is missing (before SQLite creates it with the umask's mode). */
export function createOwnerOnly(file: string): void {
  if (!isFileDatabase(file)) return;
  try {
    closeSync(openSync(file, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, OWNER_ONLY));
  } catch {
    // It exists (restrictToOwner narrows it), or SQLite is about to say why it cannot be opened.
  }
}

/** chmod 0600 the database, -wal and -shm that exist; a file of another owner is left as it is (and logged). */
export function restrictToOwner(file: string): void {
  if (!isFileDatabase(file)) return;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    try {
      chmodSync(f, OWNER_ONLY);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') log('could not make %s owner-only: %s', f, (err as Error).message);
    }
  }
}
