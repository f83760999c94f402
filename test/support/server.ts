// A real gradpilot server for tests: a fresh temp SQLite file and a server on
// 127.0.0.1 port 0 per call. `close()` stops the server and deletes the file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type ServerOptions, startServer } from '../../server/start-server.ts';

export interface TestServer {
  /** e.g. http://127.0.0.1:43123 */
  url: string;
  port: number;
  dbPath: string;
  close(): Promise<void>;
}

/**
 * @example
 * const server = await withServer();
 * try { await fetch(`${server.url}/api/health`); } finally { await server.close(); }
 */
export async function withServer(opts: Partial<Omit<ServerOptions, 'db' | 'port' | 'host'>> = {}): Promise<TestServer> {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-test-'));
  const dbPath = path.join(dir, 'test.db');
  const server = await startServer({ ...opts, db: dbPath, port: 0, host: '127.0.0.1' });
  return {
    url: server.url,
    port: server.port,
    dbPath,
    async close() {
      await server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
