// The dashboard under the server's guards, in real Chromium:
// - token mode (reads need the token too): the page asks for it once, then reads, charts
//   and the live socket all work, with no CSP violation and no other page able to frame it;
// - public reads: it reads without a token, shows the server's 401 for a write, and writes
//   once the token is entered.
import http from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TID } from '../../client/src/testids.ts';
import type { PolicyVersion } from '../../sdk/protocol/api-types.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { countColoredPixels, launchChromium, openPage } from './support/browser.ts';
import { makeSteps } from './support/seed.ts';

const tid = (id: string) => `[data-testid="${id}"]`;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });
const TOKEN = 'test-token-123';
const auth = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

let browser: Browser;
beforeAll(async () => {
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
});

async function seed(url: string, steps: number, start = 0, id?: string): Promise<string> {
  if (id === undefined) {
    const run = (await (await fetch(`${url}/api/runs`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'secured' }) })).json()) as { id: string };
    id = run.id;
  }
  const res = await fetch(`${url}/api/runs/${id}/steps`, { method: 'POST', headers: auth, body: JSON.stringify({ steps: makeSteps({ steps, start }) }) });
  expect(res.status).toBe(200);
  return id;
}

/** Records every CSP violation in the page (before any of its scripts run). */
async function recordCspViolations(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const seen: string[] = [];
    (window as unknown as { cspViolations: string[] }).cspViolations = seen;
    document.addEventListener('securitypolicyviolation', (e) => seen.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
}

describe('token for reads', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await withServer({ token: TOKEN });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should ask for the token once, then show the run, follow it live and break no CSP rule', async () => {
    const id = await seed(server.url, 200);
    const prompts: string[] = [];
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${id}`, {
      prepare: async (p) => {
        await recordCspViolations(p);
        p.on('dialog', (d) => {
          prompts.push(d.message());
          void d.accept(TOKEN);
        });
      },
    });
    const last = page.locator(tid(TID.runLastStepValue));
    await poll(() => last.textContent()).toBe('199');
    await poll(() => page.locator(tid(TID.connection)).getAttribute('data-state')).toBe('connected');
    await poll(() => countColoredPixels(page, `${tid(TID.normChart)} canvas`, '--c-norm')).toBeGreaterThan(300);
    expect(prompts).toHaveLength(1);
    expect(prompts[0]).toMatch(/Missing token: .* for reads too/);

    // The /live socket carries the token: a new step shows up without a reload.
    await seed(server.url, 1, 200, id);
    await poll(() => last.textContent()).toBe('200');
    expect(await page.locator(tid(TID.tokenButton)).textContent()).toBe('token ✓');

    // Another page: the token is remembered, nothing is asked again.
    await page.goto(`${server.url}/#/`);
    await poll(() => page.locator(`${tid(TID.runRow)}[data-run-id="${id}"]`).count()).toBe(1);
    expect(prompts).toHaveLength(1);
    expect(await page.evaluate(() => (window as unknown as { cspViolations: string[] }).cspViolations)).toEqual([]);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('should not let a page of another origin frame the dashboard', async () => {
    // A page on another port (another origin, same site: the clickjacking that was seen).
    const framer = http.createServer((_req, res) => res.end(`<!doctype html><iframe src="${server.url}/" width="800" height="600"></iframe>`));
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    const { port } = framer.address() as { port: number };
    const { page } = await openPage(browser, `http://127.0.0.1:${port}/`);
    try {
      await page.waitForLoadState('load');
      const frame = page.frames().find((f) => f !== page.mainFrame())!;
      // Chromium replaces a refused frame by its error page: the dashboard never renders.
      await poll(() => frame.url()).toMatch(/^chrome-error:/);
      expect(await frame.locator(tid(TID.tokenButton)).count()).toBe(0);
    } finally {
      await page.context().close();
      await new Promise((resolve) => framer.close(resolve));
    }
  });
});

describe('public reads', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await withServer({ token: TOKEN, publicReads: true });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('should show the 401 message for a write without the token, and apply the policy once it is set', async () => {
    const id = await seed(server.url, 50);
    // No dialog handler yet: the prompt the refused write opens is dismissed.
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${id}`);
    const form = page.locator(tid(TID.policyForm));
    await poll(() => page.locator(tid(TID.policyCurrent)).textContent()).toContain('percentile');

    await form.locator('select[name=kind]').selectOption('fixed');
    await form.locator('input[name=maxNorm]').fill('2');
    await page.click(tid(TID.policyApply));
    const message = page.locator(`${tid(TID.policyMessage)}.error`);
    await message.waitFor();
    expect(await message.textContent()).toMatch(/token/i);

    page.once('dialog', (d) => void d.accept(TOKEN));
    await page.click(tid(TID.tokenButton));
    await poll(() => page.locator(tid(TID.tokenButton)).textContent()).toBe('token ✓');
    await page.click(tid(TID.policyApply));
    await poll(() => page.locator(tid(TID.policyMessage)).textContent()).toContain('version 2');
    const current = (await (await fetch(`${server.url}/api/runs/${id}/policy`)).json()) as PolicyVersion;
    expect(current.policy).toMatchObject({ kind: 'fixed', maxNorm: 2 });
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
