import { describe, expect, it } from 'vitest';
import { Controller, EventDetector, parsePolicy } from '../../sdk/controller/index.ts';
import { mulberry32 } from '../support/random.ts';
import { referenceDetector } from '../support/reference-detector.ts';
import { spikySeries } from './series.ts';

const OPTIONS = { spikeZ: 6, explosionFactor: 10 };
// 20 norms alternating 1 and 3: mean 2, population variance 1, so the spike level is 8.
const SEED = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 1 : 3));

function seeded(): EventDetector {
  const d = new EventDetector(OPTIONS);
  for (const g of SEED) expect(d.observe(g)).toEqual([]);
  return d;
}

describe('EventDetector', () => {
  it('should flag nothing during the first 20 finite norms, however large', () => {
    const d = new EventDetector(OPTIONS);
    for (let i = 0; i < 20; i++) expect(d.observe(i === 19 ? 1e9 : 1)).toEqual([]);
    expect(d.observe(1e12)).toEqual(['spike', 'explosion']);
  });

  it('should flag g > mean + spikeZ * std strictly', () => {
    expect(seeded().observe(8)).toEqual([]);
    expect(seeded().observe(8.000001)).toEqual(['spike']);
    expect(new EventDetector({ spikeZ: 1, explosionFactor: 10 }, seeded().toState()).observe(3.5)).toEqual(['spike']);
  });

  it('should update the EMA with a spike winsorised at the spike level', () => {
    const d = seeded();
    d.observe(15);
    const state = d.toState();
    const mean = 0.98 * 2 + (1 - 0.98) * 8;
    expect(state.mean).toBe(mean);
    expect(state.var).toBe(0.98 * 1 + (1 - 0.98) * ((8 - mean) * (8 - mean)));
  });

  it('should flag an explosion above explosionFactor x the recent median', () => {
    expect(seeded().observe(20)).toEqual(['spike']); // median 2: 20 is not above 10 x 2
    expect(seeded().observe(20.5)).toEqual(['spike', 'explosion']);
    const lenient = new EventDetector({ spikeZ: 6, explosionFactor: 100 }, seeded().toState());
    expect(lenient.observe(20.5)).toEqual(['spike']);
  });

  it('should flag an explosion on the third spike within ten steps', () => {
    const d = seeded();
    expect(d.observe(15)).toEqual(['spike']);
    expect(d.observe(2)).toEqual([]);
    expect(d.observe(16)).toEqual(['spike']);
    expect(d.observe(17)).toEqual(['spike', 'explosion']);
    const spaced = seeded();
    expect(spaced.observe(15)).toEqual(['spike']);
    for (let i = 0; i < 9; i++) spaced.observe(2);
    expect(spaced.observe(16)).toEqual(['spike']);
    expect(spaced.observe(17)).toEqual(['spike']); // the first spike left the last ten steps
  });

  it('should flag non-finite norms and losses and keep them out of the statistics', () => {
    const d = seeded();
    const before = d.toState();
    expect(d.observe(Number.NaN)).toEqual(['nonfinite']);
    expect(d.observe(Number.POSITIVE_INFINITY)).toEqual(['nonfinite']);
    expect(d.observe(1, Number.NEGATIVE_INFINITY)).toEqual(['nonfinite']);
    expect(d.consecutiveNonFinite).toBe(3);
    const after = d.toState();
    expect({ ...after, spikes: [], consecutiveNonFinite: 0 }).toStrictEqual({ ...before, spikes: [], consecutiveNonFinite: 0 });
    expect(d.observe(2)).toEqual([]);
    expect(d.consecutiveNonFinite).toBe(0);
  });

  it('should continue identically after a JSON round trip, and reject a bad state', () => {
    const norms = spikySeries(300, 5);
    for (const k of [3, 19, 20, 150]) {
      const a = new EventDetector(OPTIONS);
      norms.slice(0, k).forEach((g) => a.observe(g));
      const b = EventDetector.fromState(OPTIONS, JSON.parse(JSON.stringify(a.toState())));
      for (const g of norms.slice(k)) expect(b.observe(g)).toEqual(a.observe(g));
    }
    expect(() => EventDetector.fromState(OPTIONS, { count: -1 })).toThrow(/"count"/);
    expect(() => EventDetector.fromState(OPTIONS, { ...seeded().toState(), recent: [1, 2] })).toThrow(/"recent"/);
  });

  it('should keep the window, median and spike count of a plain array implementation, with ties and restores', () => {
    const r = mulberry32(11);
    for (let trial = 0; trial < 20; trial++) {
      // Few distinct values (many ties), moderate and huge spikes, non-finite steps.
      const levels = Array.from({ length: 1 + Math.floor(r() * 6) }, () => Math.floor(r() * 5) + 1);
      const norms = Array.from({ length: 700 }, () => {
        const x = r();
        if (x < 0.02) return Number.NaN;
        if (x < 0.03) return Number.POSITIVE_INFINITY;
        if (x < 0.05) return levels[0] * (20 + Math.floor(r() * 50));
        if (x < 0.2) return Math.max(...levels) * (1.5 + Math.floor(r() * 4)); // spikes below the explosion factor
        return levels[Math.floor(r() * levels.length)];
      });
      const spikeZ = 1 + r() * 5;
      const explosionFactor = 2 + r() * 8;
      const reference = referenceDetector(spikeZ, explosionFactor);
      let detector = new EventDetector({ spikeZ, explosionFactor });
      const restoreAt = Math.floor(r() * norms.length);
      norms.forEach((g, i) => {
        if (i === restoreAt) detector = EventDetector.fromState({ spikeZ, explosionFactor }, JSON.parse(JSON.stringify(detector.toState())));
        expect(detector.observe(g)).toEqual(reference.observe(g));
        const state = detector.toState();
        expect(state.recent).toEqual(reference.recent());
        expect(state.spikes).toEqual(reference.spikes());
      });
    }
  });

  it('should agree with the events of the Controller under every policy', () => {
    const norms = spikySeries(400, 6);
    for (const raw of [{ kind: 'off' }, { kind: 'zscore' }, { kind: 'percentile', window: 10 }, { kind: 'fixed', maxNorm: 1, spikeZ: 3, explosionFactor: 3 }]) {
      const policy = parsePolicy(raw);
      const detector = new EventDetector(policy);
      const controller = new Controller(policy);
      let flagged = 0;
      norms.forEach((gradNorm, step) => {
        const events = detector.observe(gradNorm);
        flagged += events.length;
        expect(controller.decide({ step, gradNorm }).events).toEqual(events);
      });
      expect(flagged).toBeGreaterThan(5);
    }
  });
});
