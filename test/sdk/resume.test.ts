// Resume: thresholds continue as if the run had never stopped.
import { rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Controller, parsePolicy } from '../../sdk/controller/index.ts';
import { init, type InitOptions, type PolicyInput, type Run } from '../../sdk/index.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { storedSteps, tempDir } from './helpers.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(): Promise<{ server: TestServer; base: Partial<InitOptions> }> {
  const server = await withServer();
  const spillDir = tempDir();
  cleanup.push(() => server.close(), () => rmSync(spillDir, { recursive: true, force: true }));
  return { server, base: { url: server.url, spillDir, batchSize: 32, flushIntervalMs: 20 } };
}

/** A spiky series with a NaN, deterministic. */
function norms(n: number): number[] {
  const out: number[] = [];
  let x = 7;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const u = x / 2147483648;
    out.push(i === 77 ? Number.NaN : i % 53 === 11 ? 40 * (1 + u) : Math.exp(u - 0.5));
  }
  return out;
}

const N = 300;
const g = norms(N);

function reference(policy: PolicyInput): (number | null)[] {
  const c = new Controller(parsePolicy(policy));
  return g.map((gradNorm, step) => c.decide({ step, gradNorm }).threshold);
}

function observeRange(run: Run, from: number, to: number): (number | null)[] {
  const out: (number | null)[] = [];
  for (let s = from; s < to; s++) out.push(run.observe(s, { gradNorm: g[s] }).threshold);
  return out;
}

const POLICIES: PolicyInput[] = [
  { kind: 'percentile', p: 10 },
  { kind: 'percentile', p: 90, window: 50 },
  { kind: 'zscore', warmupSteps: 10 },
];

describe('resume', () => {
  for (const policy of POLICIES) {
    it(`should continue after the last stored step with the same thresholds (${JSON.stringify(policy)})`, async () => {
      const { server, base } = await setup();
      const expected = reference(policy);
      const first = await init({ ...base, name: 'resume-last', policy } as InitOptions);
      expect(observeRange(first, 0, 150)).toEqual(expected.slice(0, 150));
      expect((await first.close()).undelivered).toBe(0);

      const second = await init({ ...base, resume: first.id } as InitOptions);
      cleanup.push(() => second.close());
      expect(second.policy.kind).toBe(policy.kind);
      expect(observeRange(second, 150, N)).toEqual(expected.slice(150));
    });
  }

  it('should continue from a checkpoint step, replacing the stored steps after it', async () => {
    const { server, base } = await setup();
    const policy: PolicyInput = { kind: 'percentile', p: 25 };
    const expected = reference(policy);
    const first = await init({ ...base, name: 'resume-from', policy } as InitOptions);
    // Trains past the checkpoint (step 149) with other norms, then crashes.
    for (let s = 0; s < 200; s++) first.observe(s, { gradNorm: s < 150 ? g[s] : 1000 + s });
    await first.close();

    const second = await init({ ...base, resume: first.id, fromStep: 149 } as InitOptions);
    cleanup.push(() => second.close());
    expect(observeRange(second, 150, N)).toEqual(expected.slice(150));
    expect(await second.flush({ timeoutMs: 10_000 })).toBe(true);
    const stored = await storedSteps(server.url, first.id);
    expect(stored.step).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(stored.gradNorm.slice(150, 200)).toEqual(g.slice(150, 200));
  });

  it('should resume from a controller state saved with the checkpoint, without asking the server for it', async () => {
    const { base } = await setup();
    const policy: PolicyInput = { kind: 'percentile', p: 10, window: 40 };
    const expected = reference(policy);
    const first = await init({ ...base, name: 'resume-state', policy } as InitOptions);
    observeRange(first, 0, 150);
    const state = JSON.parse(JSON.stringify(first.controllerState()));
    await first.close();
    const second = await init({ ...base, resume: first.id, fromStep: 149, state } as InitOptions);
    cleanup.push(() => second.close());
    expect(observeRange(second, 150, N)).toEqual(expected.slice(150));
  });

  it('should fail clearly when the run to resume does not exist', async () => {
    const { base } = await setup();
    await expect(init({ ...base, resume: 'no-such-run', resumeTimeoutMs: 5000 } as InitOptions)).rejects.toThrow(
      /Could not resume run "no-such-run": .*Unknown run/,
    );
  });
});
