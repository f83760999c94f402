// Prints the README's PostgreSQL figures alone (the same code as `npm run bench`'s postgres
// section):  node --conditions=gradpilot-source --import tsx test/bench/postgres-report.ts [--quick]
import os from 'node:os';
import { measurePostgres } from './perf/postgres.ts';
import { stepsPerSecond } from './perf/ingest-query.ts';

const quick = process.argv.includes('--quick');
const sizes = quick ? [10_000, 1_000_000] : [10_000, 1_000_000, 10_000_000];
const load0 = os.loadavg()[0];
const p = await measurePostgres({ rounds: quick ? 4 : 10, querySizes: sizes, log: (m) => console.error(m) });
const r = (n: number) => Math.round(n).toLocaleString('en-US');
console.log(`| figure | gradpilot | baseline (same run) | ratio |\n|---|---:|---:|---:|`);
const socket = stepsPerSecond(p.socket.wallMs);
const raw = stepsPerSecond(p.raw.wallMs);
console.log(`| ingest, socket /ingest (1000-step batches, acked after commit) | ${r(socket)} steps/s | ${r(raw)} steps/s (raw pg unnest insert, a transaction per batch) | ${(socket / raw).toFixed(2)}x |`);
const base = p.queries.get(10_000)!;
for (const n of sizes) console.log(`| GET /steps?points=1000, run of ${n.toLocaleString('en-US')} steps | ${p.queries.get(n)!.toFixed(2)} ms | ${base.toFixed(2)} ms (1e4 steps) | ${(p.queries.get(n)! / base).toFixed(2)}x |`);
console.log(`| two runs at once, one per server (2 servers, 1 database) | ${r(p.twoServers)} steps/s | ${r(p.oneServer)} steps/s (both runs on one server) | ${(p.twoServers / p.oneServer).toFixed(2)}x |`);
console.log(`\nload average ${load0.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at the end; ${os.cpus().length} cores`);
