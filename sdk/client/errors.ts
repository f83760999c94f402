// The SDK's one error class (with a code), and the error `onNonFinite: 'raise'` throws.

/** Why the SDK threw. */
export type GradpilotErrorCode =
  | 'INVALID_OPTION'
  | 'INVALID_STEP'
  | 'NON_FINITE'
  | 'RESUME_FAILED'
  | 'UNREACHABLE'
  | 'SERVER_FAULT'
  /** The server predates a column the SDK sends (steps still delivered without it). */
  | 'OLDER_SERVER'
  | 'CLOSED';

/**
 * Every error the SDK throws. `code` says which kind; `cause` carries a wrapped error.
 *
 * @example
 * try {
 *   run.observe(step, { gradNorm });
 * } catch (err) {
 *   if (err instanceof GradpilotError && err.code === 'NON_FINITE') saveCheckpointAndStop();
 *   else throw err;
 * }
 */
export class GradpilotError extends Error {
  readonly code: GradpilotErrorCode;

  constructor(message: string, code: GradpilotErrorCode, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GradpilotError';
    this.code = code;
  }
}

/**
 * Thrown by `run.observe` (and the TensorFlow.js adapter) when the policy says
 * `onNonFinite: 'raise'` and the step's gradient norm or loss is NaN or ±Infinity.
 * The step has been recorded and will still reach the server.
 *
 * @example
 * catch (err) {
 *   if (err instanceof NonFiniteGradientError) console.error(`diverged at step ${err.step}`);
 * }
 */
export class NonFiniteGradientError extends GradpilotError {
  readonly step: number;
  readonly gradNorm: number;
  readonly loss: number | null;

  constructor(step: number, gradNorm: number, loss: number | null) {
    const what = Number.isFinite(gradNorm) ? `the loss is ${loss}` : `the gradient norm is ${gradNorm}`;
    super(
      `Step ${step}: ${what}. The run's policy says onNonFinite: 'raise'; ` +
        `use onNonFinite: 'skip' to drop such steps and keep training.`,
      'NON_FINITE',
    );
    this.name = 'NonFiniteGradientError';
    this.step = step;
    this.gradNorm = gradNorm;
    this.loss = loss;
  }
}
