// The live-latency figure: step -> dashboard and ingest latency (p50, p99) with 50 runs
// streaming into a real `gradpilot serve` process, beside the same load through a bare
// socket.io relay (relay-server.ts) measured in the same run.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { type LoadResult, runLoad } from '../../load/run-load.ts';
import { REPO_ROOT, ServerProcess, cleanEnv } from '../../support/server-process.ts';

export interface LiveLatency {
  gradpilot: LoadResult;
  relay: LoadResult;
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

export async function measureLiveLatency({ runs = 50, seconds = 10 } = {}): Promise<LiveLatency> {
  const load = { runs, durationMs: seconds * 1000, batchSteps: 10, intervalMs: 100 };
  const relay = await withRelay((url) => runLoad({ url, ...load }));
  const server = new ServerProcess();
  try {
    await server.start();
    const gradpilot = await runLoad({ url: server.url, ...load });
    return { gradpilot, relay };
  } finally {
    await server.dispose();
  }
}
