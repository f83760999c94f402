// Broadcasts through the PostgreSQL socket.io adapter arrive in the order they were made, on
// this server's sockets and on another server's: small and large (over 8000 bytes, sent
// through the attachments table) messages mixed, emitted back to back. Real socket.io
// servers on port 0, real PostgreSQL.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';
import { io as connect, type Socket } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { openPostgresStore } from '../../server/db/postgres/pg-server-store.ts';
import { type ClusterAdapter, postgresAdapter } from '../../server/realtime/postgres-adapter.ts';
import { createTestDatabase } from '../support/test-database.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function server(db: string): Promise<{ io: Server; url: string; cluster: ClusterAdapter }> {
  const cluster = postgresAdapter(db);
  const httpServer = http.createServer();
  const io = new Server(httpServer, { adapter: cluster.adapter });
  io.on('connection', (socket) => void socket.join('room'));
  await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', resolve));
  cleanup.push(async () => {
    await io.close();
    await cluster.close();
  });
  return { io, url: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}`, cluster };
}

function receiver(url: string): Promise<{ socket: Socket; got: number[] }> {
  const socket = connect(url, { transports: ['websocket'] });
  cleanup.push(() => void socket.close());
  const got: number[] = [];
  socket.on('m', (m: { i: number }) => got.push(m.i));
  return new Promise((resolve) => socket.once('connect', () => resolve({ socket, got })));
}

describe('the PostgreSQL socket.io adapter', () => {
  it('should deliver broadcasts in emit order, large and small mixed, here and on another server', async () => {
    const database = await createTestDatabase();
    cleanup.push(() => database.drop());
    (await openPostgresStore(database.db)).close(); // the schema, with the attachments table
    const a = await server(database.db);
    const b = await server(database.db);
    const local = await receiver(a.url);
    const remote = await receiver(b.url);
    await new Promise((r) => setTimeout(r, 500)); // both adapters LISTENing
    const N = 200;
    const big = 'x'.repeat(20_000);
    for (let i = 0; i < N; i++) a.io.to('room').emit('m', { i, pad: i % 3 === 0 ? big : '' });
    const want = Array.from({ length: N }, (_, i) => i);
    await expect.poll(() => local.got.length, { timeout: 20_000 }).toBe(N);
    await expect.poll(() => remote.got.length, { timeout: 20_000 }).toBe(N);
    expect({ local: local.got, remote: remote.got }).toEqual({ local: want, remote: want });
  });
});
