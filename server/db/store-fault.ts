// SQLite errors that say the store cannot do its job right now (disk full, locked, read-only,
// I/O error, damaged), as opposed to a bug or a bad request. The request that met one was
// fine: it is answered 5xx (socket: `retry: true`) and the client keeps it and sends it again.
import Database from 'better-sqlite3';

/** How long a write waits for another process's lock before it fails with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 2000;

export type FaultCause = 'disk_full' | 'locked' | 'read_only' | 'io_error' | 'damaged' | 'database' | 'unreachable';

export interface StoreFault {
  cause: FaultCause;
  /** SQLite's (extended) result code, e.g. SQLITE_FULL, SQLITE_IOERR_WRITE. */
  code: string;
  /** 503 for what passes once an operator acts (space freed, lock released), 500 otherwise. */
  status: 503 | 500;
  /** What is wrong, naming the file: "the disk holding /data/gradpilot.db is full (SQLITE_FULL)". */
  problem: string;
  /** What the operator can do about it. */
  remedy: string;
}

// Extended codes share the primary code's prefix (SQLITE_IOERR_WRITE, SQLITE_BUSY_SNAPSHOT...).
const CAUSES: [prefix: string, cause: FaultCause][] = [
  ['SQLITE_FULL', 'disk_full'],
  ['SQLITE_BUSY', 'locked'],
  ['SQLITE_LOCKED', 'locked'],
  ['SQLITE_READONLY', 'read_only'],
  ['SQLITE_IOERR', 'io_error'],
  ['SQLITE_CANTOPEN', 'io_error'],
  ['SQLITE_PROTOCOL', 'io_error'],
  ['SQLITE_CORRUPT', 'damaged'],
  ['SQLITE_NOTADB', 'damaged'],
  ['SQLITE_NOMEM', 'database'],
];

function describeFault(cause: FaultCause, code: string, file: string): Pick<StoreFault, 'problem' | 'remedy'> {
  switch (cause) {
    case 'disk_full':
      return { problem: `the disk holding ${file} is full (${code})`, remedy: 'free space on that disk' };
    case 'locked':
      return {
        problem: `${file} is locked by another process for over ${BUSY_TIMEOUT_MS} ms (${code})`,
        remedy: 'stop the other program writing to it (one gradpilot server per database)',
      };
    case 'read_only':
      return { problem: `${file} cannot be written (${code})`, remedy: 'make the file and its folder writable for the server, then restart it' };
    case 'io_error':
      return { problem: `reading or writing ${file} failed with an I/O error (${code})`, remedy: 'check the disk and the kernel log' };
    case 'damaged':
      return {
        problem: `${file} is damaged (${code})`,
        remedy: `stop the server and restore a backup, or salvage it with \`sqlite3 ${file} .recover\``,
      };
    default:
      return { problem: `the database ${file} failed (${code})`, remedy: 'see the server log' };
  }
}

/**
 * PostgreSQL errors that say the database cannot do its job right now: unreachable or
 * restarting (node socket errors, SQLSTATE classes 08 and 57P), out of connections or space
 * (53), a serialization failure or deadlock (40001, 40P01), read-only (25006). By shape
 * (a string `code`), so that SQLite-only servers never load pg.
 */
function postgresFault(err: unknown, label: string): StoreFault | null {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : '';
  if (typeof code !== 'string') {
    if (!/Connection terminated|Connection ended|timeout exceeded when trying to connect/i.test(message)) return null;
    return { cause: 'unreachable', code: 'CONNECTION', status: 503, problem: `the connection to ${label} failed (${message})`, remedy: 'check that PostgreSQL is up and reachable' };
  }
  if (/^E[A-Z]+$/.test(code) || code.startsWith('08') || code.startsWith('57P')) {
    return { cause: 'unreachable', code, status: 503, problem: `PostgreSQL at ${label} cannot be reached (${code})`, remedy: 'check that PostgreSQL is up and reachable' };
  }
  if (code === '53100') return { cause: 'disk_full', code, status: 503, problem: `the disk of PostgreSQL at ${label} is full (${code})`, remedy: 'free space on the database server' };
  if (code.startsWith('53')) return { cause: 'locked', code, status: 503, problem: `PostgreSQL at ${label} is out of resources (${code})`, remedy: 'raise max_connections or lower the load' };
  if (code === '40001' || code === '40P01') return { cause: 'locked', code, status: 503, problem: `a transaction on ${label} met another (${code})`, remedy: 'none needed: the client sends it again' };
  if (code === '25006') return { cause: 'read_only', code, status: 503, problem: `PostgreSQL at ${label} is read-only (${code})`, remedy: 'point --db at the primary' };
  return null;
}

/** The store fault `err` is, or null for anything else (a bug, a constraint, a bad request). */
export function storeFault(err: unknown, file: string): StoreFault | null {
  // `file` is the store's label: a postgres:// URL names a PostgreSQL store.
  if (!(err instanceof Database.SqliteError)) return /^postgres(ql)?:/.test(file) ? postgresFault(err, file) : null;
  const code = err.code;
  const match = CAUSES.find(([prefix]) => code === prefix || code.startsWith(prefix + '_'));
  if (!match) return null;
  const cause = match[1];
  return { cause, code, status: cause === 'damaged' || cause === 'database' ? 500 : 503, ...describeFault(cause, code, file) };
}
