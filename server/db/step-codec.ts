// How a step's values sit in SQLite: REAL columns hold numbers and ±Infinity; NaN becomes
// NULL in SQLite, so a bitmask (bit i = value i is NaN) tells NaN from missing.
import type { Action } from '@gradpilot/sdk/controller';

const ACTION_CODES: Record<Action, number> = { apply: 0, clip: 1, skip: 2 };
const ACTIONS: Action[] = ['apply', 'clip', 'skip'];

export function encodeAction(a: Action | null): number | null {
  return a === null ? null : ACTION_CODES[a];
}

export function decodeAction(code: number | null): Action | null {
  return code === null ? null : (ACTIONS[code] ?? null);
}

/** Replaces NaN by null in `values` (in place) and returns the NaN bitmask. */
export function encodeNaN(values: (number | null)[]): number {
  let mask = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== null && Number.isNaN(v)) {
      mask |= 1 << i;
      values[i] = null;
    }
  }
  return mask;
}

/** The stored value back: NULL with its NaN bit set is NaN. */
export function decodeValue(v: number | null, mask: number, bit: number): number | null {
  return v === null && (mask & (1 << bit)) !== 0 ? Number.NaN : v;
}

/** Puts NaN back where `mask` says (inverse of encodeNaN, in place). */
export function decodeNaN(values: (number | null)[], mask: number): void {
  for (let i = 0; i < values.length; i++) if ((mask & (1 << i)) !== 0) values[i] = Number.NaN;
}
