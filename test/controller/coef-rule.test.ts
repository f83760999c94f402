import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Controller, parsePolicy, PolicyError, type Decision, type Policy } from '../../sdk/controller/index.ts';
import { fromBits } from '../conformance/bits.ts';
import { spikySeries } from './series.ts';

function run(policy: Policy, norms: number[]): Decision[] {
  const c = new Controller(policy);
  return norms.map((gradNorm, step) => c.decide({ step, gradNorm }));
}

describe('coefRule', () => {
  it('should default to "gradpilot", accept "torch" and catch a typo', () => {
    expect(parsePolicy({ kind: 'off' }).coefRule).toBe('gradpilot');
    expect(parsePolicy({ kind: 'zscore', coefRule: 'torch' }).coefRule).toBe('torch');
    expect(() => parsePolicy({ kind: 'fixed', maxNorm: 1, coefRule: 'Torch' })).toThrow(
      'Expected "coefRule" to be one of "gradpilot", "torch", got "Torch". Did you mean "torch"?',
    );
    const alias = (() => {
      try {
        parsePolicy({ kind: 'percentile', coef_rule: 'torch' });
      } catch (err) {
        return err as PolicyError;
      }
      throw new Error('coef_rule was accepted');
    })();
    expect(alias.field).toBe('coef_rule');
    expect(alias.message).toMatch(/Did you mean "coefRule"\?/);
  });

  it('should scale a step at or just below the threshold under "torch" only', () => {
    // g = threshold = 1e-7: torch multiplies by 1e-7 / (1e-7 + 1e-6), about 0.09.
    const [ours] = run(parsePolicy({ kind: 'fixed', maxNorm: 1e-7 }), [1e-7]);
    const [torch] = run(parsePolicy({ kind: 'fixed', maxNorm: 1e-7, coefRule: 'torch' }), [1e-7]);
    expect([ours.coef, ours.action]).toEqual([1, 'apply']);
    expect(torch.coef).toBe((1 / (1e-7 + 1e-6)) * 1e-7);
    expect(torch.coef).toBeCloseTo(0.0909, 4);
    expect(torch.action).toBe('clip');
    // A norm far below the threshold: min(1, ...) is 1 and the step is applied untouched.
    const [small] = run(parsePolicy({ kind: 'fixed', maxNorm: 1, coefRule: 'torch' }), [0.5]);
    expect([small.coef, small.action]).toEqual([1, 'apply']);
  });

  it('should equal torch.nn.utils.clip_grad_norm_ on float64 gradients bit for bit (fixtures/torch-coef.json)', () => {
    const fixture = JSON.parse(readFileSync(new URL('../conformance/fixtures/torch-coef.json', import.meta.url), 'utf8')) as {
      divisionDiffers: number;
      cases: [string, string, string][];
    };
    // Plain division differs from torch on some of these, so the test can tell the two apart.
    expect(fixture.divisionDiffers).toBeGreaterThan(10);
    for (const [g, t, want] of fixture.cases) {
      const policy = parsePolicy({ kind: 'fixed', maxNorm: fromBits(t), coefRule: 'torch' });
      const d = new Controller(policy).decide({ step: 0, gradNorm: fromBits(g) as number });
      if (!Object.is(d.coef, fromBits(want))) expect.fail(`g ${fromBits(g)}, threshold ${fromBits(t)}: coef ${d.coef}, torch ${fromBits(want)}`);
      expect(d.action).toBe(d.coef < 1 ? 'clip' : 'apply');
    }
  });

  for (const raw of [
    { kind: 'percentile', p: 30, window: 40 },
    { kind: 'zscore', warmupSteps: 10 },
    { kind: 'zscore', maxNorm: 1.5, warmupSteps: 10 },
    { kind: 'off', maxNorm: 1.3 },
    { kind: 'off' },
  ]) {
    it(`should change only coef and action, against the level g is clipped at: ${JSON.stringify(raw)}`, () => {
      const norms = spikySeries(300, 31);
      const ours = run(parsePolicy(raw), norms);
      const torch = run(parsePolicy({ ...raw, coefRule: 'torch' }), norms);
      let scaledBelow = 0;
      torch.forEach((d, i) => {
        const o = ours[i];
        expect({ ...d, coef: 0, action: '' }).toStrictEqual({ ...o, coef: 0, action: '' });
        const g = norms[i];
        if (!Number.isFinite(g)) {
          expect([d.coef, d.action]).toEqual([o.coef, o.action]);
          return;
        }
        // Under zscore without a spike g is clipped at maxNorm only (the threshold shown is the trigger).
        const spike = o.stats.zScore !== null && o.stats.zScore > 2.5;
        const clipAt = raw.kind === 'zscore' && !spike ? (raw.maxNorm ?? null) : d.threshold;
        if (clipAt === null) {
          expect([d.coef, d.action]).toEqual([1, 'apply']);
          return;
        }
        const c = (1 / (g + 1e-6)) * clipAt;
        expect([d.coef, d.action]).toEqual(c < 1 ? [c, 'clip'] : [1, 'apply']);
        if (g <= clipAt && c < 1) scaledBelow++;
        if (g > clipAt) expect(o.action).toBe('clip');
      });
      if (raw.kind === 'percentile') expect(scaledBelow).toBeGreaterThan(0); // the percentile is often g itself
    });
  }
});
