// Several servers on one PostgreSQL database share their socket.io rooms through
// @socket.io/postgres-adapter: a broadcast on one server (new steps to a run's dashboards, a
// policy or stop push to a run's SDKs, an ack's update) reaches the sockets of every server,
// by NOTIFY on the same database (payloads over 8000 bytes through a table). No other service
// to run: the database the operators already keep is the bus. Its own small pool, since the
// adapter holds one connection for LISTEN for as long as the server runs.
import { createAdapter } from '@socket.io/postgres-adapter';
import createDebug from 'debug';
import pg from 'pg';

const log = createDebug('gradpilot:io:cluster');

/** Created by the schema (postgres/pg-schema.ts). */
export const ATTACHMENTS_TABLE = 'gradpilot_socket_io_attachments';

export interface ClusterAdapter {
  adapter: ReturnType<typeof createAdapter>;
  /** After io.close(): ends the adapter's connections. */
  close(): Promise<void>;
}

/**
 * The pool as the adapter sees it. The adapter takes its LISTEN connection asynchronously
 * and keeps it only once LISTEN answered; a server closed before that (a short test, a
 * start that failed) would leave the connection checked out, and pool.end() would wait for
 * it forever. So every connection handed out is tracked and destroyed at close, and none is
 * handed out after (a connect then never settles: the adapter stays idle, no timer runs).
 */
function closablePool(pool: pg.Pool): { pool: pg.Pool; close(): Promise<void> } {
  const out = new Set<pg.PoolClient>();
  let closed = false;
  const never = () => new Promise<never>(() => {});
  const view = {
    async connect(): Promise<pg.PoolClient> {
      if (closed) return never();
      const client = await pool.connect();
      if (closed) {
        client.release(true);
        return never();
      }
      out.add(client);
      const release = client.release.bind(client);
      client.release = (err?: Error | boolean) => {
        out.delete(client);
        release(err);
      };
      return client;
    },
    query(...args: Parameters<pg.Pool['query']>) {
      if (closed) return Promise.reject(new Error('the socket.io adapter is closed'));
      return (pool.query as (...a: unknown[]) => unknown)(...args);
    },
  };
  return {
    pool: view as unknown as pg.Pool,
    async close() {
      closed = true;
      for (const client of [...out]) client.release(true);
      await pool.end();
    },
  };
}

export function postgresAdapter(url: string): ClusterAdapter {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  pool.on('error', (err) => log('pool: %O', err));
  const closable = closablePool(pool);
  const adapter = createAdapter(closable.pool, {
    channelPrefix: 'gradpilot',
    tableName: ATTACHMENTS_TABLE,
    errorHandler: (err: Error) => log('adapter: %O', err),
  });
  return { adapter, close: () => closable.close() };
}
