// npm run bench: ingest over the socket and HTTP beside a raw better-sqlite3 insert of the
// same rows (target: socket >= 0.5x raw), and points=1000 queries over runs of 1e4, 1e6 and
// 1e7 steps (target: 1e7 within 2x of 1e4). Each ingest round stores 10,000 steps.
import { afterAll, beforeAll, bench, describe } from 'vitest';
import { type IngestContenders, type QueryContenders, QUERY_SIZES, setupIngest, setupQueries } from './server-contenders.ts';

describe('server ingest, 10,000 steps per round (1000-step batches)', () => {
  let c: IngestContenders;
  beforeAll(async () => {
    c = await setupIngest();
  });
  afterAll(async () => {
    await c.close();
  });
  bench('raw better-sqlite3 prepared insert', () => c.raw(), { time: 3000 });
  bench('socket /ingest (binary columns, acked after commit)', async () => c.socket(), { time: 3000 });
  bench('HTTP POST /api/runs/:id/steps (JSON)', async () => c.http(), { time: 3000 });
});

describe('server query, points=1000 over the whole run', () => {
  let q: QueryContenders;
  beforeAll(() => {
    q = setupQueries(QUERY_SIZES, (m) => console.log(m));
  }, 900_000);
  afterAll(() => q.close());
  for (const size of QUERY_SIZES) bench(`${size.toLocaleString('en')} steps`, () => q.query(size), { time: 2000 });
});
