import { describe, expect, it } from 'vitest';
import { Controller, DEFAULT_POLICY, parsePolicy, percentileOfSorted, type Decision, type Policy } from '../../sdk/controller/index.ts';
import { mulberry32 } from '../support/random.ts';
import { spikySeries } from './series.ts';

const POLICIES: Record<string, unknown>[] = [
  {},
  { kind: 'percentile', p: 25, window: 50, warmupSteps: 30, maxNorm: 3, minThreshold: 1.1 },
  { kind: 'percentile', p: 90, window: 1, onNonFinite: 'clip' },
  { kind: 'zscore' },
  { kind: 'zscore', clipOption: 'mean', updateStatsOnSpike: false, maxNorm: 2, onNonFinite: 'raise' },
  { kind: 'fixed', maxNorm: 1.2, skipOnSpike: true },
  { kind: 'off' },
  { kind: 'off', maxNorm: 5, spikeZ: 3, explosionFactor: 4 },
];

function run(policy: Policy, norms: number[]): Decision[] {
  const c = new Controller(policy);
  return norms.map((gradNorm, step) => c.decide({ step, gradNorm }));
}

describe('controller: percentile policy', () => {
  it('should threshold at the percentile of the history including this step, after warm-up', () => {
    const norms = spikySeries(300, 3, { nonFinite: false });
    const policy = parsePolicy({ kind: 'percentile', p: 10, warmupSteps: 20 });
    run(policy, norms).forEach((d, i) => {
      const sorted = Float64Array.from(norms.slice(0, i + 1)).sort();
      expect(d.stats.percentile).toBe(percentileOfSorted(sorted, 10));
      expect(d.stats.historySize).toBe(i + 1);
      if (i < 20) {
        expect(d.threshold).toBeNull();
        expect(d.coef).toBe(1);
        expect(d.action).toBe('apply');
      } else {
        expect(d.threshold).toBe(d.stats.percentile);
        const g = norms[i];
        if (g > (d.threshold as number)) {
          expect(d.coef).toBe((d.threshold as number) / (g + 1e-6));
          expect(d.action).toBe('clip');
        } else {
          expect(d.coef).toBe(1);
          expect(d.action).toBe('apply');
        }
      }
    });
  });

  it('should clamp to minThreshold/maxThreshold and then cap by maxNorm; only maxNorm during warm-up', () => {
    const norms = [1, 2, 3, 4, 100];
    const d1 = run(parsePolicy({ kind: 'percentile', p: 50, minThreshold: 3.5 }), norms);
    expect(d1.map((d) => d.threshold)).toEqual([3.5, 3.5, 3.5, 3.5, 3.5]);
    const d2 = run(parsePolicy({ kind: 'percentile', p: 50, maxThreshold: 1.5 }), norms);
    expect(d2.map((d) => d.threshold)).toEqual([1, 1.5, 1.5, 1.5, 1.5]);
    const d3 = run(parsePolicy({ kind: 'percentile', p: 100, minThreshold: 3, maxNorm: 2, warmupSteps: 2 }), norms);
    expect(d3.map((d) => d.threshold)).toEqual([2, 2, 2, 2, 2]);
    expect(d3[4].coef).toBe(2 / (100 + 1e-6));
  });

  it('should count warm-up in finite norms of the run, not of the window', () => {
    const d = run(parsePolicy({ kind: 'percentile', p: 50, window: 2, warmupSteps: 3 }), [5, Number.NaN, 1, 2, 3]);
    expect(d.map((x) => x.threshold)).toEqual([null, null, null, null, 2.5]);
    expect(d[4].stats.historySize).toBe(2);
  });
});

describe('controller: fixed and off', () => {
  it('should clip at maxNorm under fixed', () => {
    const d = run(parsePolicy({ kind: 'fixed', maxNorm: 1 }), [0.5, 1, 2]);
    expect(d.map((x) => [x.threshold, x.coef, x.action])).toEqual([
      [1, 1, 'apply'],
      [1, 1, 'apply'],
      [1, 1 / (2 + 1e-6), 'clip'],
    ]);
  });

  it('should set no threshold under off, unless maxNorm caps it', () => {
    const norms = spikySeries(200, 8, { nonFinite: false });
    for (const d of run(parsePolicy({ kind: 'off' }), norms)) {
      expect(d.threshold).toBeNull();
      expect(d.coef).toBe(1);
    }
    const capped = run(parsePolicy({ kind: 'off', maxNorm: 2 }), [1, 3]);
    expect(capped.map((x) => [x.threshold, x.coef])).toEqual([
      [2, 1],
      [2, 2 / (3 + 1e-6)],
    ]);
  });
});

describe('controller: non-finite norms', () => {
  for (const raw of POLICIES) {
    it(`should flag, skip or zero, and keep out of every statistic: ${JSON.stringify(raw)}`, () => {
      const policy = parsePolicy({ kind: 'percentile', ...raw });
      const clean = spikySeries(260, 21, { nonFinite: false });
      const bad = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY];
      // The same finite norms with non-finite steps inserted at 0, 45-47 and 200.
      const withBad: number[] = [];
      const at = new Map([[0, [bad[0]]], [45, bad], [200, [bad[1]]]]);
      clean.forEach((g, i) => {
        withBad.push(...(at.get(i) ?? []), g);
      });
      const a = run(policy, clean);
      const b = run(policy, withBad);
      let j = 0;
      let inARow = 0;
      withBad.forEach((g, step) => {
        const d = b[step];
        if (Number.isFinite(g)) {
          inARow = 0;
          const ref = a[j++];
          expect({ ...d, step: 0, stats: { ...d.stats } }).toStrictEqual({ ...ref, step: 0, stats: { ...ref.stats } });
        } else {
          inARow++;
          expect(d.events).toEqual(['nonfinite']);
          expect(d.coef).toBe(0);
          expect(d.action).toBe(policy.onNonFinite === 'clip' ? 'clip' : 'skip');
          expect(d.stats.consecutiveNonFinite).toBe(inARow);
        }
      });
    });
  }

  it('should treat a non-finite loss as a non-finite step', () => {
    const c = new Controller(DEFAULT_POLICY);
    c.decide({ step: 0, gradNorm: 1 });
    const d = c.decide({ step: 1, gradNorm: 2, loss: Number.NaN });
    expect(d.events).toEqual(['nonfinite']);
    expect(d.action).toBe('skip');
    expect(d.stats.historySize).toBe(1);
    expect(c.decide({ step: 2, gradNorm: 2, loss: 0.5 }).events).toEqual([]);
  });
});

describe('controller: spikes', () => {
  it('should detect spikes under every policy, off included, and skip them with skipOnSpike', () => {
    const norms = spikySeries(300, 4, { nonFinite: false });
    const flagged = run(parsePolicy({ kind: 'fixed', maxNorm: 100 }), norms).map((d) => d.events.includes('spike'));
    expect(flagged.filter(Boolean).length).toBeGreaterThan(3);
    expect(flagged.slice(0, 20).some(Boolean)).toBe(false);
    for (const raw of POLICIES) {
      const policy = parsePolicy({ kind: 'percentile', ...raw, spikeZ: 6, explosionFactor: 10 });
      const decisions = run(policy, norms);
      expect(decisions.map((d) => d.events.includes('spike'))).toEqual(flagged);
      const skip = run(parsePolicy({ ...policy, skipOnSpike: true }), norms);
      skip.forEach((d, i) => {
        if (flagged[i]) expect([d.action, d.coef]).toEqual(['skip', 0]);
        else expect(d).toStrictEqual(decisions[i]);
      });
    }
  });
});

describe('controller: policy changes and state', () => {
  it('should keep the history across kinds, keep zscore stats zscore->zscore, restart them otherwise', () => {
    const norms = spikySeries(120, 9, { nonFinite: false });
    const c = new Controller(parsePolicy({ kind: 'zscore', warmupSteps: 10 }));
    norms.slice(0, 60).forEach((gradNorm, step) => c.decide({ step, gradNorm }));
    c.setPolicy(parsePolicy({ kind: 'percentile', p: 50 }));
    const d = c.decide({ step: 60, gradNorm: norms[60] });
    expect(d.stats.historySize).toBe(61);
    expect(d.stats.percentile).toBe(percentileOfSorted(Float64Array.from(norms.slice(0, 61)).sort(), 50));
    c.setPolicy(parsePolicy({ kind: 'zscore', warmupSteps: 10 }));
    const w = c.decide({ step: 61, gradNorm: norms[61] });
    expect(w.stats.emaMean).toBeNull(); // warm-up again
    for (let s = 62; s < 80; s++) c.decide({ step: s, gradNorm: norms[s] });
    const before = c.decide({ step: 80, gradNorm: norms[80] });
    c.setPolicy(parsePolicy({ kind: 'zscore', warmupSteps: 10, z: 3 }));
    const after = c.decide({ step: 81, gradNorm: norms[81] });
    expect(after.stats.emaMean).not.toBeNull();
    expect(after.stats.historySize).toBe(before.stats.historySize + 1);
  });

  it('should continue bit-identically after a JSON round trip at random steps, for every policy', () => {
    const rand = mulberry32(2024);
    const norms = spikySeries(420, 17);
    for (const raw of POLICIES) {
      const first = parsePolicy({ kind: 'percentile', ...raw });
      // A policy change at step 250 (into zscore, or zscore -> percentile with a window).
      const second = parsePolicy(first.kind === 'zscore' ? { kind: 'percentile', p: 30, window: 100 } : { kind: 'zscore', warmupSteps: 10 });
      const third = parsePolicy({ ...first, ...(first.kind === 'percentile' ? { p: 75 } : {}) });
      const schedule = (step: number): Policy | null => (step === 250 ? second : step === 330 ? third : null);
      const drive = (c: Controller, from: number, to: number): Decision[] => {
        const out: Decision[] = [];
        for (let step = from; step < to; step++) {
          const next = schedule(step);
          if (next) c.setPolicy(next);
          out.push(c.decide({ step, gradNorm: norms[step], loss: step === 300 ? Number.NaN : 1 }));
        }
        return out;
      };
      const reference = drive(new Controller(first), 0, norms.length);
      const ks = [0, 1, 39, 40, 41, 249, 250, 329, ...Array.from({ length: 6 }, () => Math.floor(rand() * norms.length))];
      for (const k of ks) {
        const a = new Controller(first);
        drive(a, 0, k + 1);
        const b = Controller.fromState(JSON.parse(JSON.stringify(a.toState())));
        expect(b.policy).toStrictEqual(a.policy);
        const rest = drive(b, k + 1, norms.length);
        const want = reference.slice(k + 1);
        for (let i = 0; i < rest.length; i++) {
          if (!Object.is(rest[i].coef, want[i].coef) || !Object.is(rest[i].threshold, want[i].threshold)) {
            expect.fail(`${JSON.stringify(raw)} restored at ${k}: step ${rest[i].step} differs`);
          }
        }
        expect(rest).toStrictEqual(want);
      }
    }
  });

  it('should reject a malformed state with a message naming the field', () => {
    const c = new Controller(parsePolicy({ kind: 'zscore', warmupSteps: 2 }));
    for (let s = 0; s < 30; s++) c.decide({ step: s, gradNorm: 1 + s / 10 });
    const good = JSON.parse(JSON.stringify(c.toState()));
    const broken = (patch: (s: any) => void): unknown => {
      const s = structuredClone(good);
      patch(s);
      return s;
    };
    expect(() => Controller.fromState(null)).toThrow(/expected "state" to be an object/);
    expect(() => Controller.fromState(broken((s) => (s.version = 2)))).toThrow(/"version"/);
    expect(() => Controller.fromState(broken((s) => (s.data.log[3] = 'x')))).toThrow(/data\.log\[3\]/);
    expect(() => Controller.fromState(broken((s) => (s.policy.z = -1)))).toThrow(/Invalid controller state: Expected "z"/);
    expect(() => Controller.fromState(broken((s) => s.data.log.pop()))).toThrow(/data\.detector\.count/);
    expect(() => Controller.fromState(broken((s) => (s.data.zscore = null)))).toThrow(/data\.zscore/);
    expect(() => Controller.fromState(broken((s) => (s.data.zscore.mean = 'x')))).toThrow(/data\.zscore\.mean/);
    expect(() => Controller.fromState(good)).not.toThrow();
  });

  it('should carry non-finite statistics through JSON as wire numbers', () => {
    const c = new Controller(parsePolicy({ kind: 'zscore', warmupSteps: 2 }));
    c.decide({ step: 0, gradNorm: 1e300 });
    c.decide({ step: 1, gradNorm: -1e300 });
    c.decide({ step: 2, gradNorm: 1 }); // variance overflows to Infinity
    const state = c.toState();
    expect(JSON.stringify(state)).toContain('"Infinity"');
    const b = Controller.fromState(JSON.parse(JSON.stringify(state)));
    expect(b.decide({ step: 3, gradNorm: 2 })).toStrictEqual(c.decide({ step: 3, gradNorm: 2 }));
  });
});

describe('controller: input', () => {
  it('should reject a gradNorm that is not a number instead of treating it as NaN', () => {
    const c = new Controller(DEFAULT_POLICY);
    expect(() => c.decide({ step: 0, gradNorm: 'NaN' as unknown as number })).toThrow(/Expected "gradNorm" to be a number/);
    expect(c.decide({ step: 0, gradNorm: 1 }).stats.historySize).toBe(1);
  });
});
