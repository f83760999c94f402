// The server figures, with the server benchmark's own contenders (server-contenders.ts):
// ingest over the socket and HTTP beside a raw better-sqlite3 insert of the same rows, and
// points=1000 queries over runs of 1e4..1e7 steps. Rounds are interleaved so that load from
// other processes hits every contender alike; each figure is a median (as server-report.ts).
import { QUERY_SIZES, STEPS_PER_ROUND, setupIngest, setupQueries } from '../server-contenders.ts';

export interface IngestFigures {
  /** Steps per second, medians. */
  raw: number;
  socket: number;
  http: number;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export async function measureIngest({ rounds = 15, warmup = 3 } = {}): Promise<IngestFigures> {
  const c = await setupIngest();
  try {
    const fns = [() => c.raw(), () => c.socket(), () => c.http()];
    const times = fns.map(() => [] as number[]);
    for (let round = 0; round < rounds + warmup; round++) {
      for (let i = 0; i < fns.length; i++) {
        const ms = await timeMs(fns[i]);
        if (round >= warmup) times[i].push(ms);
      }
    }
    const rate = (i: number) => (STEPS_PER_ROUND / median(times[i])) * 1000;
    return { raw: rate(0), socket: rate(1), http: rate(2) };
  } finally {
    await c.close();
  }
}

/** Size -> median ms of GET-equivalent querySteps(points=1000) over the whole run. */
export function measureQueries(sizes: readonly number[] = QUERY_SIZES, { rounds = 20, warmup = 3, log = (_: string) => {} } = {}): Map<number, number> {
  const q = setupQueries(sizes, log);
  try {
    const times = sizes.map(() => [] as number[]);
    for (let round = 0; round < rounds + warmup; round++) {
      for (let i = 0; i < sizes.length; i++) {
        const t0 = performance.now();
        q.query(sizes[i]);
        if (round >= warmup) times[i].push(performance.now() - t0);
      }
    }
    return new Map(sizes.map((n, i) => [n, median(times[i])]));
  } finally {
    q.close();
  }
}
