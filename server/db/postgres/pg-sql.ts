// The PostgreSQL connection pool and the two ways the stores talk to it: one statement on any
// pooled connection, or a transaction on one connection. BIGINT (int8) and COUNT come back as
// JS numbers (steps and ids stay below 2^53), double precision as numbers with NaN and
// ±Infinity intact (pg's parseFloat reads 'NaN', 'Infinity', '-Infinity').
import pg from 'pg';

/** int8 -> number for this pool only: pg's global parsers are left alone for other users. */
const TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === pg.types.builtins.INT8 && format !== 'binary') return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
} as unknown as pg.CustomTypesConfig;

/** A Buffer goes as a binary parameter (pg-binary-array.ts builds the arrays of a batch so). */
export type Param = number | string | boolean | null | Buffer | readonly (number | string | boolean | null)[];

/** Something that runs SQL: the pool, or the one connection of a transaction. */
export interface Sql {
  rows<R>(text: string, params?: readonly Param[]): Promise<R[]>;
  /** Rows as arrays, in the order of the SELECT list (no object per row). */
  arrays<R extends unknown[]>(text: string, params?: readonly Param[]): Promise<R[]>;
  /** Rows changed by an INSERT, UPDATE or DELETE. */
  run(text: string, params?: readonly Param[]): Promise<number>;
}

function sqlOn(q: pg.Pool | pg.PoolClient): Sql {
  return {
    async rows<R>(text: string, params: readonly Param[] = []) {
      return (await q.query(text, params as unknown[])).rows as R[];
    },
    async arrays<R extends unknown[]>(text: string, params: readonly Param[] = []) {
      return (await q.query({ text, values: params as unknown[], rowMode: 'array' })).rows as R[];
    },
    async run(text: string, params: readonly Param[] = []) {
      return (await q.query(text, params as unknown[])).rowCount ?? 0;
    },
  };
}

export class PgDatabase {
  readonly pool: pg.Pool;
  readonly sql: Sql;

  constructor(url: string, { max = 10 }: { max?: number } = {}) {
    this.pool = new pg.Pool({ connectionString: url, max, types: TYPES });
    // An idle connection the server dropped (restart, failover) is an error event on the pool;
    // unhandled, it would crash the process. The next query gets a fresh connection.
    this.pool.on('error', () => {});
    this.sql = sqlOn(this.pool);
  }

  /**
   * Runs `fn` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it
   * throws. A connection that failed mid-way is discarded rather than returned to the pool.
   */
  async transaction<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // A checked-out client has no listener of the pool's: a session cut between two of this
    // transaction's statements (a PostgreSQL restart) would be an uncaught 'error' event.
    const cut = (err: Error): void => {
      broken ??= err;
    };
    client.on('error', cut);
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(sqlOn(client));
        await client.query('COMMIT');
        return result;
      } catch (err) {
        await client.query('ROLLBACK').catch((e: Error) => {
          broken = e;
        });
        throw err;
      }
    } catch (err) {
      broken ??= isConnectionError(err) ? (err as Error) : undefined;
      throw err;
    } finally {
      client.off('error', cut);
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** Errors after which the connection cannot be trusted (SQLSTATE class 08, 57P0x, or a socket error). */
export function isConnectionError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return err instanceof Error && /Connection terminated|not queryable/i.test(err.message);
  return code.startsWith('08') || code.startsWith('57P') || /^E[A-Z]+$/.test(code);
}

/** A password-free form of the URL, for messages and logs. */
export function redactPostgresUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
