// The live-latency figure: step -> dashboard and ingest latency (p50, p99) with 50 runs
// streaming into a real `gradpilot serve` process, beside the same load through a bare
// socket.io relay (relay-server.ts) measured in the same run.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { type LoadResult, runLoad } from '../../load/run-load.ts';
import { REPO_ROOT, ServerProcess, cleanEnv } from '../../support/server-process.ts';

export interface LiveLatency {
  /** One run at 100 steps/s: the path's own latency. */
  light: { gradpilot: LoadResult; relay: LoadResult };
  /** `runs` runs at 100 steps/s each. */
  heavy: { gradpilot: LoadResult; relay: LoadResult };
}

async function withRelay<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'test/bench/perf/relay-server.ts')], {
    cwd: REPO_ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /relay listening on (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
    });
    return await fn(`http://127.0.0.1:${port}`);
  } finally {
    child.kill('SIGKILL');
  }
}

export async function measureLiveLatency({ runs = 50, seconds = 10, lightSeconds = 5 } = {}): Promise<LiveLatency> {
  const heavy = { runs, durationMs: seconds * 1000, batchSteps: 10, intervalMs: 100 };
  const light = { ...heavy, runs: 1, durationMs: lightSeconds * 1000 };
  const relay = await withRelay(async (url) => {
    await runLoad({ url, ...light, durationMs: 1000 }); // warm-up
    return { light: await runLoad({ url, ...light }), heavy: await runLoad({ url, ...heavy }) };
  });
  const server = new ServerProcess();
  try {
    await server.start();
    // Warm-up: tsx compiles modules on first use and V8 optimises the ingest path.
    await runLoad({ url: server.url, ...heavy, durationMs: 2000 });
    const lightResult = await runLoad({ url: server.url, ...light });
    const heavyResult = await runLoad({ url: server.url, ...heavy });
    return { light: { gradpilot: lightResult, relay: relay.light }, heavy: { gradpilot: heavyResult, relay: relay.heavy } };
  } finally {
    await server.dispose();
  }
}
