// `gradpilot serve`'s alert flags and environment, as startServer gets them.
import { describe, expect, it } from 'vitest';
import { alertSettings } from '../../server/cli/alert-flags.ts';
import { parseFlags } from '../../server/cli/parse-flags.ts';

const FLAGS = ['webhook', 'public-url', 'alert-cooldown-minutes', 'stall-minutes'];

function settings(args: string[], env: NodeJS.ProcessEnv = {}) {
  const { flags, lists } = parseFlags(args, FLAGS, [], ['webhook']);
  return alertSettings(flags, lists, env);
}

describe('serve alert flags', () => {
  it('should keep every --webhook, in order, over GRADPILOT_WEBHOOK', () => {
    expect(settings(['--webhook', 'http://a/1', '--webhook=http://b/2'], { GRADPILOT_WEBHOOK: 'http://c/3' }).webhooks).toEqual(['http://a/1', 'http://b/2']);
  });

  it('should split GRADPILOT_WEBHOOK at commas and read the minutes', () => {
    expect(settings([], {
      GRADPILOT_WEBHOOK: 'http://a/1, http://b/2,', GRADPILOT_PUBLIC_URL: 'https://gp.example', GRADPILOT_ALERT_COOLDOWN_MINUTES: '0.5', GRADPILOT_STALL_MINUTES: '30',
    })).toEqual({ webhooks: ['http://a/1', 'http://b/2'], publicUrl: 'https://gp.example', alerts: { cooldownMs: 30_000, stallMinMs: 1_800_000 } });
    expect(settings([])).toEqual({ webhooks: [], publicUrl: null, alerts: {} });
  });

  it('should name the flag that is not a number of minutes', () => {
    expect(() => settings(['--stall-minutes', 'ten'])).toThrow('Expected --stall-minutes (or GRADPILOT_STALL_MINUTES) to be a number of minutes, got "ten"');
    expect(() => settings(['--stall-minutes', '0'])).toThrow('to be more than 0');
  });
});
