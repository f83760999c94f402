// @gradpilot/sdk/tfjs: TensorFlow.js helpers (measure, clip, wrap an optimizer).
export { clipOptimizer } from './clip-optimizer.ts';
export { clipGradients, scaleGradients } from './clip-gradients.ts';
export { gradientNorms } from './gradient-norms.ts';
export type { ApplyInfo, ClipOptimizerOptions, ClippedOptimizer } from './clip-optimizer.ts';
export type { ClipResult, ClipStepOptions } from './clip-gradients.ts';
export type { GradientNorms, Gradients } from './gradient-norms.ts';
