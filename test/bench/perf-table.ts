// `npm run bench`: every performance figure of gradpilot in ONE table, each beside its
// baseline measured in the same run. It reuses each area's own benchmark code:
//   controller  test/bench/controller-measure.ts  (percentile step vs AutoClip's copy+quickselect/sort)
//   SDK         test/bench/sdk.bench.ts           (run.observe vs a tfjs training step)
//   server      test/bench/server-contenders.ts   (ingest vs raw SQLite; query growth 1e4..1e7)
//   postgres    test/bench/perf/postgres.ts       (ingest vs raw pg insert; query growth; two servers vs one)
//   live        test/load/run-load.ts             (50 runs; gradpilot vs a bare socket.io relay)
//   dashboard   test/bench/perf/first-paint.ts    (1M-step run vs 1e4 in Chromium)
// Options: --quick (smaller sizes, shorter runs; for trying it out, not for the README).
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { measure as measureController } from './controller-measure.ts';
import { measureFirstPaint } from './perf/first-paint.ts';
import { measureIngest, measureQueries, stepsPerSecond } from './perf/ingest-query.ts';
import { measureLiveLatency } from './perf/live-latency.ts';
import { measurePostgres } from './perf/postgres.ts';
import { measureReplayIngest } from './perf/replay-ingest.ts';
import { measureSdkOverhead } from './perf/sdk-overhead.ts';
import { percentile } from '../load/run-load.ts';

interface Row {
  figure: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
}

const quick = process.argv.includes('--quick');
// Table order. Sections run in another order (see 'ingest'), so each row remembers its section.
const SECTIONS = ['controller', 'SDK overhead', 'Python SDK', 'ingest', 'replays', 'query', 'postgres', 'live latency', 'first paint'];
let current = '';
const rows: (Row & { section: string })[] = [];
const row = (r: Row): void => {
  rows.push({ ...r, section: current });
};
const failures: string[] = [];
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

const us = (ms: number) => (ms >= 1 ? `${ms.toFixed(2)} ms` : `${(ms * 1000).toFixed(2)} µs`);
const rate = (n: number) => `${Math.round(n).toLocaleString('en-US')} steps/s`;
const times = (x: number) => `${x >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2)}x`;
const exp = (n: number) => n.toExponential(0).replace('+', '');

async function section(name: string, fn: () => Promise<void> | void): Promise<void> {
  const t0 = performance.now();
  current = name;
  log(`${name}...`);
  try {
    await fn();
    log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  } catch (err) {
    failures.push(`${name}: ${(err as Error).message}`);
    row({ figure: name, ours: 'FAILED', baseline: '', ratio: '', target: (err as Error).message.slice(0, 80) });
  }
}

const started = performance.now();
const load0 = os.loadavg()[0];

// Ingest first, in this process's fresh heap: the controller and SDK sections leave hundreds
// of MB behind (1e6-norm histories, TensorFlow.js), which slows every later garbage
// collection, and the socket path allocates per batch where the raw insert barely does. A
// server runs in its own process, without that heap.
await section('ingest', async () => {
  const f = await measureIngest({ rounds: quick ? 5 : 15 });
  const socket = stepsPerSecond(f.socket.wallMs);
  const http = stepsPerSecond(f.http.wallMs);
  const rawS = stepsPerSecond(f.rawBesideSocket.wallMs);
  const rawH = stepsPerSecond(f.rawBesideHttp.wallMs);
  row({ figure: 'ingest: socket /ingest (binary columns, acked after commit)', ours: rate(socket), baseline: `${rate(rawS)} (raw better-sqlite3 insert)`, ratio: `${(socket / rawS).toFixed(2)}x raw`, target: '>= 0.5x raw' });
  row({ figure: 'ingest: HTTP POST /api/runs/:id/steps (JSON)', ours: rate(http), baseline: `${rate(rawH)} (raw insert, rounds beside HTTP's)`, ratio: `${(http / rawH).toFixed(2)}x raw`, target: '' });
});

await section('controller', () => {
  measureController(2e4, { steps: 20_000 }); // JIT warm-up, as controller-measure's runTable does
  for (const size of quick ? [1e4, 1e5] : [1e4, 1e5, 1e6]) {
    const r = measureController(size);
    row({
      figure: `controller: percentile step (p=10, full history of ${exp(size)})`,
      ours: us(r.oursUs / 1000),
      baseline: `${us(r.selectUs / 1000)} (AutoClip step: copy + quickselect)`,
      ratio: `${times(r.selectUs / r.oursUs)} faster`,
      target: size === 1e6 ? '>= 10,000x, ~1 µs' : '',
    });
    if (size === (quick ? 1e5 : 1e6)) {
      row({ figure: `controller: Controller.decide, history ${exp(size)}`, ours: us(r.decideUs / 1000), baseline: `${us(r.sortUs / 1000)} (AutoClip step: copy + sort)`, ratio: `${times(r.sortUs / r.decideUs)} faster`, target: '' });
    }
  }
});

await section('SDK overhead', async () => {
  const s = await measureSdkOverhead();
  row({ figure: 'SDK: run.observe per step (decide + record + send)', ours: us(s.observeMs), baseline: `${us(s.tfStepMs)} (tfjs RNN training step, wasm)`, ratio: `${((s.observeMs / s.tfStepMs) * 100).toFixed(3)} % of the step`, target: '<= 1 %' });
  row({ figure: 'SDK: gradientNorms (tfjs adapter)', ours: us(s.normMs), baseline: `${us(s.tfStepMs)} (same tfjs step)`, ratio: `${((s.normMs / s.tfStepMs) * 100).toFixed(2)} % of the step`, target: '' });
});

await section('query', async () => {
  const sizes = quick ? [10_000, 1_000_000] : [10_000, 1_000_000, 10_000_000];
  const q = await measureQueries(sizes, { log });
  const base = q.get(10_000)!;
  for (const n of sizes) {
    row({ figure: `query: points=1000 over a run of ${exp(n)} steps`, ours: us(q.get(n)!), baseline: n === 10_000 ? '(the baseline)' : `${us(base)} (same query, 1e4 steps)`, ratio: n === 10_000 ? '1x' : `${(q.get(n)! / base).toFixed(2)}x`, target: n === 10_000_000 ? '<= 2x of 1e4' : '' });
  }
});

await section('postgres', async () => {
  const sizes = quick ? [10_000, 1_000_000] : [10_000, 1_000_000, 10_000_000];
  const p = await measurePostgres({ rounds: quick ? 4 : 10, querySizes: sizes, log });
  const socket = stepsPerSecond(p.socket.wallMs);
  const raw = stepsPerSecond(p.raw.wallMs);
  row({ figure: 'PostgreSQL ingest: socket /ingest (acked after commit)', ours: rate(socket), baseline: `${rate(raw)} (raw pg unnest insert)`, ratio: `${(socket / raw).toFixed(2)}x raw`, target: '' });
  const base = p.queries.get(10_000)!;
  for (const n of sizes) {
    const ms = p.queries.get(n)!;
    row({ figure: `PostgreSQL query: points=1000 over a run of ${exp(n)} steps`, ours: us(ms), baseline: n === 10_000 ? '(the baseline)' : `${us(base)} (same query, 1e4 steps)`, ratio: n === 10_000 ? '1x' : `${(ms / base).toFixed(2)}x`, target: '' });
  }
  row({ figure: 'PostgreSQL: two runs streamed at once to two servers on one database', ours: rate(p.twoServers), baseline: `${rate(p.oneServer)} (both to one server)`, ratio: `${(p.twoServers / p.oneServer).toFixed(2)}x`, target: '' });
});

await section('live latency', async () => {
  const l = await measureLiveLatency({ runs: 50, seconds: quick ? 4 : 15, lightSeconds: quick ? 2 : 5 });
  for (const [name, g] of [['1 run', l.light.gradpilot], ['50 runs', l.heavy.gradpilot]] as const) {
    if (g.errors.length > 0 || g.stepsLive !== g.stepsSent) throw new Error(`${name}: ${g.errors.length} errors, ${g.stepsSent - g.stepsLive} steps not pushed`);
  }
  const pair = (xs: number[], ys: number[], p: number) => ({
    ours: `${percentile(xs, p).toFixed(1)} ms`,
    baseline: `${percentile(ys, p).toFixed(1)} ms (bare socket.io relay, same load)`,
    ratio: `${(percentile(xs, p) / percentile(ys, p)).toFixed(2)}x`,
  });
  const light = l.light;
  const heavy = l.heavy;
  const stored = `${Math.round(heavy.gradpilot.stepsAcked / heavy.gradpilot.seconds).toLocaleString('en-US')} steps/s stored`;
  row({ figure: 'live: step -> dashboard p50, 1 run (10-step batches every 100 ms)', ...pair(light.gradpilot.dashboardMs, light.relay.dashboardMs, 50), target: '' });
  row({ figure: 'live: step -> dashboard p99, 1 run', ...pair(light.gradpilot.dashboardMs, light.relay.dashboardMs, 99), target: '' });
  row({ figure: `live: step -> dashboard p50, 50 runs at once (${stored})`, ...pair(heavy.gradpilot.dashboardMs, heavy.relay.dashboardMs, 50), target: '' });
  row({ figure: 'live: step -> dashboard p99, 50 runs', ...pair(heavy.gradpilot.dashboardMs, heavy.relay.dashboardMs, 99), target: '' });
  row({ figure: 'live: ingest batch -> ack p50, 50 runs', ...pair(heavy.gradpilot.ingestMs, heavy.relay.ingestMs, 50), target: '' });
  row({ figure: 'live: ingest batch -> ack p99, 50 runs', ...pair(heavy.gradpilot.ingestMs, heavy.relay.ingestMs, 99), target: '' });
});

await section('replays', async () => {
  const r = await measureReplayIngest({ steps: quick ? 100_000 : 300_000, seconds: quick ? 3 : 5 });
  const p = (xs: number[], q: number) => `${percentile(xs, q).toFixed(1)} ms`;
  const base = `${p(r.baseline, 99)} (no replays)`;
  row({ figure: `ingest ack p99 while 16 clients replay a ${exp(r.longRunSteps)}-step run, one at a time (the queue)`, ours: p(r.queued.latencies, 99), baseline: base, ratio: `${(percentile(r.queued.latencies, 99) / percentile(r.unqueued.latencies, 99)).toFixed(2)}x of 16 at once (${p(r.unqueued.latencies, 99)})`, target: '' });
  row({ figure: 'ingest ack p50, same', ours: p(r.queued.latencies, 50), baseline: `${p(r.baseline, 50)} (no replays)`, ratio: `${(percentile(r.queued.latencies, 50) / percentile(r.unqueued.latencies, 50)).toFixed(2)}x of 16 at once (${p(r.unqueued.latencies, 50)})`, target: '' });
});

await section('Python SDK', async () => {
  // test/bench/python-sdk.py under Debian's python3 (torch, socketio): its figures as JSON.
  const { stdout } = await promisify(execFile)('/usr/bin/python3', ['test/bench/python-sdk.py', '--json'], {
    env: { ...process.env, PYTHONPATH: 'sdk/python' }, maxBuffer: 1 << 24, timeout: 900_000,
  });
  type Pair = [number, number];
  const r = JSON.parse(stdout.trim().split('\n').at(-1)!) as {
    observe: { median: number }; steps: Record<string, number>; clips: Record<string, { params: number; torch: Pair; ours: Pair }>;
  };
  const sec = (s: number) => us(s * 1000);
  const [tinyName, tinyStep] = Object.entries(r.steps)[0];
  row({ figure: 'Python SDK: run.observe per step at a history of 1e6 (median block)', ours: sec(r.observe.median), baseline: `${sec(tinyStep)} (torch step, ${tinyName})`, ratio: `${((r.observe.median / tinyStep) * 100).toFixed(3)} % of the step`, target: '<= 1 %, <= 20 µs' });
  for (const [name, c] of Object.entries(r.clips)) {
    row({ figure: `Python SDK: gradpilot.torch.clip_grad_norm_, ${name} (${c.params.toLocaleString('en-US')} params)`, ours: sec(c.ours[0]), baseline: `${sec(c.torch[0])} (torch clip_grad_norm_ + .item())`, ratio: `${(c.ours[0] / c.torch[0]).toFixed(2)}x`, target: name.includes('1M') ? '<= 1.2x' : '' });
  }
});

await section('first paint', async () => {
  const p = await measureFirstPaint({ steps: quick ? 200_000 : 1_000_000, repeats: quick ? 2 : 5, log });
  row({ figure: `dashboard: first paint of a ${exp(p.steps)}-step run (Chromium)`, ours: `${p.ms.toFixed(0)} ms`, baseline: `${p.baselineMs.toFixed(0)} ms (a ${exp(p.baselineSteps)}-step run)`, ratio: `${(p.ms / p.baselineMs).toFixed(2)}x`, target: '' });
});

const header = '| figure | gradpilot | baseline (same run) | ratio | target |\n|---|---:|---:|---:|---|';
rows.sort((a, b) => SECTIONS.indexOf(a.section) - SECTIONS.indexOf(b.section));
const body = rows.map((r) => `| ${r.figure} | ${r.ours} | ${r.baseline} | ${r.ratio} | ${r.target} |`).join('\n');
const minutes = ((performance.now() - started) / 60_000).toFixed(1);
process.stdout.write(
  `\n${header}\n${body}\n\n` +
    `node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown cpu'}), load average ${load0.toFixed(1)} at start and ` +
    `${os.loadavg()[0].toFixed(1)} at the end; ${minutes} min${quick ? '; --quick' : ''}\n`,
);
if (failures.length > 0) {
  process.stderr.write(`bench: ${failures.length} section(s) failed:\n${failures.join('\n')}\n`);
  process.exitCode = 1;
}
