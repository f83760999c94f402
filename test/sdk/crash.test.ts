// A training process killed while the server was away loses at most its last flush interval:
// the next init of the same run delivers what the dead process spilled.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { init } from '../../sdk/index.ts';
import { RestartableServer, storedSteps, tempDir } from './helpers.ts';

const run = promisify(execFile);
const child = fileURLToPath(new URL('./fixtures/crash-child.ts', import.meta.url));
const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

describe('crash of the training process', () => {
  it('should deliver the steps of a SIGKILLed process from its spill file on the next init of the run', async () => {
    const server = new RestartableServer();
    await server.start();
    await server.stop();
    const spillDir = tempDir();
    cleanup.push(() => server.dispose(), () => rmSync(spillDir, { recursive: true, force: true }));

    const result = await run(process.execPath, ['--import', 'tsx', child, server.url, 'crash-run', spillDir, '100'], { timeout: 30_000 })
      .then(() => ({ signal: null, stdout: '' }), (err: { signal: string | null; stdout: string }) => err);
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toContain('observed 100');

    await server.start();
    const next = await init({ url: server.url, id: 'crash-run', name: 'crashed', spillDir, flushIntervalMs: 20 });
    cleanup.push(() => next.close());
    expect(await next.flush({ timeoutMs: 10_000 })).toBe(true);
    const stored = await storedSteps(server.url, 'crash-run');
    expect(stored.step).toEqual(Array.from({ length: 100 }, (_, i) => i));
    for (let s = 0; s < 100; s++) expect(Object.is(stored.gradNorm[s], s % 10 === 3 ? Number.NaN : s / 10)).toBe(true);
  });
});
