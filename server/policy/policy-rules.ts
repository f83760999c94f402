// The server's view of policies: validation and the default, from the controller module.
// TEMPORARY until sdk/controller/index.ts lands: a minimal check of `kind` only.
import type { Policy } from '../../sdk/controller/types.ts';
import { HttpError } from '../http-error.ts';
import { type DetectorFactory, nonFiniteDetector } from '../ingest/run-detectors.ts';

export const serverDetector: DetectorFactory = nonFiniteDetector;

export const SERVER_DEFAULT_POLICY: Policy = {
  kind: 'percentile',
  p: 10,
  window: null,
  warmupSteps: 0,
  maxNorm: null,
  minThreshold: null,
  maxThreshold: null,
  onNonFinite: 'skip',
  skipOnSpike: false,
  spikeZ: 6,
  explosionFactor: 10,
};

/** Validates a policy from the wire, filling defaults; a bad one is a 400 naming the problem. */
export function toPolicy(value: unknown, field = 'policy'): Policy {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, `Expected "${field}" to be a policy object like { "kind": "percentile", "p": 10 }`);
  }
  const kind = (value as { kind?: unknown }).kind;
  if (kind !== 'percentile' && kind !== 'zscore' && kind !== 'fixed' && kind !== 'off') {
    throw new HttpError(400, `Expected "${field}.kind" to be "percentile", "zscore", "fixed" or "off"`);
  }
  return { ...SERVER_DEFAULT_POLICY, ...(value as object) } as Policy;
}
