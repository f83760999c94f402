// `npm start` under a process manager: SIGTERM goes to npm, which passes it to its child. That
// child used to be `sh -c "node …"`, and dash (Debian's /bin/sh) neither forwards the signal
// nor execs its last command: sh died, `node … serve` was left orphaned and serving. The
// script now `exec`s node, so the signal reaches the server, which shuts down as on Ctrl-C.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO_ROOT, cleanEnv } from '../support/server-process.ts';

function exited(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    else child.once('exit', (code, signal) => resolve({ code, signal }));
  });
}

async function answers(url: string): Promise<boolean> {
  try {
    await fetch(`${url}/api/health`, { signal: AbortSignal.timeout(2000) });
    return true;
  } catch {
    return false;
  }
}

describe('npm start and SIGTERM', () => {
  const cleanup: (() => void)[] = [];
  afterEach(() => {
    for (const fn of cleanup.splice(0).reverse()) fn();
  });

  it('should pass SIGTERM sent to npm on to the server, which shuts down and stops serving', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-npm-start-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    // Its own process group, so that whatever is left can be killed by the group's id.
    const npm = spawn('npm', ['start'], {
      cwd: REPO_ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'],
      env: cleanEnv({ GRADPILOT_PORT: '0', GRADPILOT_DB: path.join(dir, 'npm-start.db') }),
    });
    cleanup.push(() => {
      try {
        process.kill(-npm.pid!, 'SIGKILL');
      } catch {
        // the group is gone: nothing was left behind
      }
    });
    let out = '';
    npm.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    npm.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`npm start did not listen within 60 s: ${out}`)), 60_000);
      npm.stdout!.on('data', () => {
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    expect(await answers(url)).toBe(true);

    npm.kill('SIGTERM');
    const exit = await exited(npm);
    // npm reports its child's exit; the server's clean shutdown exits 0.
    expect(exit).toEqual({ code: 0, signal: null });
    expect(out).toContain('gradpilot: SIGTERM, shutting down');
    let stillServing = true;
    for (const end = Date.now() + 10_000; stillServing && Date.now() < end; ) {
      stillServing = await answers(url);
      if (stillServing) await new Promise((r) => setTimeout(r, 100));
    }
    expect(stillServing).toBe(false);
  }, 120_000);
});
