// The run's own controller flagged a step (spike, explosion, non-finite): tell the training
// script in that very step, before observe() returns, with no server involved.
import type { Decision, EventKind } from '../controller/types.ts';

/** One event the run's controller detected, as `run.on('event', fn)` receives it. */
export interface StepEvent {
  kind: EventKind;
  step: number;
  /** The norm before clipping (NaN or ±Infinity for a `nonfinite` event caused by it). */
  gradNorm: number;
  loss: number | null;
  /** The decision `observe` is about to return for this step. */
  decision: Decision;
}

export type StepEventListener = (event: StepEvent) => void;

/**
 * Calls every listener for every event of the decision, in the controller's order. As with
 * Node's EventEmitter, a listener that throws stops the rest and the error leaves
 * `observe()`: a script that raises in its handler means to interrupt the step.
 */
export function emitStepEvents(listeners: ReadonlySet<StepEventListener>, decision: Decision, loss: number | null): void {
  for (const kind of decision.events) {
    const event: StepEvent = { kind, step: decision.step, gradNorm: decision.gradNorm, loss, decision };
    for (const listener of [...listeners]) listener(event);
  }
}
