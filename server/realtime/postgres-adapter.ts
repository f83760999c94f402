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
      // The adapter listens for 'end' (and reconnects) but not for 'error': without this, a
      // PostgreSQL restart cutting its LISTEN session was an uncaught exception that killed
      // the server (test/postgres/database-down.test.ts).
      client.on('error', (err) => log('LISTEN connection: %s', err.message));
      inOrderNotifications(client);
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

/**
 * The adapter's LISTEN connection handles each notification in an async handler, and one
 * that names an attachment (a payload over 8000 bytes) first reads it from the table: a
 * small message notified after it was delivered before it. Notifications are handled one
 * after another instead, in the order PostgreSQL delivered them (the order they were sent:
 * see inOrder below).
 */
function inOrderNotifications(client: pg.PoolClient): void {
  const on = client.on.bind(client) as (event: string, listener: (...args: unknown[]) => unknown) => pg.PoolClient;
  (client as unknown as { on: typeof on }).on = (event, listener) => {
    if (event !== 'notification') return on(event, listener);
    let last: Promise<unknown> = Promise.resolve();
    return on(event, (msg: unknown) => {
      last = last.then(() => listener(msg)).catch((err: unknown) => log('notification: %O', err));
    });
  };
}

export function postgresAdapter(url: string): ClusterAdapter {
  const pool = new pg.Pool({ connectionString: url, max: 3 });
  pool.on('error', (err) => log('pool: %O', err));
  const closable = closablePool(pool);
  const create = createAdapter(closable.pool, {
    channelPrefix: 'gradpilot',
    tableName: ATTACHMENTS_TABLE,
    errorHandler: (err: Error) => log('adapter: %O', err),
  });
  return { adapter: inOrder(create), close: () => closable.close() };
}

type Publisher = { doPublish(message: unknown): Promise<string> };

/**
 * Broadcasts leave in the order they were made. The adapter publishes each one with its own
 * query (a payload over 8000 bytes with two: an INSERT, then the NOTIFY) on whichever pooled
 * connection is free, and delivers to this server's own sockets only once that publish
 * answered: a live push of steps 0-9 that waited for a new connection reached a dashboard
 * after the push of steps 10-19. Chaining the publishes of a namespace keeps both the NOTIFY
 * order (other servers) and the local delivery order (this one) equal to the emit order.
 */
function inOrder(create: ReturnType<typeof createAdapter>): ReturnType<typeof createAdapter> {
  return function orderedAdapter(nsp) {
    const adapter = create(nsp);
    const publisher = adapter as unknown as Publisher;
    const publish = publisher.doPublish.bind(adapter);
    let last: Promise<unknown> = Promise.resolve();
    publisher.doPublish = (message) => {
      const done = last.then(() => publish(message));
      last = done.catch(() => {});
      return done;
    };
    return adapter;
  };
}
