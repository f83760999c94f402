// A real gradpilot server for tests: a fresh database (a temp SQLite file, or a PostgreSQL
// database in the `postgres` project: see test-database.ts) and a server on 127.0.0.1 port 0
// per call. `close()` stops the server and deletes the database.
import { type ServerOptions, startServer } from '../../server/start-server.ts';
import { createTestDatabase } from './test-database.ts';

export interface TestServer {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  port: number;
  /** The `db` the server got: a SQLite file path, or a postgres:// URL. */
  dbPath: string;
  /** A temp folder for the test's own files, removed with the server. */
  dir: string;
  close(): Promise<void>;
}

/**
 * @example
 * const server = await withServer();
 * try { await fetch(`${server.url}/api/health`); } finally { await server.close(); }
 */
export async function withServer(opts: Partial<Omit<ServerOptions, 'db' | 'port' | 'host'>> = {}): Promise<TestServer> {
  const database = await createTestDatabase();
  let server;
  try {
    server = await startServer({ ...opts, db: database.db, port: 0, host: '127.0.0.1' });
  } catch (err) {
    await database.drop();
    throw err;
  }
  const running = server;
  return {
    url: running.url,
    port: running.port,
    dbPath: database.db,
    dir: database.dir,
    async close() {
      await running.close();
      await database.drop();
    },
  };
}
