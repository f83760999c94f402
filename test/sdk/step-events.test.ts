// run.on('event', fn): the run's own controller tells the script, inside observe(), with no
// server in the loop (these runs point at a port where nothing listens).
import { afterEach, describe, expect, it } from 'vitest';
import { init, NonFiniteGradientError, type Run, type StepEvent } from '../../sdk/index.ts';

const NOTHING_LISTENS = 'http://127.0.0.1:9';
const runs: Run[] = [];
afterEach(async () => {
  for (const r of runs.splice(0)) await r.close({ timeoutMs: 0 });
});

async function offlineRun(policy?: Parameters<typeof init>[0]['policy']): Promise<Run> {
  const run = await init({ url: NOTHING_LISTENS, name: 'events', spillDir: null, quiet: true, ...(policy ? { policy } : {}) });
  runs.push(run);
  return run;
}

// 20 norms alternating 1 and 3 (mean 2, std 1: the spike level is 8, the explosion level 20).
const SEED = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 1 : 3));

describe("run.on('event')", () => {
  it('should call the listener inside observe, once per event, with the decision it returns', async () => {
    const run = await offlineRun({ kind: 'fixed', maxNorm: 5 });
    const seen: StepEvent[] = [];
    let inside = false;
    run.on('event', (e) => {
      expect(inside).toBe(true);
      seen.push(e);
    });
    const norms = [...SEED, 9, 2, 30, Number.NaN, 2]; // 30 > 10 x the median 2.5
    const decisions = norms.map((g, step) => {
      inside = true;
      const d = run.observe(step, { gradNorm: g, loss: 0.5 });
      inside = false;
      return d;
    });
    expect(seen.map((e) => [e.kind, e.step])).toEqual([['spike', 20], ['spike', 22], ['explosion', 22], ['nonfinite', 23]]);
    for (const e of seen) {
      expect(e.decision).toBe(decisions[e.step]);
      expect(e.gradNorm).toBe(norms[e.step]);
      expect(e.loss).toBe(0.5);
    }
    expect(seen[2].decision).toMatchObject({ action: 'clip', threshold: 5, events: ['spike', 'explosion'] });
    expect(seen[3].decision).toMatchObject({ action: 'skip', coef: 0 });
    expect(run.status()).toMatchObject({ connected: false, ready: false });
  });

  it('should stop calling a listener once it unsubscribed', async () => {
    const run = await offlineRun();
    const kinds: string[] = [];
    const off = run.on('event', (e) => kinds.push(e.kind));
    run.observe(0, { gradNorm: Number.NaN });
    off();
    run.observe(1, { gradNorm: Number.POSITIVE_INFINITY });
    expect(kinds).toEqual(['nonfinite']);
  });

  it("should let a listener's error leave observe, after the step was recorded", async () => {
    const run = await offlineRun();
    run.on('event', (e) => {
      throw new Error(`stop at ${e.step}`);
    });
    expect(() => run.observe(0, { gradNorm: Number.NaN })).toThrow('stop at 0');
    expect(run.status()).toMatchObject({ lastStep: 0, undelivered: 1 });
    expect(run.observe(1, { gradNorm: 1 }).action).toBe('apply');
  });

  it("should call the listener before observe throws under onNonFinite: 'raise'", async () => {
    const run = await offlineRun({ kind: 'percentile', onNonFinite: 'raise' });
    const kinds: string[] = [];
    run.on('event', (e) => kinds.push(e.kind));
    expect(() => run.observe(0, { gradNorm: 1, loss: Number.NaN })).toThrow(NonFiniteGradientError);
    expect(kinds).toEqual(['nonfinite']);
  });
});
