// The store as a server opens it: a file it can write, or a DatabaseFileError naming the file.
// Tools that only read (`gradpilot export`) open a plain Store and skip this.
import { checkWritableFile } from './check-database.ts';
import { Store } from './store.ts';
import type { FaultReporter } from './write-health.ts';

/** SQLite's names for databases that are no file: nothing to lock or check. */
function isFileName(file: string): boolean {
  return file !== ':memory:' && file !== '' && !file.startsWith('file:');
}

export function openServerStore(file: string, { report }: { report?: FaultReporter } = {}): Store {
  if (!isFileName(file)) return new Store(file, { ...(report ? { report } : {}) });
  checkWritableFile(file);
  return new Store(file, { ...(report ? { report } : {}) });
}
