import { describe, expect, it } from 'vitest';
import { Controller, parsePolicy, type ZScorePolicy } from '../../sdk/controller/index.ts';
import { spikySeries } from './series.ts';

interface Expected {
  threshold: number | null;
  coef: number;
  action: string;
  emaMean: number | null;
  emaStd: number | null;
  zScore: number | null;
}

// algorithms.md's ZClip rules, re-implemented step by step in the order the spec lists them.
function zclipByTheSpec(norms: number[], p: ZScorePolicy): Expected[] {
  const out: Expected[] = [];
  const buffer: number[] = [];
  let ready = false;
  let mean = 0;
  let variance = 0;
  const cap = (t: number): number => (p.maxNorm !== null ? Math.min(t, p.maxNorm) : t);
  for (const g of norms) {
    if (!Number.isFinite(g)) {
      const threshold = ready ? cap(mean + p.z * (Math.sqrt(variance) + 1e-6)) : p.maxNorm;
      out.push({ threshold, coef: 0, action: p.onNonFinite === 'clip' ? 'clip' : 'skip', emaMean: null, emaStd: null, zScore: null });
      continue;
    }
    if (!ready) {
      // 1. warm-up: only maxNorm applies.
      buffer.push(g);
      if (buffer.length === p.warmupSteps) {
        mean = buffer.reduce((s, x) => s + x, 0) / buffer.length;
        variance = buffer.reduce((s, x) => s + (x - mean) ** 2, 0) / buffer.length;
        ready = true;
      }
      const clip = p.maxNorm !== null && g > p.maxNorm;
      out.push({
        threshold: p.maxNorm,
        coef: clip ? (p.maxNorm as number) / (g + 1e-6) : 1,
        action: clip ? 'clip' : 'apply',
        emaMean: null,
        emaStd: null,
        zScore: null,
      });
      continue;
    }
    // 2. the z-score and the adaptive threshold.
    const std = Math.sqrt(variance);
    const zs = (g - mean) / (std + 1e-6);
    let adaptive: number | null = null;
    if (zs > p.z) adaptive = p.clipOption === 'adaptive_scaling' ? (mean + (p.z * std) / (zs / p.z)) * p.clipFactor : mean;
    // 4. the decision's threshold and the level g is clipped at.
    let shown: number;
    let clipAt: number | null;
    if (adaptive !== null) {
      let t = adaptive;
      if (p.minThreshold !== null) t = Math.max(t, p.minThreshold);
      if (p.maxThreshold !== null) t = Math.min(t, p.maxThreshold);
      shown = clipAt = cap(t);
    } else {
      shown = cap(mean + p.z * (std + 1e-6));
      clipAt = p.maxNorm;
    }
    const clip = clipAt !== null && g > clipAt && (clipAt as number) / (g + 1e-6) < 1;
    out.push({
      threshold: shown,
      coef: clip ? (clipAt as number) / (g + 1e-6) : 1,
      action: clip ? 'clip' : 'apply',
      emaMean: mean,
      emaStd: std,
      zScore: zs,
    });
    // 3. the statistics, with the updated mean in the variance.
    if (adaptive === null || p.updateStatsOnSpike) {
      const x = adaptive ?? g;
      mean = p.alpha * mean + (1 - p.alpha) * x;
      variance = p.alpha * variance + (1 - p.alpha) * (x - mean) ** 2;
    }
  }
  return out;
}

const VARIANTS: Record<string, unknown>[] = [
  {},
  { clipOption: 'mean' },
  { updateStatsOnSpike: false },
  { clipOption: 'mean', updateStatsOnSpike: false },
  { warmupSteps: 5, maxNorm: 1.6 },
  { warmupSteps: 3, clipFactor: 0.9, alpha: 0.9, z: 2 },
  { maxNorm: 30, minThreshold: 1.7, onNonFinite: 'clip' },
  { warmupSteps: 1, maxThreshold: 1.2, updateStatsOnSpike: false },
];

describe('zscore policy (ZClip) step by step', () => {
  const norms = spikySeries(400, 11);

  for (const variant of VARIANTS) {
    it(`should follow the spec's rules with ${JSON.stringify(variant)}`, () => {
      const policy = parsePolicy({ kind: 'zscore', ...variant }) as ZScorePolicy;
      const expected = zclipByTheSpec(norms, policy);
      const controller = new Controller(policy);
      let spikes = 0;
      norms.forEach((gradNorm, step) => {
        const d = controller.decide({ step, gradNorm });
        const want = expected[step];
        const got = { threshold: d.threshold, coef: d.coef, action: d.action, emaMean: d.stats.emaMean, emaStd: d.stats.emaStd, zScore: d.stats.zScore };
        if (d.stats.zScore !== null && d.stats.zScore > policy.z) spikes++;
        expect(got, `step ${step}, g ${gradNorm}`).toStrictEqual(want);
      });
      // The series must exercise the spike branch, or this test proves little.
      expect(spikes).toBeGreaterThan(10);
    });
  }

  it('should pick the adaptive threshold of step 2 on a spike (a hand-checked case)', () => {
    const c = new Controller(parsePolicy({ kind: 'zscore', warmupSteps: 2 }));
    c.decide({ step: 0, gradNorm: 1 });
    c.decide({ step: 1, gradNorm: 3 }); // mean 2, var 1
    const d = c.decide({ step: 2, gradNorm: 10 });
    const zs = 8 / (1 + 1e-6);
    expect(d.stats.zScore).toBe(zs);
    expect(d.threshold).toBe(2 + (2.5 * 1) / (zs / 2.5));
    expect(d.threshold).toBeCloseTo(2.78125, 5);
    expect(d.action).toBe('clip');
    expect(d.coef).toBe((d.threshold as number) / (10 + 1e-6));
  });

  it('should leave the statistics alone on a spike when updateStatsOnSpike is false', () => {
    const c = new Controller(parsePolicy({ kind: 'zscore', warmupSteps: 2, updateStatsOnSpike: false }));
    c.decide({ step: 0, gradNorm: 1 });
    c.decide({ step: 1, gradNorm: 3 });
    c.decide({ step: 2, gradNorm: 100 });
    const d = c.decide({ step: 3, gradNorm: 2 });
    expect(d.stats.emaMean).toBe(2);
    expect(d.stats.emaStd).toBe(1);
  });
});
