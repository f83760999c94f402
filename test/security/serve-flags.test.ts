// `gradpilot serve --allowed-hosts … --public-reads` (and their environment variables) reach
// the server: the real CLI in its own process, asked over real HTTP.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rawRequest } from '../support/raw-request.ts';
import { CLI, REPO_ROOT, cleanEnv, runCli } from '../support/server-process.ts';

const TOKEN = 'flag-token-77';

/** Starts `gradpilot serve` and resolves with its port once it listens. */
function serve(args: string[], env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', ...args], { cwd: REPO_ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`gradpilot serve exited (${code}): ${out}`)));
  });
}

describe('gradpilot serve guard flags', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-flags-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('should answer the --allowed-hosts names and open reads with --public-reads, the flag winning over the environment', async () => {
    const { child, port } = await serve(['--db', path.join(dir, 'flags.db'), '--allowed-hosts', 'gradpilot.lan,box.lan:9000', '--public-reads'], {
      GRADPILOT_TOKEN: TOKEN, GRADPILOT_ALLOWED_HOSTS: 'env-only.lan',
    });
    try {
      const get = (host: string) => rawRequest(port, 'GET', '/api/runs', { host });
      expect((await get(`gradpilot.lan:${port}`)).status).toBe(200);
      expect((await get('box.lan:9000')).status).toBe(200);
      expect((await get(`env-only.lan:${port}`)).status).toBe(421);
      expect((await get(`evil.example:${port}`)).status).toBe(421);
      const write = await rawRequest(port, 'POST', '/api/runs', { 'content-type': 'application/json' }, '{"name":"x"}');
      expect(write.status).toBe(401);
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  }, 60_000);

  it('should refuse a malformed GRADPILOT_ALLOWED_HOSTS or GRADPILOT_PUBLIC_READS with exit code 2, naming it', async () => {
    const [hosts, reads] = await Promise.all([
      runCli(['serve', '--port', '0', '--db', path.join(dir, 'bad.db')], { GRADPILOT_ALLOWED_HOSTS: 'ok.lan,not ok' }),
      runCli(['serve', '--port', '0', '--db', path.join(dir, 'bad.db')], { GRADPILOT_PUBLIC_READS: 'yes' }),
    ]);
    expect(hosts.code).toBe(2);
    expect(hosts.stderr).toContain('Expected each of "--allowed-hosts (or GRADPILOT_ALLOWED_HOSTS)" to be a host name or IP with an optional port');
    expect(hosts.stderr).toContain('got "not ok"');
    expect(reads.code).toBe(2);
    expect(reads.stderr).toContain('Expected GRADPILOT_PUBLIC_READS to be 1, true, 0 or false, got "yes"');
  }, 60_000);
});
