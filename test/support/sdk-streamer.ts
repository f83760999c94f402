// A training loop in its own process for the fault tests: the real SDK (init / observe /
// close) streaming normAt(step) to a server. It reports on stdout, one JSON line each:
//   {"event":"started", runId, lastStep}        after init (for a resume: with the server's state)
//   {"event":"progress", observed, delivered, undelivered, ...}  every progressMs
//   {"event":"closed", lastStep, report}        after run.close()
// "stop" on stdin ends training at the next tick. Run: node --import tsx sdk-streamer.ts '<json>'
import { init } from '../../sdk/index.ts';
import type { InitOptions, PolicyInput } from '../../sdk/index.ts';
import { lossAt, normAt } from './norm-at.ts';

export interface StreamerConfig {
  url: string;
  /** A new run with this id, or (with resume) the run to continue. */
  id: string;
  resume?: boolean;
  fromStep?: number;
  policy?: PolicyInput;
  token?: string;
  spillDir: string;
  /** First step of a new run (a resume continues after the server's last step). */
  from?: number;
  /** Train up to (not including) this step, unless stopped first. */
  to: number;
  stepsPerTick: number;
  tickMs: number;
  batchSize?: number;
  flushIntervalMs?: number;
  progressMs?: number;
  closeTimeoutMs?: number;
}

function emit(obj: Record<string, unknown>): void {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

const cfg = JSON.parse(process.argv[2] ?? '{}') as StreamerConfig;
const common = {
  url: cfg.url,
  spillDir: cfg.spillDir,
  batchSize: cfg.batchSize ?? 100,
  flushIntervalMs: cfg.flushIntervalMs ?? 50,
  // Long: a kill is seen at once as a closed socket; a short timeout would only make a slow
  // server's batches be resent out of order, and acknowledged steps would stop being a prefix.
  ackTimeoutMs: 30_000,
  reconnectDelayMaxMs: 250,
  ...(cfg.token ? { token: cfg.token } : {}),
};
const options: InitOptions = cfg.resume
  ? { ...common, resume: cfg.id, ...(cfg.fromStep !== undefined ? { fromStep: cfg.fromStep } : {}) }
  : { ...common, id: cfg.id, name: `fault ${cfg.id}`, ...(cfg.policy ? { policy: cfg.policy } : {}) };
const run = await init(options);
const resumedAt = run.status().lastStep;
emit({ event: 'started', runId: run.id, lastStep: resumedAt, policy: run.policy });

let stopped = false;
process.stdin.on('data', (d: Buffer) => {
  if (d.toString().includes('stop')) stopped = true;
});
process.stdin.on('end', () => (stopped = true));

let step = cfg.resume ? (resumedAt ?? -1) + 1 : (cfg.from ?? 0);
const report = () => emit({ event: 'progress', observed: step - 1, ...run.status() });
const timer = setInterval(report, cfg.progressMs ?? 50);
while (step < cfg.to && !stopped) {
  for (let i = 0; i < cfg.stepsPerTick && step < cfg.to; i++, step++) {
    run.observe(step, { gradNorm: normAt(step), loss: lossAt(step) });
  }
  await new Promise((r) => setTimeout(r, cfg.tickMs));
}
emit({ event: 'trained', lastStep: step - 1 });
const closeReport = await run.close({ timeoutMs: cfg.closeTimeoutMs ?? 60_000 });
clearInterval(timer);
report();
emit({ event: 'closed', lastStep: step - 1, report: closeReport });
process.stdin.destroy();
