// When a pushed policy comes into force.
import { describe, expect, it } from 'vitest';
import { PolicySchedule } from '../../sdk/client/policy-schedule.ts';
import type { Policy } from '../../sdk/controller/types.ts';

const fixed = (maxNorm: number) => ({ kind: 'fixed', maxNorm }) as unknown as Policy;
const push = (version: number, effectiveStep: number, maxNorm = version) => ({ runId: 'r', version, effectiveStep, policy: fixed(maxNorm) });

describe('PolicySchedule', () => {
  it('should hold a push until its effectiveStep and apply it exactly there', () => {
    const s = new PolicySchedule();
    expect(s.offer(push(2, 10), 4)).toBeNull();
    expect(s.nextEffectiveStep).toBe(10);
    expect(s.due(9)).toBeNull();
    expect(s.due(10)).toMatchObject({ version: 2, appliedAtStep: 10, late: false });
    expect(s.version).toBe(2);
    expect(s.nextEffectiveStep).toBe(Number.POSITIVE_INFINITY);
  });

  it('should apply a push at once and say late when its effectiveStep was already decided', () => {
    const s = new PolicySchedule();
    expect(s.offer(push(3, 10), 10)).toMatchObject({ version: 3, appliedAtStep: 11, late: true });
    expect(s.version).toBe(3);
  });

  it('should ignore old and repeated versions, and jump to the newest due one', () => {
    const s = new PolicySchedule();
    s.offer(push(2, 10), null);
    s.offer(push(2, 10), null);
    s.offer(push(3, 12), null);
    expect(s.due(15)).toMatchObject({ version: 3, appliedAtStep: 15 });
    expect(s.offer(push(2, 20), 15)).toBeNull();
    expect(s.due(30)).toBeNull();
  });

  it('should take a version as in force without a switch when asked', () => {
    const s = new PolicySchedule();
    s.offer(push(1, 0), null);
    s.adopt(1);
    expect(s.version).toBe(1);
    expect(s.due(0)).toBeNull();
  });
});
