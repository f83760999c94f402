// Tuning of alerts: defaults, then validation, in that order. Every message names the option.

export interface AlertOptions {
  /** At most one alert per run and kind within this long. Default 10 minutes. */
  cooldownMs?: number;
  /** A run stalls after stallFactor x its recent interval between batches without a step... Default 10. */
  stallFactor?: number;
  /** ...and never before this long without one. Default 10 minutes. */
  stallMinMs?: number;
  /** How often runs are checked for a stall. Default 15 s. */
  stallCheckMs?: number;
  /** A burst of spikes: spikeBurstCount spike events within spikeBurstSteps steps. Defaults 3 and 100. */
  spikeBurstCount?: number;
  spikeBurstSteps?: number;
  /** A non-finite step fewer than this many steps after the previous one belongs to its burst. Default 100. */
  nonFiniteBurstGap?: number;
  /** One delivery attempt is abandoned after this long. Default 10 s. */
  timeoutMs?: number;
  /** Waits before the second, third, ... attempt; a delivery fails after all of them. Default 5 s, 30 s, 2 min, 10 min, 30 min. */
  retryDelaysMs?: number[];
  /** Deliveries in flight at once, over all webhooks. Default 4. */
  maxConcurrent?: number;
}

export type ResolvedAlertOptions = Required<AlertOptions>;

const MINUTE = 60_000;
export const ALERT_DEFAULTS: ResolvedAlertOptions = {
  cooldownMs: 10 * MINUTE,
  stallFactor: 10,
  stallMinMs: 10 * MINUTE,
  stallCheckMs: 15_000,
  spikeBurstCount: 3,
  spikeBurstSteps: 100,
  nonFiniteBurstGap: 100,
  timeoutMs: 10_000,
  retryDelaysMs: [5_000, 30_000, 2 * MINUTE, 10 * MINUTE, 30 * MINUTE],
  maxConcurrent: 4,
};

function atLeast(value: unknown, name: string, min: number, integer: boolean): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || (integer && !Number.isInteger(value))) {
    throw new RangeError(`Expected the "alerts.${name}" option to be ${integer ? 'an integer' : 'a number'} >= ${min}, got ${String(value)}`);
  }
}

export function resolveAlertOptions(options: AlertOptions = {}): ResolvedAlertOptions {
  const known = Object.keys(ALERT_DEFAULTS);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) throw new TypeError(`Unknown option "alerts.${key}"; expected one of ${known.join(', ')}`);
  }
  const o: ResolvedAlertOptions = { ...ALERT_DEFAULTS, ...options };
  atLeast(o.cooldownMs, 'cooldownMs', 0, false);
  atLeast(o.stallFactor, 'stallFactor', 1, false);
  atLeast(o.stallMinMs, 'stallMinMs', 1, false);
  atLeast(o.stallCheckMs, 'stallCheckMs', 1, true);
  atLeast(o.spikeBurstCount, 'spikeBurstCount', 1, true);
  atLeast(o.spikeBurstSteps, 'spikeBurstSteps', 1, true);
  atLeast(o.nonFiniteBurstGap, 'nonFiniteBurstGap', 1, true);
  atLeast(o.timeoutMs, 'timeoutMs', 1, true);
  atLeast(o.maxConcurrent, 'maxConcurrent', 1, true);
  if (!Array.isArray(o.retryDelaysMs)) throw new TypeError(`Expected the "alerts.retryDelaysMs" option to be an array of milliseconds, got ${typeof o.retryDelaysMs}`);
  o.retryDelaysMs.forEach((d, i) => atLeast(d, `retryDelaysMs[${i}]`, 0, true));
  return o;
}
