// The server's own event detection over the norms it stores, so a client that sends only
// norms still gets events. One detector per run, fed in step order; a step older than the
// last one observed (a late or out-of-order arrival) is only checked for non-finite values.
// After a restart, a run's detector is warmed up on its last stored steps, without events.
import type { EventKind, Policy } from '@gradpilot/sdk/controller';
import type { StepColumns } from '@gradpilot/sdk/protocol';
import type { NewEvent } from '../db/event-store.ts';
import type { RunRow } from '../db/run-store.ts';
import { type RawStepRow, decodeRow } from '../db/step-store.ts';
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

/**
 * Where a fresh detector reads the run's policy and last steps synchronously, inside the
 * ingest transaction (the SQLite file). Without one (PostgreSQL), the store rebuilds the
 * detector through `rebuild` before the batch.
 */
export interface WarmupSource {
  policy(rid: number): Policy | undefined;
  rows(rid: number, from: number, to: number): RawStepRow[];
}

interface RunDetector {
  detector: Detector;
  lastStep: number;
  /** The highest step of the batches it was given (with or without a norm), -1 if none. */
  seenStep: number;
  /** The policy version it was made for (-1: read lazily, unknown). */
  policyVersion: number;
  /** The step at lastStep was non-finite: a non-finite step next extends its burst. */
  lastNonFinite: boolean;
}

function describeNumber(v: number | null): string {
  return v === null ? 'missing' : String(v);
}

/** How far back the warm-up reads to find DETECTOR_WARMUP_STEPS stored steps (gaps allowed). */
export const DETECTOR_WARMUP_SPAN = DETECTOR_WARMUP_STEPS * 4;

export class RunDetectors {
  readonly #source: WarmupSource | null;
  readonly #create: DetectorFactory;
  readonly #runs = new Map<number, RunDetector>();

  constructor(source: WarmupSource | null, create: DetectorFactory) {
    this.#source = source;
    this.#create = create;
  }

  /**
   * Whether the run's detector has seen the run as stored: the run's last step is the last it
   * was given and its policy is the latest. Another server instance on the same database may
   * have stored steps meanwhile; then it is rebuilt from the stored history.
   */
  follows(current: RunRow, policyVersion: number): boolean {
    const d = this.#runs.get(current.rid);
    // None yet: it is built from the run's policy (which the warm-up source would have read).
    if (!d) return false;
    return d.seenStep === (current.last_step ?? -1) && d.policyVersion === policyVersion;
  }

  /** A detector for the run that observed `history` (its last stored steps, in step order), without events. */
  rebuild(rid: number, policy: Policy, policyVersion: number, history: readonly RawStepRow[]): void {
    const d: RunDetector = { detector: this.#create(policy), lastStep: -1, seenStep: -1, policyVersion, lastNonFinite: false };
    this.#observeHistory(d, history);
    this.#runs.set(rid, d);
  }

  #observeHistory(d: RunDetector, rows: readonly RawStepRow[]): void {
    for (const r of rows.slice(-DETECTOR_WARMUP_STEPS)) {
      const s = decodeRow(r);
      if (s.values[0] !== null) d.lastNonFinite = d.detector.observe(s.values[0], s.values[1]).includes('nonfinite');
      d.lastStep = s.step;
      d.seenStep = s.step;
    }
  }

  /** Forgets a run's detector (its history or policy changed); the next batch rebuilds it. */
  reset(rid: number): void {
    this.#runs.delete(rid);
  }

  #forRun(rid: number, firstNewStep: number): RunDetector {
    let d = this.#runs.get(rid);
    if (!d) {
      const policy = this.#source?.policy(rid);
      d = { detector: this.#create(policy ?? DEFAULT_DETECTOR_POLICY), lastStep: -1, seenStep: -1, policyVersion: -1, lastNonFinite: false };
      const before = firstNewStep - 1;
      if (before >= 0 && this.#source) this.#observeHistory(d, this.#source.rows(rid, Math.max(0, before - DETECTOR_WARMUP_SPAN), before));
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
    d.seenStep = Math.max(d.seenStep, cols.step[order[order.length - 1]]);
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
