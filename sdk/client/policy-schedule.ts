// When a policy pushed by the server comes into force. Pure bookkeeping: the run asks it
// before deciding each step, so every rank switches exactly at the push's effectiveStep.
import type { Policy } from '../controller/types.ts';
import type { PolicyPush } from '../protocol/socket-events.ts';

/** A policy that came into force: what the SDK acknowledges to the server. */
export interface AppliedPolicy {
  version: number;
  effectiveStep: number;
  policy: Policy;
  appliedAtStep: number;
  /** The push arrived after its effectiveStep had been decided, so it applied at once. */
  late: boolean;
}

export class PolicySchedule {
  #version = 0;
  #pending: PolicyPush[] = [];

  /** The version in force (0: the policy given to init, before the server answered). */
  get version(): number {
    return this.#version;
  }

  /** Versions received and waiting for their effectiveStep. */
  get pendingVersions(): number[] {
    return this.#pending.map((p) => p.version);
  }

  /** Steps before this one need no check (Infinity when nothing is pending). */
  get nextEffectiveStep(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const p of this.#pending) if (p.effectiveStep < min) min = p.effectiveStep;
    return min;
  }

  /**
   * A push arrived. `lastStep` is the last step already decided (null: none yet). Returns
   * the policy to apply at once when the push is late, otherwise null (it waits).
   */
  offer(push: PolicyPush, lastStep: number | null): AppliedPolicy | null {
    if (push.version <= this.#version || this.#pending.some((p) => p.version === push.version)) return null;
    if (lastStep !== null && push.effectiveStep <= lastStep) {
      this.#version = push.version;
      this.#pending = this.#pending.filter((p) => p.version > push.version);
      return {
        version: push.version, effectiveStep: push.effectiveStep, policy: push.policy,
        appliedAtStep: lastStep + 1, late: true,
      };
    }
    this.#pending.push(push);
    this.#pending.sort((a, b) => a.version - b.version);
    return null;
  }

  /** The policy to switch to just before deciding `step`, if one comes into force there. */
  due(step: number): AppliedPolicy | null {
    let chosen: PolicyPush | null = null;
    for (const p of this.#pending) if (p.effectiveStep <= step) chosen = p;
    if (!chosen) return null;
    const v = chosen.version;
    this.#version = v;
    this.#pending = this.#pending.filter((p) => p.version > v);
    return { version: v, effectiveStep: chosen.effectiveStep, policy: chosen.policy, appliedAtStep: step, late: false };
  }

  /** Marks `version` as in force without a switch (the controller already runs that policy). */
  adopt(version: number): void {
    if (version > this.#version) this.#version = version;
    this.#pending = this.#pending.filter((p) => p.version > version);
  }
}
