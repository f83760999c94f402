// Before a server takes a database file: refuse one it could not write, with a message naming
// the file. Otherwise the server would start and then answer every write with an error.
import { accessSync, constants, statSync } from 'node:fs';

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
