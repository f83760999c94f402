// Steps per second: a recent rate that falls to 0 when the run stops sending.
import { describe, expect, it } from 'vitest';
import { RATE_WINDOW_SECONDS, RunActivity } from '../../server/runs/run-activity.ts';

describe('run activity', () => {
  it('should give the rate over the last seconds, and 0 once nothing arrived for the window', () => {
    const a = new RunActivity();
    const t0 = 1_000_000_000_000;
    for (let s = 0; s < 5; s++) a.recordSteps('r', 100, t0 + s * 1000);
    expect(a.stepsPerSecond('r', t0 + 5000)).toBeCloseTo(100, 5);
    // A burst long ago is not a rate now.
    expect(a.stepsPerSecond('r', t0 + 4000 + RATE_WINDOW_SECONDS * 1000)).toBe(0);
    expect(a.stepsPerSecond('never', t0)).toBe(0);
  });
});
