// Which of a batch's stored events are worth waking someone for. Explosions always are; a
// non-finite step only when it starts a burst (the run's first, or the first after
// `nonFiniteBurstGap` finite-only steps), so a run that goes NaN for good alerts once, not
// once per step; spikes only in bursts of `spikeBurstCount` within `spikeBurstSteps` steps.
// The cooldown per run and kind (alerts.ts) then limits what is left.
import type { RunEvent } from '@gradpilot/sdk/protocol';
import { decodeNumber } from '@gradpilot/sdk/protocol';
import type { ResolvedAlertOptions } from './alert-options.ts';
import { type AlertFacts, type AlertRun, normClause } from './alert-payload.ts';

type RuleOptions = Pick<ResolvedAlertOptions, 'spikeBurstCount' | 'spikeBurstSteps' | 'nonFiniteBurstGap'>;

interface RunMemory {
  lastNonFinite: number | null;
  /** Steps of the spikes not yet counted in a burst, oldest first. */
  spikes: number[];
}

function normOf(e: RunEvent): number | null {
  return decodeNumber(e.gradNorm) ?? null;
}

export class AlertRules {
  readonly #o: RuleOptions;
  readonly #runs = new Map<number, RunMemory>();

  constructor(options: RuleOptions) {
    this.#o = options;
  }

  /** A resume superseded the steps after `step`: what was seen of them no longer counts. */
  forgetAfter(rid: number, step: number): void {
    const m = this.#runs.get(rid);
    if (!m) return;
    if (m.lastNonFinite !== null && m.lastNonFinite > step) m.lastNonFinite = null;
    m.spikes = m.spikes.filter((s) => s <= step);
  }

  /**
   * At most one alert per kind for a batch's events (in step order); `thresholdAt` gives the
   * threshold stored with a step of the batch.
   */
  fromEvents(rid: number, run: AlertRun, events: RunEvent[], thresholdAt: (step: number) => number | null): AlertFacts[] {
    if (events.length === 0) return [];
    let m = this.#runs.get(rid);
    if (!m) {
      m = { lastNonFinite: null, spikes: [] };
      this.#runs.set(rid, m);
    }
    const facts = new Map<AlertFacts['kind'], AlertFacts>();
    const add = (kind: AlertFacts['kind'], e: RunEvent, what: string): void => {
      if (facts.has(kind)) return;
      const gradNorm = normOf(e);
      const threshold = thresholdAt(e.step);
      facts.set(kind, { kind, run, project: run.project, step: e.step, gradNorm, threshold, what: `${what}${normClause(gradNorm, threshold)}` });
    };
    const firstAt = new Set(events.filter((e) => e.kind === 'first_nonfinite').map((e) => e.step));
    for (const e of events) {
      if (e.kind === 'explosion') add('explosion', e, `exploded at step ${e.step}`);
      else if (e.kind === 'nonfinite') {
        const previous = m.lastNonFinite;
        const startsBurst = previous === null || e.step - previous >= this.#o.nonFiniteBurstGap;
        m.lastNonFinite = Math.max(previous ?? e.step, e.step);
        if (startsBurst) {
          // The norm is in the clause `add` appends; a non-finite loss with a finite norm is named.
          const cause = e.detail.startsWith('non-finite loss') ? `: ${e.detail.replace(/^non-finite /, '')}` : '';
          // "first" is the server's first_nonfinite (of the norm); "again" needs a burst seen
          // before (not after a restart, which forgets them).
          add('nonfinite', e, firstAt.has(e.step)
            ? `hit its first non-finite step at step ${e.step}${cause}`
            : previous !== null
              ? `has non-finite steps again from step ${e.step}${cause}`
              : `has a non-finite step at step ${e.step}${cause}`);
        }
      } else if (e.kind === 'spike') {
        m.spikes.push(e.step);
        while (m.spikes.length > 0 && m.spikes[0] <= e.step - this.#o.spikeBurstSteps) m.spikes.shift();
        if (m.spikes.length >= this.#o.spikeBurstCount) {
          add('spikes', e, `had ${m.spikes.length} gradient spikes within ${this.#o.spikeBurstSteps} steps, the last at step ${e.step}`);
          m.spikes = [];
        }
      }
    }
    return [...facts.values()];
  }
}
