// A server on PostgreSQL closes promptly even right after it started: the socket.io adapter
// takes its LISTEN connection asynchronously, and a close before that connection was ready
// once left it checked out, so closing the pool waited forever (a 60 s hook timeout in the
// server suite). See closablePool in server/realtime/postgres-adapter.ts.
import { describe, expect, it } from 'vitest';
import { startServer } from '../../server/start-server.ts';
import { createTestDatabase } from '../support/test-database.ts';

describe('closing a server on PostgreSQL', () => {
  it('should close within a second, also at once after the start, twenty times in a row', async () => {
    const database = await createTestDatabase();
    try {
      for (let i = 0; i < 20; i++) {
        const server = await startServer({ db: database.db, port: 0 });
        if (i % 2 === 1) await fetch(`${server.url}/api/health`);
        const t0 = performance.now();
        await Promise.race([server.close(), new Promise((_, reject) => setTimeout(() => reject(new Error(`close ${i} took over 5 s`)), 5000))]);
        expect(performance.now() - t0).toBeLessThan(1000);
      }
    } finally {
      await database.drop();
    }
  });
});
