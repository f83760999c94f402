// Webhook URLs: what is accepted, and how one is shown. Slack, Mattermost and Discord put the
// secret in the path, and reads of the API need no token, so reads show the URL's origin and
// only the last few characters of its path.

const MAX_URL_LENGTH = 2048;

/** What is wrong with a webhook URL, or null when it is fine. `subject` names it: `"url"`, `the "webhooks[0]" option`. */
export function webhookUrlProblem(value: unknown, subject: string): string | null {
  if (typeof value !== 'string' || value === '' || value.length > MAX_URL_LENGTH) {
    const got = typeof value === 'string' ? JSON.stringify(value.slice(0, 60)) : typeof value;
    return `Expected ${subject} to be an http(s) URL of at most ${MAX_URL_LENGTH} characters, got ${got}`;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `Expected ${subject} to be an absolute URL such as "https://hooks.slack.com/services/...", got ${JSON.stringify(value.slice(0, 60))}`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `Expected ${subject} to start with http:// or https://, got ${JSON.stringify(url.protocol)}`;
  }
  return null;
}

/** `https://hooks.slack.com/…XyZ9`: enough to tell two webhooks apart, not enough to post to one. */
export function redactWebhookUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return '(invalid URL)';
  }
  const rest = `${url.pathname}${url.search}`;
  if (rest === '/' || rest === '') return url.origin;
  return `${url.origin}/…${rest.length > 12 ? rest.slice(-4) : ''}`;
}
