// @gradpilot/sdk: measure, clip and stream every training step. TensorFlow.js helpers are in
// `@gradpilot/sdk/tfjs` (sdk/tfjs/index.ts).
export { init } from './client/init.ts';
export { Run } from './client/run.ts';
export { GradpilotError, NonFiniteGradientError } from './client/errors.ts';
export { defaultSpillDir } from './client/options.ts';
export { deliverSpills, listSpills } from './client/spill-inventory.ts';
export { DEFAULT_POLICY, parsePolicy } from './controller/index.ts';
export type { GradpilotErrorCode } from './client/errors.ts';
export type { InitOptions, PolicyInput } from './client/options.ts';
export type { CloseReport, RunEvents, RunStatusInfo, StepMetrics } from './client/run.ts';
export type { StepEvent, StepEventListener } from './client/step-events.ts';
export type { StopPush } from './protocol/socket-events.ts';
export type { AppliedPolicy } from './client/policy-schedule.ts';
export type { OutboxCounts } from './client/outbox.ts';
export type { SpillDelivery, SpillInfo } from './client/spill-inventory.ts';
export type { Action, ControllerState, Decision, EventKind, Policy } from './controller/types.ts';
