// `gradpilot serve`'s alert settings from flags and the environment (flags win): webhooks,
// the dashboard's public URL for links, the cooldown and the stall minimum, in minutes.
import type { AlertOptions } from '../alerts/alert-options.ts';
import { UsageError } from './parse-flags.ts';

export const ALERT_FLAGS = ['webhook', 'public-url', 'alert-cooldown-minutes', 'stall-minutes'] as const;

export const ALERT_USAGE = `Alerts: --webhook URL (repeatable; GRADPILOT_WEBHOOK, comma-separated) gets every alert as a
JSON POST (Slack/Mattermost incoming webhooks work as they are); --public-url URL
(GRADPILOT_PUBLIC_URL) is the dashboard address used in alert links; --alert-cooldown-minutes 10
(GRADPILOT_ALERT_COOLDOWN_MINUTES): at most one alert per run and kind within it;
--stall-minutes 10 (GRADPILOT_STALL_MINUTES): a run is stalled after 10x its usual interval
between batches without a step, and never sooner than this.`;

export interface AlertSettings {
  webhooks: string[];
  publicUrl: string | null;
  alerts: AlertOptions;
}

function minutes(text: string | undefined, what: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const n = /^\d+(\.\d+)?$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(n)) throw new UsageError(`Expected ${what} to be a number of minutes, got "${text}"`);
  return n * 60_000;
}

export function alertSettings(flags: Map<string, string>, lists: Map<string, string[]>, env: NodeJS.ProcessEnv): AlertSettings {
  const fromEnv = (env.GRADPILOT_WEBHOOK ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const webhooks = lists.get('webhook') ?? fromEnv;
  const publicUrl = flags.get('public-url') ?? (env.GRADPILOT_PUBLIC_URL || null);
  const alerts: AlertOptions = {};
  const cooldownMs = minutes(flags.get('alert-cooldown-minutes') ?? env.GRADPILOT_ALERT_COOLDOWN_MINUTES, '--alert-cooldown-minutes (or GRADPILOT_ALERT_COOLDOWN_MINUTES)');
  if (cooldownMs !== undefined) alerts.cooldownMs = cooldownMs;
  const stallMinMs = minutes(flags.get('stall-minutes') ?? env.GRADPILOT_STALL_MINUTES, '--stall-minutes (or GRADPILOT_STALL_MINUTES)');
  if (stallMinMs !== undefined) {
    if (stallMinMs === 0) throw new UsageError('Expected --stall-minutes (or GRADPILOT_STALL_MINUTES) to be more than 0');
    alerts.stallMinMs = stallMinMs;
  }
  return { webhooks, publicUrl, alerts };
}
