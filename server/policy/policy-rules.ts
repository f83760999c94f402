// The server's view of policies, from the controller module itself: validation (a bad
// policy is a 400 naming the field), the default, and the event detector the server runs.
import { DEFAULT_POLICY, EventDetector, PolicyError, parsePolicy } from '@gradpilot/sdk/controller';
import type { Policy } from '@gradpilot/sdk/controller';
import { HttpError } from '../http-error.ts';
import type { Detector } from '../ingest/run-detectors.ts';

export const SERVER_DEFAULT_POLICY: Policy = DEFAULT_POLICY;

/** Validates a policy from the wire, filling defaults. */
export function toPolicy(value: unknown, field = 'policy'): Policy {
  try {
    return parsePolicy(value);
  } catch (err) {
    if (err instanceof PolicyError) throw new HttpError(400, `Invalid "${field}": ${err.message}`, { cause: err });
    throw err;
  }
}

/** The controller's own spike/explosion/non-finite detector, tuned by the run's policy. */
export function serverDetector(policy: Policy): Detector {
  return new EventDetector(policy);
}
