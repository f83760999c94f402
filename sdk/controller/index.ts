export { Controller } from './controller.ts';
export { parsePolicy, PolicyError, DEFAULT_POLICY } from './policy.ts';
export { EventDetector } from './detector.ts';
export { percentileOfSorted } from './percentile.ts';
export type {
  Action,
  CoefRule,
  CommonPolicyOptions,
  ControllerState,
  Decision,
  DecisionStats,
  EventKind,
  FixedPolicy,
  NonFiniteAction,
  OffPolicy,
  PercentilePolicy,
  Policy,
  PolicyKind,
  StepInput,
  ZScorePolicy,
} from './types.ts';
export type { DetectorOptions, DetectorState } from './detector.ts';
