// `npm run demo` end to end: a real tfjs run streamed to a real server, as a user starts it.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sdk/protocol/api-types.ts';
import { cleanEnv } from '../support/server-process.ts';
import { withServer, type TestServer } from '../support/server.ts';

const exec = promisify(execFile);
const cli = fileURLToPath(new URL('../../server/cli/gradpilot.js', import.meta.url));
let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

const TOKEN = 'demo-token-5c1e';

describe('gradpilot demo', () => {
  it('should train, stream every step with the token from GRADPILOT_TOKEN, print the dashboard URL and finish the run', async () => {
    server = await withServer({ token: TOKEN });
    const { stdout } = await exec(process.execPath, [cli, 'demo', '--steps', '12', '--url', server.url, '--policy', 'zscore'], {
      timeout: 60_000,
      env: cleanEnv({ GRADPILOT_TOKEN: TOKEN }),
    });
    const res = await fetch(`${server.url}/api/runs`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const runs = (await res.json()) as RunSummary[];
    expect(runs).toHaveLength(1);
    expect(stdout).toContain(`dashboard: ${server.url}/#/runs/${runs[0].id}`);
    expect(stdout).toMatch(/done: .*12 steps delivered, 0 undelivered/);
    expect(runs[0]).toMatchObject({ name: 'demo zscore', project: 'demo', steps: 12, status: 'finished' });
    expect(runs[0].policy.policy.kind).toBe('zscore');
  });

  it('should refuse a bad --policy, and a token on the command line (where every user can read it), with exit code 2 saying what to do', async () => {
    const refused = (args: string[]) => exec(process.execPath, [cli, 'demo', ...args], { timeout: 30_000, env: cleanEnv() }).catch((e: { code: number; stderr: string }) => e);
    const [policy, token] = await Promise.all([refused(['--policy', 'sometimes']), refused(['--token', TOKEN])]);
    expect(policy).toMatchObject({ code: 2 });
    expect((policy as { stderr: string }).stderr).toMatch(/Expected --policy to be percentile, zscore, fixed, off or policy JSON, got "sometimes"/);
    expect(token).toMatchObject({ code: 2 });
    expect((token as { stderr: string }).stderr).toMatch(/--token is not accepted: .*Set GRADPILOT_TOKEN instead/);
  });
});
