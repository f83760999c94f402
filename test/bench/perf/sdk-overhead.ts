// The SDK-overhead figure: runs the SDK's own benchmark (test/bench/sdk.bench.ts, engineer
// C's, under vitest bench as `npm run bench:vitest` would) and reads the table it prints,
// so the figure is measured exactly the way that benchmark measures it.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { REPO_ROOT, cleanEnv } from '../../support/server-process.ts';

export interface SdkOverhead {
  tfStepMs: number;
  observeMs: number;
  normMs: number;
}

/** "70.56 ms" / "11.18 µs" -> milliseconds. */
export function parseDuration(text: string): number {
  const m = /([\d.]+)\s*(ms|µs|us|s)\b/.exec(text);
  if (!m) throw new Error(`Expected a duration such as "1.5 ms", got "${text}"`);
  const v = Number(m[1]);
  return m[2] === 's' ? v * 1000 : m[2] === 'ms' ? v : v / 1000;
}

export function parseSdkTable(out: string): SdkOverhead {
  const cell = (rowStart: string): string => {
    const line = out.split('\n').find((l) => l.startsWith(`| ${rowStart}`));
    if (!line) throw new Error(`sdk.bench.ts printed no "${rowStart}" row`);
    return line.split('|')[2];
  };
  return { tfStepMs: parseDuration(cell('tf training step')), observeMs: parseDuration(cell('run.observe')), normMs: parseDuration(cell('gradientNorms')) };
}

export function measureSdkOverhead(): Promise<SdkOverhead> {
  return new Promise((resolve, reject) => {
    const vitest = path.join(REPO_ROOT, 'node_modules/vitest/vitest.mjs');
    const child = spawn(process.execPath, [vitest, 'bench', '--run', 'test/bench/sdk.bench.ts'], { cwd: REPO_ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      try {
        if (code !== 0) throw new Error(`sdk.bench.ts exited with ${code}: ${out.slice(-500)}`);
        resolve(parseSdkTable(out));
      } catch (err) {
        reject(err);
      }
    });
  });
}
