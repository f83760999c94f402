// Requests for the same controller state that overlap share one replay: the ranks of a
// resumed run ask for it at once, and replaying a long run takes seconds each time (eight
// ranks of a 6M-step run would otherwise replay it eight times over, all past their
// timeout). Keyed by run, step and the run's history generation, so a state asked for after
// a supersede is computed afresh.
import type { ResumeResult } from '@gradpilot/sdk/protocol';

export class SharedReplays {
  readonly #inFlight = new Map<string, Promise<ResumeResult>>();
  readonly #generation = new Map<number, number>();

  /** Run `rid`'s stored history changed (steps superseded). */
  changed(rid: number): void {
    this.#generation.set(rid, (this.#generation.get(rid) ?? 0) + 1);
  }

  /** The pending replay of the state of `rid` after `upTo`, or a new one from `replay`. */
  stateAfter(rid: number, upTo: number, replay: () => Promise<ResumeResult>): Promise<ResumeResult> {
    const key = `${rid}:${upTo}:${this.#generation.get(rid) ?? 0}`;
    let pending = this.#inFlight.get(key);
    if (!pending) {
      pending = replay().finally(() => this.#inFlight.delete(key));
      this.#inFlight.set(key, pending);
    }
    return pending;
  }
}
