// The store as a server opens it: the database lock (one server per file), then a file it can
// write and SQLite finds sound, or a DatabaseFileError naming the file. Tools that only read
// (`gradpilot export`) open a plain Store and skip all of this.
import { checkWritableFile } from './check-database.ts';
import { DatabaseLock } from './database-lock.ts';
import { Store } from './store.ts';
import type { FaultReporter } from './write-health.ts';

/** SQLite's names for databases that are no file: nothing to lock or check. */
function isFileName(file: string): boolean {
  return file !== ':memory:' && file !== '' && !file.startsWith('file:');
}

export function openServerStore(file: string, { report }: { report?: FaultReporter } = {}): Store {
  if (!isFileName(file)) return new Store(file, { ...(report ? { report } : {}) });
  // Before the lock, which creates a file beside it: a read-only database is refused as such.
  checkWritableFile(file);
  const lock = DatabaseLock.acquire(file);
  try {
    return new Store(file, { ...(report ? { report } : {}), verify: true, onClose: () => lock.release() });
  } catch (err) {
    lock.release();
    throw err;
  }
}
