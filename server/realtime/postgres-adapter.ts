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

export function postgresAdapter(url: string): ClusterAdapter {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  pool.on('error', (err) => log('pool: %O', err));
  const adapter = createAdapter(pool, {
    channelPrefix: 'gradpilot',
    tableName: ATTACHMENTS_TABLE,
    errorHandler: (err: Error) => log('adapter: %O', err),
  });
  return { adapter, close: () => pool.end() };
}
