// The server figures, with the server benchmark's own contenders (server-contenders.ts):
// ingest over the socket and HTTP beside a raw better-sqlite3 insert of the same rows, and
// points=1000 queries over runs of 1e4..1e7 steps. Each figure is a median over rounds.
// Ingest runs in two phases, raw and socket interleaved, then raw and HTTP interleaved:
// interleaving makes load from other processes hit a contender and its baseline alike, and
// the phases keep the garbage of HTTP's JSON bodies out of the socket's rounds.
import { QUERY_SIZES, STEPS_PER_ROUND, setupIngest, setupQueries } from '../server-contenders.ts';

/** Median wall and CPU (of this process: the servers and raw; the SDK stand-in is another) milliseconds per round. */
export interface RoundTime {
  wallMs: number;
  cpuMs: number;
}

export interface IngestFigures {
  /** The raw insert measured beside the socket rounds, and beside the HTTP rounds. */
  rawBesideSocket: RoundTime;
  socket: RoundTime;
  rawBesideHttp: RoundTime;
  http: RoundTime;
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(fn: () => unknown): Promise<RoundTime> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const wallMs = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wallMs, cpuMs: (c.user + c.system) / 1000 };
}

async function interleaved(a: () => unknown, b: () => unknown, rounds: number, warmup: number): Promise<[RoundTime, RoundTime]> {
  const times: RoundTime[][] = [[], []];
  for (let round = 0; round < rounds + warmup; round++) {
    const ta = await time(a);
    const tb = await time(b);
    if (round < warmup) continue;
    times[0].push(ta);
    times[1].push(tb);
  }
  const med = (ts: RoundTime[]) => ({ wallMs: median(ts.map((t) => t.wallMs)), cpuMs: median(ts.map((t) => t.cpuMs)) });
  return [med(times[0]), med(times[1])];
}

export async function measureIngest({ rounds = 15, warmup = 3 } = {}): Promise<IngestFigures> {
  const c = await setupIngest();
  try {
    const [rawBesideSocket, socket] = await interleaved(() => c.raw(), () => c.socket(), rounds, warmup);
    const [rawBesideHttp, http] = await interleaved(() => c.raw(), () => c.http(), rounds, warmup);
    return { rawBesideSocket, socket, rawBesideHttp, http };
  } finally {
    await c.close();
  }
}

/** Steps per second of a round time. */
export function stepsPerSecond(ms: number): number {
  return (STEPS_PER_ROUND / ms) * 1000;
}

/** Size -> median ms of GET-equivalent querySteps(points=1000) over the whole run. */
export async function measureQueries(sizes: readonly number[] = QUERY_SIZES, { rounds = 20, warmup = 3, log = (_: string) => {} } = {}): Promise<Map<number, number>> {
  const q = setupQueries(sizes, log);
  try {
    const times = sizes.map(() => [] as number[]);
    for (let round = 0; round < rounds + warmup; round++) {
      for (let i = 0; i < sizes.length; i++) {
        const t0 = performance.now();
        await q.query(sizes[i]);
        if (round >= warmup) times[i].push(performance.now() - t0);
      }
    }
    return new Map(sizes.map((n, i) => [n, median(times[i])]));
  } finally {
    q.close();
  }
}
