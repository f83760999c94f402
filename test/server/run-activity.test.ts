// Steps per second: a recent rate that falls to 0 when the run stops sending; running while
// an SDK is joined or steps came recently, here or (the stored time) through another server.
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

  it('should count a run as running while an SDK is joined or its steps came within 30 s, here or stored by another server', () => {
    const a = new RunActivity();
    const t0 = 1_000_000_000_000;
    expect(a.isRunning('r', null, t0)).toBe(false);
    a.recordSteps('r', 10, t0);
    expect(a.isRunning('r', null, t0 + 29_000)).toBe(true);
    expect(a.isRunning('r', null, t0 + 31_000)).toBe(false);
    a.join('r', 'sock');
    expect(a.isRunning('r', null, t0 + 60_000)).toBe(true);
    a.leave('r', 'sock');
    expect(a.isRunning('r', null, t0 + 60_000)).toBe(false);
    // Never seen here, but the database has a step of it stored 5 s ago (another server took it).
    expect(a.isRunning('elsewhere', t0 - 5_000, t0)).toBe(true);
    expect(a.isRunning('elsewhere', t0 - 31_000, t0)).toBe(false);
  });
});
