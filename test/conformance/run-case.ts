// Runs one conformance case through the TS controller: the decisions as columns of IEEE-754
// bits (fixtures/*.json), and the states saved along the way. `from` and `state` continue a
// run from a saved state instead, as conformance.test.ts does with the states Python saved.

import { Controller, parsePolicy, type ControllerState, type Decision } from '../../sdk/controller/index.ts';
import { toBits } from './bits.ts';
import type { ConformanceCase } from './cases.ts';

export interface DecisionColumns {
  threshold: (string | null)[];
  coef: string[];
  action: string[];
  events: string[][];
  percentile: (string | null)[] | null;
  emaMean: (string | null)[] | null;
  emaStd: (string | null)[] | null;
  zScore: (string | null)[] | null;
  historySize: number[];
  consecutiveNonFinite: number[];
}

export interface CaseRun {
  decisions: DecisionColumns;
  states: { afterStep: number; state: ControllerState }[];
}

/** The inputs of a case as the Controller takes them, step by step. */
export function stepInput(c: { gradNorm: number[]; loss: [number, number][] }, step: number): { step: number; gradNorm: number; loss?: number } {
  const loss = c.loss.find(([s]) => s === step);
  return loss === undefined ? { step, gradNorm: c.gradNorm[step] } : { step, gradNorm: c.gradNorm[step], loss: loss[1] };
}

/** Decides steps `from`.. of the case with `controller` (a new one from the case's policy by default). */
export function runCase(c: ConformanceCase, controller = new Controller(parsePolicy(c.policy)), from = 0): CaseRun {
  const decisions: Decision[] = [];
  const states: CaseRun['states'] = [];
  for (let step = from; step < c.gradNorm.length; step++) {
    const change = c.changes.find((x) => x.step === step);
    if (change) controller.setPolicy(parsePolicy(change.policy));
    decisions.push(controller.decide(stepInput(c, step)));
    if (c.stateAfter.includes(step)) states.push({ afterStep: step, state: JSON.parse(JSON.stringify(controller.toState())) });
  }
  return { decisions: columns(decisions), states };
}

function columns(ds: Decision[]): DecisionColumns {
  const column = (pick: (d: Decision) => number | null): (string | null)[] | null => {
    const out = ds.map((d) => toBits(pick(d)));
    return out.every((x) => x === null) ? null : out;
  };
  return {
    threshold: ds.map((d) => toBits(d.threshold)),
    coef: ds.map((d) => toBits(d.coef) as string),
    action: ds.map((d) => d.action),
    events: ds.map((d) => d.events),
    percentile: column((d) => d.stats.percentile),
    emaMean: column((d) => d.stats.emaMean),
    emaStd: column((d) => d.stats.emaStd),
    zScore: column((d) => d.stats.zScore),
    historySize: ds.map((d) => d.stats.historySize),
    consecutiveNonFinite: ds.map((d) => d.stats.consecutiveNonFinite),
  };
}
