// Prints the README's server benchmark table, measured in one run:
//   npx tsx test/bench/server-report.ts [--quick]   (--quick: query sizes up to 1e6)
// The same contenders as server.bench.ts; ingest measured as perf-table.ts does (two
// interleaved phases, medians: see perf/ingest-query.ts).
import { QUERY_SIZES, STEPS_PER_ROUND, setupQueries } from './server-contenders.ts';
import { type RoundTime, measureIngest, stepsPerSecond } from './perf/ingest-query.ts';

/** Wall-clock ms of one call. */
async function timeMs(fn: () => unknown): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const quick = process.argv.includes('--quick');
const f = await measureIngest({ rounds: 20 });
const perSecond = (ms: number) => Math.round(stepsPerSecond(ms)).toLocaleString('en');
const row = (name: string, t: RoundTime, raw: RoundTime) =>
  console.log(`| ${name} | ${perSecond(t.wallMs)} | ${(raw.wallMs / t.wallMs).toFixed(2)}x | ${perSecond(t.cpuMs)} | ${(raw.cpuMs / t.cpuMs).toFixed(2)}x |`);
console.log(`\n| ingest path (${STEPS_PER_ROUND.toLocaleString('en')} steps per round, 1000-step batches) | steps/s (wall) | vs raw | steps per server CPU-second | vs raw |\n|---|---:|---:|---:|---:|`);
row('raw better-sqlite3 prepared insert', f.rawBesideSocket, f.rawBesideSocket);
row('socket /ingest (binary columns, acked after commit)', f.socket, f.rawBesideSocket);
row('raw insert, rounds beside the HTTP rounds', f.rawBesideHttp, f.rawBesideHttp);
row('HTTP POST /api/runs/:id/steps (JSON)', f.http, f.rawBesideHttp);

const sizes = quick ? QUERY_SIZES.filter((n) => n <= 1_000_000) : QUERY_SIZES;
const q = setupQueries(sizes, (m) => console.error(m));
const queryTimes = sizes.map(() => [] as number[]);
for (let round = 0; round < 33; round++) {
  for (let i = 0; i < sizes.length; i++) {
    const ms = await timeMs(() => q.query(sizes[i]));
    if (round >= 3) queryTimes[i].push(ms);
  }
}
q.close();
const base = median(queryTimes[0]);
console.log('\n| run length (steps) | GET /steps?points=1000, whole run | vs 1e4 |\n|---:|---:|---:|');
sizes.forEach((n, i) => console.log(`| ${n.toLocaleString('en')} | ${median(queryTimes[i]).toFixed(2)} ms | ${(median(queryTimes[i]) / base).toFixed(2)}x |`));
