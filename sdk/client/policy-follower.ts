// Follows the server's policy versions: validates each push, switches the controller at the
// push's effectiveStep (or at once when late), and acknowledges with the step it applied at.
import debug from 'debug';
import { parsePolicy, type Controller } from '../controller/index.ts';
import type { Policy } from '../controller/types.ts';
import type { PolicyAckRequest, PolicyPush } from '../protocol/socket-events.ts';
import { RefusedError } from './connection.ts';
import { GradpilotError } from './errors.ts';
import { PolicySchedule, type AppliedPolicy } from './policy-schedule.ts';

const log = debug('gradpilot:sdk:policy');

export interface PolicyFollowerHooks {
  /** Sends one acknowledgement; rejects with RefusedError when the server refuses it. */
  send(ack: PolicyAckRequest): Promise<unknown>;
  applied(applied: AppliedPolicy): void;
  error(err: Error): void;
  /** An acknowledgement settled: the run may have become idle. */
  settled(): void;
}

function canonical(v: unknown): unknown {
  return v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]))
    : v;
}

function samePolicy(a: Policy, b: Policy): boolean {
  return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}

export class PolicyFollower {
  readonly #runId: string;
  readonly #rank: number;
  readonly #hooks: PolicyFollowerHooks;
  readonly #schedule = new PolicySchedule();
  #pending: AppliedPolicy[] = [];
  #inFlight = 0;
  /** Acknowledgements go out only while the run is joined. */
  online = false;

  constructor(runId: string, rank: number, hooks: PolicyFollowerHooks) {
    this.#runId = runId;
    this.#rank = rank;
    this.#hooks = hooks;
  }

  get version(): number {
    return this.#schedule.version;
  }

  get pendingVersions(): number[] {
    return this.#schedule.pendingVersions;
  }

  /** No acknowledgement waiting or in flight. */
  get idle(): boolean {
    return this.#pending.length === 0 && this.#inFlight === 0;
  }

  /** Just before deciding `step`: switches the controller when a version comes into force there. */
  beforeStep(step: number, controller: Controller): void {
    if (step < this.#schedule.nextEffectiveStep) return;
    const applied = this.#schedule.due(step);
    if (applied) this.#apply(applied, controller);
  }

  /** A version from the server (a push, or the current one on join). `lastStep`: the last step decided. */
  offer(raw: PolicyPush, controller: Controller, lastStep: number | null): void {
    if (raw.runId !== this.#runId || raw.version <= this.#schedule.version) return;
    let push: PolicyPush;
    try {
      push = { ...raw, policy: parsePolicy(raw.policy) };
    } catch (err) {
      // Keep training with the policy in force rather than crash the training loop.
      this.#hooks.error(new GradpilotError(`Ignored policy version ${raw.version} from the server: ${(err as Error).message}`, 'INVALID_OPTION', { cause: err }));
      return;
    }
    if (samePolicy(push.policy, controller.policy) && (lastStep === null || push.effectiveStep <= lastStep + 1)) {
      // Already in force (the run's own initial policy, or a resumed state that includes it).
      this.#schedule.adopt(push.version);
      this.#queue({ version: push.version, effectiveStep: push.effectiveStep, policy: push.policy, appliedAtStep: push.effectiveStep, late: false });
      return;
    }
    const late = this.#schedule.offer(push, lastStep);
    if (late) this.#apply(late, controller);
  }

  /** Sends the acknowledgements waiting (after a reconnect, or once a step returned). */
  flush(): void {
    if (!this.online) return;
    for (const a of this.#pending.splice(0)) {
      this.#inFlight++;
      this.#hooks.send({ runId: this.#runId, version: a.version, rank: this.#rank, appliedAtStep: a.appliedAtStep, late: a.late }).then(
        () => {
          this.#inFlight--;
          this.#hooks.settled();
        },
        (err: Error) => {
          this.#inFlight--;
          if (err instanceof RefusedError) this.#hooks.error(err);
          else this.#pending.push(a);
          this.#hooks.settled();
        },
      );
    }
  }

  #apply(applied: AppliedPolicy, controller: Controller): void {
    controller.setPolicy(applied.policy);
    log('policy v%d in force from step %d%s', applied.version, applied.appliedAtStep, applied.late ? ' (late)' : '');
    this.#queue(applied);
  }

  #queue(applied: AppliedPolicy): void {
    this.#pending.push(applied);
    this.#hooks.applied(applied);
    // Never from inside observe(): the acknowledgement goes out once the step returned.
    if (this.online) queueMicrotask(() => this.flush());
  }
}
