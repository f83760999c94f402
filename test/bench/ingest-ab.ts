// The SQLite ingest rate of this tree against another checkout's, in one run: each tree's own
// measureIngest (socket and HTTP beside a raw better-sqlite3 insert, see perf/ingest-query.ts),
// trees alternating, so load from other processes falls on both alike. The ratio to the raw
// insert measured beside each contender is what compares.
//   NODE_OPTIONS=--conditions=gradpilot-source node --conditions=gradpilot-source --import tsx \
//     test/bench/ingest-ab.ts <baseline checkout, e.g. a `git archive main` with node_modules> [pairs]
// (NODE_OPTIONS: the benchmark client processes resolve @gradpilot/sdk to their tree's sources.)
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IngestFigures } from './perf/ingest-query.ts';

const [baselineDir, pairsArg] = process.argv.slice(2);
if (!baselineDir) throw new Error('Expected the baseline checkout as the first argument');
const pairs = Number(pairsArg ?? 3);
type Measure = (o: { rounds?: number }) => Promise<IngestFigures>;
const load = async (dir: string): Promise<Measure> =>
  ((await import(pathToFileURL(path.join(dir, 'test/bench/perf/ingest-query.ts')).href)) as { measureIngest: Measure }).measureIngest;
const ours = await load(path.resolve(import.meta.dirname, '../..'));
const theirs = await load(path.resolve(baselineDir));

const rate = (ms: number) => (50_000 / ms) * 1000;
const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows: Record<'ours' | 'baseline', { socket: number[]; http: number[]; socketVsRaw: number[]; httpVsRaw: number[] }> = {
  ours: { socket: [], http: [], socketVsRaw: [], httpVsRaw: [] },
  baseline: { socket: [], http: [], socketVsRaw: [], httpVsRaw: [] },
};
const load0 = os.loadavg()[0];
for (let i = 0; i < pairs; i++) {
  for (const [name, measure] of (i % 2 === 0 ? [['baseline', theirs], ['ours', ours]] : [['ours', ours], ['baseline', theirs]]) as ['ours' | 'baseline', Measure][]) {
    const f = await measure({ rounds: 9 });
    const r = rows[name];
    r.socket.push(rate(f.socket.wallMs));
    r.http.push(rate(f.http.wallMs));
    r.socketVsRaw.push(f.rawBesideSocket.wallMs / f.socket.wallMs);
    r.httpVsRaw.push(f.rawBesideHttp.wallMs / f.http.wallMs);
    console.error(`${name}: socket ${Math.round(rate(f.socket.wallMs))} steps/s (${(f.rawBesideSocket.wallMs / f.socket.wallMs).toFixed(2)}x raw), http ${Math.round(rate(f.http.wallMs))}`);
  }
}
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
console.log('| tree | socket /ingest steps/s | vs raw insert | HTTP steps/s | vs raw insert |\n|---|---:|---:|---:|---:|');
for (const name of ['baseline', 'ours'] as const) {
  const r = rows[name];
  console.log(`| ${name} | ${fmt(median(r.socket))} | ${median(r.socketVsRaw).toFixed(2)}x | ${fmt(median(r.http))} | ${median(r.httpVsRaw).toFixed(2)}x |`);
}
console.log(`\nmedians of ${pairs} measurements per tree, alternating; load average ${load0.toFixed(1)} at start, ${os.loadavg()[0].toFixed(1)} at the end`);
