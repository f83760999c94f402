// A newer SDK against a server from before the per-step time column: that server refuses a
// batch with an unknown "time" field, and the SDK drops refused batches, so every step would
// be lost. Both SDKs instead send without the column once refused (told once, as OLDER_SERVER)
// and every step is stored. The server here is the real one of the commit before the column.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GradpilotError, init } from '../../sdk/index.ts';
import { checkOut, hasCommit } from '../support/old-checkout.ts';
import { REPO_ROOT, ServerProcess } from '../support/server-process.ts';
import { storedSteps, tempDir } from './helpers.ts';

/** main just before the time column (762e20a "Wall-clock time per step ..."). */
const BEFORE_TIME_COLUMN = '7dd05b5';
const STEPS = 600;
const PYTHON = '/usr/bin/python3';

// A shallow clone cannot have the old commit; the full clone CI makes always does.
describe.skipIf(!hasCommit(BEFORE_TIME_COLUMN))(`SDKs against the server of ${BEFORE_TIME_COLUMN} (before the time column)`, () => {
  let server: ServerProcess;
  let remove = (): void => {};
  beforeAll(async () => {
    const old = checkOut(BEFORE_TIME_COLUMN);
    remove = old.remove;
    server = new ServerProcess({ root: old.root });
    await server.start();
  }, 120_000);
  afterAll(async () => {
    await server?.dispose();
    remove();
  });

  it('should be a server that refuses the time field (the premise of this test)', async () => {
    await fetch(`${server.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'premise', name: 'premise' }) });
    const res = await fetch(`${server.url}/api/runs/premise/steps`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ steps: [{ step: 0, gradNorm: 1, time: Date.now() }] }),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/^Unknown field "time"/);
  });

  it('should store every step of the TS SDK, telling OLDER_SERVER once', async () => {
    const errors: GradpilotError[] = [];
    const run = await init({ url: server.url, name: 'ts-newer-sdk', spillDir: tempDir(), batchSize: 50, flushIntervalMs: 50, quiet: true });
    run.on('error', (e) => errors.push(e as GradpilotError));
    for (let step = 0; step < STEPS; step++) run.observe(step, { gradNorm: 1 + (step % 7) / 10, loss: 2 - step / STEPS });
    const closed = await run.close({ timeoutMs: 20_000 });
    expect(closed.delivered).toBe(STEPS);
    expect(closed.dropped).toBe(0);
    expect(errors.map((e) => e.code)).toEqual(['OLDER_SERVER']);
    expect(errors[0].message).toMatch(/older than this SDK.*Upgrade the server/);
    const stored = await storedSteps(server.url, run.id);
    expect(stored.step).toEqual(Array.from({ length: STEPS }, (_, i) => i));
  }, 60_000);

  it('should store every step of the Python SDK, telling OLDER_SERVER once', async () => {
    const script = `
import json, sys, tempfile, gradpilot
errors = []
run = gradpilot.init(sys.argv[1], name="py-newer-sdk", spill_dir=tempfile.mkdtemp(), batch_size=50, flush_interval=0.05, quiet=True)
run.on("error", lambda e: errors.append([e.code, str(e)]))
for step in range(${STEPS}):
    run.observe(step, 1 + (step % 7) / 10, loss=2 - step / ${STEPS})
closed = run.close(timeout=20.0)
print(json.dumps({"id": run.id, "closed": closed, "errors": errors}))
`;
    const out = spawnSync(PYTHON, ['-c', script, server.url], {
      env: { ...process.env, PYTHONPATH: path.join(REPO_ROOT, 'sdk/python') }, encoding: 'utf8', timeout: 60_000,
    });
    expect(out.status, out.stderr).toBe(0);
    const r = JSON.parse(out.stdout.trim().split('\n').at(-1)!) as { id: string; closed: { delivered: number; dropped: number }; errors: [string, string][] };
    expect(r.closed.delivered).toBe(STEPS);
    expect(r.closed.dropped).toBe(0);
    expect(r.errors.map((e) => e[0])).toEqual(['OLDER_SERVER']);
    const stored = await storedSteps(server.url, r.id);
    expect(stored.step).toEqual(Array.from({ length: STEPS }, (_, i) => i));
  }, 90_000);
});
