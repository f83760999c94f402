// Policy JSON -> a validated Policy with every default filled. The order follows
// better-sqlite3's: reject what is not a policy, then unknown fields (with a suggestion),
// then each field's type and range, then the relations between fields.

import type { CommonPolicyOptions, Policy, PolicyKind } from './types.ts';

/**
 * A policy that failed validation; `field` names the offending field ('' for the whole policy).
 *
 * @example
 * try { parsePolicy(body.policy); } catch (err) {
 *   if (err instanceof PolicyError) res.status(400).json({ error: err.message, field: err.field });
 * }
 */
export class PolicyError extends TypeError {
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'PolicyError';
    this.field = field;
  }
}

const KINDS: readonly PolicyKind[] = ['percentile', 'zscore', 'fixed', 'off'];

const COMMON_DEFAULTS: CommonPolicyOptions = {
  maxNorm: null,
  minThreshold: null,
  maxThreshold: null,
  onNonFinite: 'skip',
  skipOnSpike: false,
  spikeZ: 6,
  explosionFactor: 10,
  coefRule: 'gradpilot',
};

const KIND_DEFAULTS = {
  percentile: { p: 10, window: null, warmupSteps: 0 },
  zscore: {
    alpha: 0.97,
    z: 2.5,
    warmupSteps: 25,
    clipOption: 'adaptive_scaling',
    clipFactor: 1,
    updateStatsOnSpike: true,
  },
  fixed: {},
  off: {},
} as const;

/**
 * AutoClip with the paper's defaults: p = 10 over the full history.
 *
 * @example
 * const controller = new Controller(DEFAULT_POLICY);
 */
export const DEFAULT_POLICY: Policy = Object.freeze({ kind: 'percentile', ...COMMON_DEFAULTS, ...KIND_DEFAULTS.percentile });

// Names people bring from the reference implementations (ZClip, clip_grad_norm_) and
// from snake_case configs.
const ALIASES: Record<string, string> = {
  max_norm: 'maxNorm',
  max_grad_norm: 'maxNorm',
  z_thresh: 'z',
  zThresh: 'z',
  clip_option: 'clipOption',
  clip_factor: 'clipFactor',
  warmup_steps: 'warmupSteps',
  warmup: 'warmupSteps',
  percentile: 'p',
  history_size: 'window',
  skip_update_on_spike: 'updateStatsOnSpike (inverted: skip_update_on_spike=True is updateStatsOnSpike: false)',
  skipUpdateOnSpike: 'updateStatsOnSpike (inverted: skipUpdateOnSpike true is updateStatsOnSpike: false)',
  on_nonfinite: 'onNonFinite',
  coef_rule: 'coefRule',
  skip_on_spike: 'skipOnSpike',
  min_threshold: 'minThreshold',
  max_threshold: 'maxThreshold',
  type: 'kind',
  mode: 'kind',
};

/**
 * Validates policy JSON and fills every default. Unknown fields are rejected so that a
 * typo never falls back silently to a default.
 *
 * @example
 * parsePolicy({ kind: 'zscore', z: 3 });                 // ZClip with the other defaults
 * parsePolicy({ kind: 'percentile', p: 10, windw: 1000 }); // PolicyError: ... Did you mean "window"?
 */
export function parsePolicy(input: unknown): Policy {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new PolicyError('', `Expected the policy to be an object such as {"kind": "percentile", "p": 10}, got ${describe(input)}`);
  }
  const raw = input as Record<string, unknown>;
  const kind = raw.kind;
  if (kind === undefined) {
    throw new PolicyError('kind', `Expected the policy field "kind" to be one of ${KINDS.map((k) => `"${k}"`).join(', ')}; it is missing`);
  }
  if (typeof kind !== 'string' || !(KINDS as readonly string[]).includes(kind)) {
    const hint = typeof kind === 'string' ? suggest(kind, KINDS) : null;
    throw new PolicyError(
      'kind',
      `Expected the policy field "kind" to be one of ${KINDS.map((k) => `"${k}"`).join(', ')}, got ${describe(kind)}${hint ? `. Did you mean "${hint}"?` : ''}`,
    );
  }
  const k = kind as PolicyKind;
  const allowed = ['kind', ...Object.keys(COMMON_DEFAULTS), ...Object.keys(KIND_DEFAULTS[k])];
  for (const name of Object.keys(raw)) {
    if (!allowed.includes(name)) throw unknownField(name, k, allowed);
  }

  const r = new Reader(raw);
  const common: CommonPolicyOptions = {
    maxNorm: r.number('maxNorm', COMMON_DEFAULTS.maxNorm, { nullable: true, positive: true }),
    minThreshold: r.number('minThreshold', COMMON_DEFAULTS.minThreshold, { nullable: true, min: 0 }),
    maxThreshold: r.number('maxThreshold', COMMON_DEFAULTS.maxThreshold, { nullable: true, positive: true }),
    onNonFinite: r.oneOf('onNonFinite', COMMON_DEFAULTS.onNonFinite, ['skip', 'clip', 'raise'] as const),
    skipOnSpike: r.boolean('skipOnSpike', COMMON_DEFAULTS.skipOnSpike),
    spikeZ: r.number('spikeZ', COMMON_DEFAULTS.spikeZ, { positive: true }),
    explosionFactor: r.number('explosionFactor', COMMON_DEFAULTS.explosionFactor, { min: 1 }),
    coefRule: r.oneOf('coefRule', 'gradpilot', ['gradpilot', 'torch'] as const),
  };
  if (common.minThreshold !== null && common.maxThreshold !== null && common.minThreshold > common.maxThreshold) {
    throw new PolicyError(
      'minThreshold',
      `Expected "minThreshold" (${common.minThreshold}) to be at most "maxThreshold" (${common.maxThreshold})`,
    );
  }

  switch (k) {
    case 'percentile': {
      const d = KIND_DEFAULTS.percentile;
      return {
        kind: k,
        ...common,
        p: r.number('p', d.p, { min: 0, max: 100 }),
        window: r.integer('window', d.window, 1),
        warmupSteps: r.integer('warmupSteps', d.warmupSteps, 0) as number,
      };
    }
    case 'zscore': {
      const d = KIND_DEFAULTS.zscore;
      const alpha = r.number('alpha', d.alpha, {}) as number;
      if (!(alpha > 0 && alpha < 1)) throw new PolicyError('alpha', `Expected "alpha" to be a number strictly between 0 and 1, got ${describe(alpha)}`);
      return {
        kind: k,
        ...common,
        alpha,
        z: r.number('z', d.z, { positive: true }) as number,
        warmupSteps: r.integer('warmupSteps', d.warmupSteps, 1, 'zscore needs at least one warm-up norm to start its statistics') as number,
        clipOption: r.oneOf('clipOption', d.clipOption, ['adaptive_scaling', 'mean'] as const),
        clipFactor: r.number('clipFactor', d.clipFactor, { positive: true }) as number,
        updateStatsOnSpike: r.boolean('updateStatsOnSpike', d.updateStatsOnSpike),
      };
    }
    case 'fixed':
      if (common.maxNorm === null) {
        throw new PolicyError('maxNorm', 'Expected "maxNorm" to be a positive number: the fixed policy clips at maxNorm, e.g. {"kind": "fixed", "maxNorm": 1}');
      }
      rejectBounds(common, k);
      return { kind: k, ...common };
    case 'off':
      rejectBounds(common, k);
      return { kind: k, ...common };
  }
}

function rejectBounds(common: CommonPolicyOptions, kind: PolicyKind): void {
  for (const field of ['minThreshold', 'maxThreshold'] as const) {
    if (common[field] !== null) {
      throw new PolicyError(
        field,
        `"${field}" bounds an adaptive threshold and applies to the kinds "percentile" and "zscore" only, not "${kind}"; use "maxNorm" for a hard cap`,
      );
    }
  }
}

function unknownField(name: string, kind: PolicyKind, allowed: string[]): PolicyError {
  let hint = '';
  // Own properties only: "constructor" or "toString" must not find Object.prototype's.
  const alias = Object.hasOwn(ALIASES, name) ? ALIASES[name] : undefined;
  const otherKind = KINDS.find((k) => k !== kind && Object.hasOwn(KIND_DEFAULTS[k], name));
  if (alias !== undefined && allowed.includes(alias.split(' ')[0])) hint = ` Did you mean "${alias.split(' ')[0]}"${alias.includes(' ') ? ' ' + alias.slice(alias.indexOf(' ') + 1) : ''}?`;
  else if (otherKind !== undefined) hint = ` "${name}" applies to the kind "${otherKind}" only.`;
  else {
    const near = suggest(name, allowed);
    if (near !== null) hint = ` Did you mean "${near}"?`;
  }
  return new PolicyError(name, `Unknown policy field "${name}" for the kind "${kind}".${hint} Allowed fields: ${allowed.join(', ')}`);
}

/** The closest candidate by case-insensitive edit distance, if close enough to be a typo. */
function suggest(name: string, candidates: readonly string[]): string | null {
  const norm = (s: string): string => s.toLowerCase().replace(/[_-]/g, '');
  // A truncated name ("adaptive", "warmup") is a likely mistake too.
  const prefixed = candidates.filter((c) => name.length >= 3 && norm(c).startsWith(norm(name)));
  if (prefixed.length === 1) return prefixed[0];
  let best: string | null = null;
  let bestDist = Infinity;
  for (const c of candidates) {
    const d = editDistance(norm(name), norm(c));
    if (d < bestDist) {
      bestDist = d;
      best = c;
    }
  }
  return best !== null && bestDist <= Math.max(1, Math.floor(best.length / 3)) ? best : null;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return String(value);
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : String(value);
}

interface NumberRule {
  nullable?: boolean;
  positive?: boolean;
  min?: number;
  max?: number;
}

/** Reads one field at a time with its default, throwing a PolicyError that names it. */
class Reader {
  readonly #raw: Record<string, unknown>;

  constructor(raw: Record<string, unknown>) {
    this.#raw = raw;
  }

  number<D extends number | null>(field: string, fallback: D, rule: NumberRule): number | D {
    const v = this.#raw[field];
    if (v === undefined) return fallback;
    if (v === null && rule.nullable) return null as D;
    const expected = expectation(rule);
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new PolicyError(field, `Expected "${field}" to be ${expected}, got ${describe(v)}`);
    if (
      (rule.positive && !(v > 0)) ||
      (rule.min !== undefined && v < rule.min) ||
      (rule.max !== undefined && v > rule.max)
    ) {
      throw new PolicyError(field, `Expected "${field}" to be ${expected}, got ${v}`);
    }
    return v;
  }

  integer(field: string, fallback: number | null, min: number, why?: string): number | null {
    const v = this.#raw[field];
    if (v === undefined) return fallback;
    if (v === null && fallback === null) return null;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) {
      const orNull = fallback === null ? ' or null' : '';
      throw new PolicyError(field, `Expected "${field}" to be an integer >= ${min}${orNull}, got ${describe(v)}${why ? ` (${why})` : ''}`);
    }
    return v;
  }

  boolean(field: string, fallback: boolean): boolean {
    const v = this.#raw[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'boolean') throw new PolicyError(field, `Expected "${field}" to be true or false, got ${describe(v)}`);
    return v;
  }

  oneOf<T extends string>(field: string, fallback: T, options: readonly T[]): T {
    const v = this.#raw[field];
    if (v === undefined) return fallback;
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) {
      const hint = typeof v === 'string' ? suggest(v, options) : null;
      throw new PolicyError(
        field,
        `Expected "${field}" to be one of ${options.map((o) => `"${o}"`).join(', ')}, got ${describe(v)}${hint ? `. Did you mean "${hint}"?` : ''}`,
      );
    }
    return v as T;
  }
}

function expectation(rule: NumberRule): string {
  const parts: string[] = [];
  if (rule.positive) parts.push('a positive number');
  else if (rule.min !== undefined && rule.max !== undefined) parts.push(`a number in [${rule.min}, ${rule.max}]`);
  else if (rule.min !== undefined) parts.push(`a number >= ${rule.min}`);
  else parts.push('a finite number');
  if (rule.nullable) parts.push('or null');
  return parts.join(' ');
}
