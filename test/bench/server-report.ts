// Prints the README's server benchmark table, measured in one run:
//   npx tsx test/bench/server-report.ts [--quick]   (--quick: query sizes up to 1e6)
// The same contenders as server.bench.ts. Rounds are interleaved (raw, socket, http, raw, ...)
// so that load from other processes hits every contender alike; each figure is a median.
import { QUERY_SIZES, STEPS_PER_ROUND, setupIngest, setupQueries } from './server-contenders.ts';

/** Wall-clock ms, and CPU ms of this process (the server's; the SDK stand-in is another process). */
async function timeMs(fn: () => unknown): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const c = process.cpuUsage(c0);
  return { wall: performance.now() - t0, cpu: (c.user + c.system) / 1000 };
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const quick = process.argv.includes('--quick');
const ingest = await setupIngest();
const ingestContenders = [
  ['raw better-sqlite3 prepared insert', () => ingest.raw()],
  ['socket /ingest (binary columns, acked after commit)', () => ingest.socket()],
  ['HTTP POST /api/runs/:id/steps (JSON)', () => ingest.http()],
] as const;
const wall = ingestContenders.map(() => [] as number[]);
const cpu = ingestContenders.map(() => [] as number[]);
for (let round = 0; round < 23; round++) {
  for (let i = 0; i < ingestContenders.length; i++) {
    const t = await timeMs(ingestContenders[i][1]);
    if (round < 3) continue; // the first rounds warm up JIT, socket and page cache
    wall[i].push(t.wall);
    cpu[i].push(t.cpu);
  }
}
await ingest.close();
const perSecond = (ms: number) => Math.round((STEPS_PER_ROUND / ms) * 1000).toLocaleString('en');
console.log(`\n| ingest path (${STEPS_PER_ROUND.toLocaleString('en')} steps per round, 1000-step batches) | steps/s (wall) | vs raw | steps per server CPU-second | vs raw |\n|---|---:|---:|---:|---:|`);
ingestContenders.forEach(([name], i) => {
  const w = median(wall[i]);
  const c = median(cpu[i]);
  console.log(`| ${name} | ${perSecond(w)} | ${(median(wall[0]) / w).toFixed(2)}x | ${perSecond(c)} | ${(median(cpu[0]) / c).toFixed(2)}x |`);
});

const sizes = quick ? QUERY_SIZES.filter((n) => n <= 1_000_000) : QUERY_SIZES;
const q = setupQueries(sizes, (m) => console.error(m));
const queryTimes = sizes.map(() => [] as number[]);
for (let round = 0; round < 33; round++) {
  for (let i = 0; i < sizes.length; i++) {
    const t = await timeMs(() => q.query(sizes[i]));
    if (round >= 3) queryTimes[i].push(t.wall);
  }
}
q.close();
const base = median(queryTimes[0]);
console.log('\n| run length (steps) | GET /steps?points=1000, whole run | vs 1e4 |\n|---:|---:|---:|');
sizes.forEach((n, i) => console.log(`| ${n.toLocaleString('en')} | ${median(queryTimes[i]).toFixed(2)} ms | ${(median(queryTimes[i]) / base).toFixed(2)}x |`));
