// `npm run bench:vitest`: ingest over the socket and HTTP beside a raw better-sqlite3 insert
// of the same rows (target: socket >= 0.5x raw), and points=1000 queries over runs of 1e4,
// 1e6 and 1e7 steps (target: 1e7 within 2x of 1e4). Each ingest round stores 50,000 steps.
// The README table comes from `npx tsx test/bench/server-report.ts` (same contenders).
// vitest's bench mode runs no beforeAll/afterAll hooks, so the fixtures are built in the
// first bench's `setup` and closed in the last bench's `teardown` (mode 'run').
import { bench, describe } from 'vitest';
import { type IngestContenders, type QueryContenders, QUERY_SIZES, setupIngest, setupQueries } from './server-contenders.ts';

type Mode = 'warmup' | 'run' | undefined;

describe('server ingest, 50,000 steps per round (1000-step batches)', () => {
  let c: IngestContenders | null = null;
  const setup = async () => {
    c ??= await setupIngest();
  };
  const teardown = async (_task: unknown, mode: Mode) => {
    if (mode !== 'run' || !c) return;
    await c.close();
    c = null;
  };
  bench('raw better-sqlite3 prepared insert', () => c!.raw(), { time: 3000, setup });
  bench('socket /ingest (binary columns, acked after commit)', () => c!.socket(), { time: 3000 });
  bench('HTTP POST /api/runs/:id/steps (JSON)', () => c!.http(), { time: 3000, teardown });
});

describe('server query, points=1000 over the whole run', () => {
  let q: QueryContenders | null = null;
  const setup = () => {
    q ??= setupQueries(QUERY_SIZES, (m) => console.log(m));
  };
  const teardown = (_task: unknown, mode: Mode) => {
    if (mode !== 'run' || !q) return;
    q.close();
    q = null;
  };
  QUERY_SIZES.forEach((size, i) =>
    bench(`${size.toLocaleString('en')} steps`, () => q!.query(size), {
      time: 2000,
      ...(i === 0 ? { setup } : {}),
      ...(i === QUERY_SIZES.length - 1 ? { teardown } : {}),
    }),
  );
});
