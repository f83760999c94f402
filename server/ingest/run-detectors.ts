// The server's own event detection over the norms it stores, so a client that sends only
// norms still gets events. One detector per run, fed in step order; a step older than the
// last one observed (a late or out-of-order arrival) is only checked for non-finite values.
// After a restart, a run's detector is warmed up on its last stored steps, without events.
import type { EventKind, Policy } from '@gradpilot/sdk/controller';
import type { StepColumns } from '@gradpilot/sdk/protocol';
import type { NewEvent } from '../db/event-store.ts';
import type { Store } from '../db/store.ts';
import { decodeRow } from '../db/step-store.ts';
import { DEFAULT_POLICY as DEFAULT_DETECTOR_POLICY } from '@gradpilot/sdk/controller';

/** How many stored steps a fresh detector observes before judging new ones. */
export const DETECTOR_WARMUP_STEPS = 4096;

export interface Detector {
  observe(gradNorm: number, loss?: number | null): EventKind[];
}

/** A detector for a run whose policy (spikeZ, explosionFactor) is given. */
export type DetectorFactory = (policy: Policy) => Detector;

/** Flags non-finite norms and losses only: for late steps, which the run's detector has passed. */
export function nonFiniteDetector(): Detector {
  return {
    observe(g, loss) {
      return !Number.isFinite(g) || (loss !== null && loss !== undefined && !Number.isFinite(loss)) ? ['nonfinite'] : [];
    },
  };
}

interface RunDetector {
  detector: Detector;
  lastStep: number;
  /** The step at lastStep was non-finite: a non-finite step next extends its burst. */
  lastNonFinite: boolean;
}

function describeNumber(v: number | null): string {
  return v === null ? 'missing' : String(v);
}

export class RunDetectors {
  readonly #store: Store;
  readonly #create: DetectorFactory;
  readonly #runs = new Map<number, RunDetector>();

  constructor(store: Store, create: DetectorFactory) {
    this.#store = store;
    this.#create = create;
  }

  /** Forgets a run's detector (its history or policy changed); the next batch rebuilds it. */
  reset(rid: number): void {
    this.#runs.delete(rid);
  }

  #forRun(rid: number, firstNewStep: number): RunDetector {
    let d = this.#runs.get(rid);
    if (!d) {
      const policy = this.#store.policies.latest(rid)?.policy;
      d = { detector: this.#create(policy ?? DEFAULT_DETECTOR_POLICY), lastStep: -1, lastNonFinite: false };
      const before = firstNewStep - 1;
      if (before >= 0) {
        const from = Math.max(0, before - DETECTOR_WARMUP_STEPS * 4);
        const rows = this.#store.steps.rawRange(rid, from, before);
        for (const r of rows.slice(-DETECTOR_WARMUP_STEPS)) {
          const s = decodeRow(r);
          if (s.values[0] !== null) d.lastNonFinite = d.detector.observe(s.values[0], s.values[1]).includes('nonfinite');
          d.lastStep = s.step;
        }
      }
      this.#runs.set(rid, d);
    }
    return d;
  }

  /**
   * Events for the newly inserted steps (indices into `cols`). `hadNonFinite`: whether the
   * run already had a non-finite step, which decides `first_nonfinite`.
   */
  detect(rid: number, cols: StepColumns, inserted: number[], hadNonFinite: boolean): NewEvent[] {
    if (inserted.length === 0) return [];
    let sorted = true;
    for (let k = 1; k < inserted.length && sorted; k++) sorted = cols.step[inserted[k - 1]] < cols.step[inserted[k]];
    const order = sorted ? inserted : [...inserted].sort((a, b) => cols.step[a] - cols.step[b]);
    const d = this.#forRun(rid, cols.step[order[0]]);
    const events: NewEvent[] = [];
    let seenNonFinite = hadNonFinite;
    for (const i of order) {
      const step = cols.step[i];
      const g = cols.gradNorm[i];
      const loss = cols.loss[i];
      let kinds: EventKind[];
      /** In step order, the previous step was non-finite too: this one extends its burst. */
      let burstFrom: number | null = null;
      if (g === null) kinds = [];
      else if (step > d.lastStep) {
        kinds = d.detector.observe(g, loss);
        const nonFinite = kinds.includes('nonfinite');
        if (nonFinite && d.lastNonFinite) burstFrom = d.lastStep;
        d.lastNonFinite = nonFinite;
        d.lastStep = step;
      } else kinds = nonFiniteDetector().observe(g, loss);
      for (const kind of kinds) {
        const detail =
          kind === 'nonfinite'
            ? `non-finite ${g !== null && !Number.isFinite(g) ? `gradNorm ${g}` : `loss ${describeNumber(loss)}`}`
            : kind === 'spike'
              ? `gradNorm ${g} spiked far above the recent level`
              : `gradNorm ${g}: sustained rise far above the recent median`;
        if (kind === 'nonfinite' && g !== null && !Number.isFinite(g) && !seenNonFinite) {
          events.push({ step, kind: 'first_nonfinite', gradNorm: g, detail: `first non-finite gradNorm of the run (${g})` });
          seenNonFinite = true;
        }
        if (kind === 'nonfinite' && burstFrom !== null) {
          // One event per burst, not per step (132,000 NaN steps were 132,000 events).
          const open = events.at(-1);
          if (open?.kind === 'nonfinite' && (open.lastStep ?? open.step) === burstFrom) {
            open.lastStep = step;
            open.count = (open.count ?? 1) + 1;
          } else {
            events.push({ step, kind, gradNorm: g, detail, lastStep: step, count: 1, continuesAfter: burstFrom });
          }
          continue;
        }
        events.push({ step, kind, gradNorm: g, detail });
      }
    }
    return events;
  }
}
