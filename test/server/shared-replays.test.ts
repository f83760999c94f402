// SharedReplays alone: overlapping requests for the same state share one replay, unless the
// run's history changed in between.
import { describe, expect, it } from 'vitest';
import type { ResumeResult } from '../../sdk/protocol/socket-events.ts';
import { SharedReplays } from '../../server/policy/shared-replays.ts';

function pendingReplay(): { started: number; replay: () => Promise<ResumeResult>; finish(fromStep: number): void } {
  const finishers: ((r: ResumeResult) => void)[] = [];
  const handle = {
    started: 0,
    replay: () => {
      handle.started++;
      return new Promise<ResumeResult>((resolve) => finishers.push(resolve));
    },
    finish: (fromStep: number) => finishers.splice(0).forEach((f) => f({ state: {}, fromStep } as ResumeResult)),
  };
  return handle;
}

describe('SharedReplays', () => {
  it('should share a pending replay of the same run and step, and no other', async () => {
    const shared = new SharedReplays();
    const r = pendingReplay();
    const a = shared.stateAfter(1, 100, r.replay);
    const b = shared.stateAfter(1, 100, r.replay);
    const otherStep = shared.stateAfter(1, 99, r.replay);
    const otherRun = shared.stateAfter(2, 100, r.replay);
    expect(r.started).toBe(3);
    expect(b).toBe(a);
    r.finish(100);
    expect(await a).toEqual({ state: {}, fromStep: 100 });
    await Promise.all([otherStep, otherRun]);
    shared.stateAfter(1, 100, r.replay); // the first one is done: a new replay
    expect(r.started).toBe(4);
  });

  it('should start afresh after the run history changed, even with a replay pending', () => {
    const shared = new SharedReplays();
    const r = pendingReplay();
    const before = shared.stateAfter(1, 100, r.replay);
    shared.changed(1);
    const after = shared.stateAfter(1, 100, r.replay);
    expect(after).not.toBe(before);
    expect(r.started).toBe(2);
    expect(shared.stateAfter(1, 100, r.replay)).toBe(after);
  });
});
