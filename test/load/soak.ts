// `npm run test:soak [-- --seconds 60 --runs 50]`: 50 runs streaming for a minute into a real
// `gradpilot serve` process, with a dashboard following all of them; prints the ingest and
// step -> dashboard latencies (p50, p99) and exits 1 on any error, loss or duplicate.
import { ServerProcess } from '../support/server-process.ts';
import { snapshotStore } from '../support/store-snapshot.ts';
import { runLoad, summarizeLoad } from './run-load.ts';

function flag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const v = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`Expected --${name} to be a positive number, got ${process.argv[i + 1]}`);
  return v;
}

const seconds = flag('seconds', 60);
const runs = flag('runs', 50);
const server = new ServerProcess();
let failed = true;
try {
  await server.start();
  process.stdout.write(`soak: ${runs} runs for ${seconds} s against ${server.url} (pid ${server.pid})\n`);
  const r = await runLoad({ url: server.url, runs, durationMs: seconds * 1000, batchSteps: 10, intervalMs: 100 });
  await server.stop();
  const stored = snapshotStore(server.db).counts.steps;
  process.stdout.write(summarizeLoad(r) + `\nstored ${stored} steps\n`);
  for (const e of r.errors.slice(0, 10)) process.stdout.write(`error: ${e}\n`);
  failed = r.errors.length > 0 || r.stepsAcked !== r.stepsSent || r.stepsLive !== r.stepsSent || r.liveDuplicates > 0 || stored !== r.stepsSent;
  process.stdout.write(failed ? 'soak: FAILED\n' : 'soak: ok\n');
} finally {
  await server.dispose();
}
process.exitCode = failed ? 1 : 0;
