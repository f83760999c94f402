// Validation of a ControllerState that came back through JSON (from the server, a file,
// a resuming SDK). Errors name the field; the pieces are validated by their owners.

import { PolicyError, parsePolicy } from './policy.ts';
import type { DetectorState } from './detector.ts';
import type { Policy } from './types.ts';

export interface RestoredState {
  policy: Policy;
  log: number[];
  detector: DetectorState;
  zscore: unknown;
}

function fail(field: string, expected: string): never {
  throw new TypeError(`Invalid controller state: expected "${field}" to be ${expected}`);
}

/** The state's policy, validated (the message names the field as "policy.<field>"). */
export function statePolicy(state: unknown): Policy {
  if (typeof state !== 'object' || state === null || Array.isArray(state)) fail('state', 'an object from Controller.toState()');
  const s = state as Record<string, unknown>;
  if (s.version !== 1) fail('version', '1');
  try {
    return parsePolicy(s.policy);
  } catch (err) {
    if (err instanceof PolicyError) throw new PolicyError(`policy.${err.field}`, `Invalid controller state: ${err.message}`);
    throw err;
  }
}

export function restoreState(state: unknown): RestoredState {
  const policy = statePolicy(state);
  const data = (state as Record<string, unknown>).data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) fail('data', 'an object');
  const d = data as Record<string, unknown>;
  const log = d.log;
  if (!Array.isArray(log)) fail('data.log', 'an array of finite numbers');
  for (let i = 0; i < log.length; i++) {
    const v: unknown = log[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) fail(`data.log[${i}]`, 'a finite number');
  }
  const detector = d.detector;
  if (typeof detector !== 'object' || detector === null) fail('data.detector', 'an object');
  if ((detector as Record<string, unknown>).count !== log.length) {
    fail('data.detector.count', `the number of finite norms in data.log (${log.length})`);
  }
  if (policy.kind === 'zscore' ? d.zscore === null || d.zscore === undefined : d.zscore !== null) {
    fail('data.zscore', policy.kind === 'zscore' ? 'an object for a zscore policy' : 'null unless the policy is zscore');
  }
  return { policy, log: log as number[], detector: detector as DetectorState, zscore: d.zscore };
}
