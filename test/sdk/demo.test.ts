// `npm run demo` end to end: a real tfjs run streamed to a real server, as a user starts it.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import type { RunSummary } from '../../sdk/protocol/api-types.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { getJson } from './helpers.ts';

const exec = promisify(execFile);
const cli = fileURLToPath(new URL('../../server/cli/gradpilot.js', import.meta.url));
let server: TestServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

describe('gradpilot demo', () => {
  it('should train, stream every step, print the dashboard URL and finish the run', async () => {
    server = await withServer();
    const { stdout } = await exec(process.execPath, [cli, 'demo', '--steps', '12', '--url', server.url, '--policy', 'zscore'], {
      timeout: 60_000,
    });
    const runs = await getJson<RunSummary[]>(`${server.url}/api/runs`);
    expect(runs).toHaveLength(1);
    expect(stdout).toContain(`dashboard: ${server.url}/#/runs/${runs[0].id}`);
    expect(stdout).toMatch(/done: .*12 steps delivered, 0 undelivered/);
    expect(runs[0]).toMatchObject({ name: 'demo zscore', project: 'demo', steps: 12, status: 'finished' });
    expect(runs[0].policy.policy.kind).toBe('zscore');
  });

  it('should refuse a bad --policy with exit code 2 and say what it expects', async () => {
    const err = await exec(process.execPath, [cli, 'demo', '--policy', 'sometimes'], { timeout: 30_000 }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 2 });
    expect((err as { stderr: string }).stderr).toMatch(/Expected --policy to be percentile, zscore, fixed, off or policy JSON, got "sometimes"/);
  });
});
