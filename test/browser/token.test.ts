// A server started with a write token: the dashboard reads without one, shows the server's
// 401 message for a write, and writes once the token is entered.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TID } from '../../client/src/testids.ts';
import type { PolicyVersion } from '../../sdk/protocol/api-types.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { launchChromium, openPage } from './support/browser.ts';
import { makeSteps } from './support/seed.ts';

const tid = (id: string) => `[data-testid="${id}"]`;
const TOKEN = 'test-token-123';
const auth = { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` };

let browser: Browser;
let server: TestServer;

beforeAll(async () => {
  [server, browser] = await Promise.all([withServer({ token: TOKEN }), launchChromium()]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('should show the 401 message for a write without the token, and apply the policy once it is set', async () => {
  const run = (await (await fetch(`${server.url}/api/runs`, { method: 'POST', headers: auth, body: JSON.stringify({ name: 'secured' }) })).json()) as { id: string };
  await fetch(`${server.url}/api/runs/${run.id}/steps`, { method: 'POST', headers: auth, body: JSON.stringify({ steps: makeSteps({ steps: 50 }) }) });
  const { page, errors } = await openPage(browser, `${server.url}/#/runs/${run.id}`);
  const form = page.locator(tid(TID.policyForm));
  await expect.poll(() => page.locator(tid(TID.policyCurrent)).textContent(), { timeout: 10_000 }).toContain('percentile');

  await form.locator('select[name=kind]').selectOption('fixed');
  await form.locator('input[name=maxNorm]').fill('2');
  await page.click(tid(TID.policyApply));
  const message = page.locator(`${tid(TID.policyMessage)}.error`);
  await message.waitFor();
  expect(await message.textContent()).toMatch(/token/i);

  page.once('dialog', (d) => void d.accept(TOKEN));
  await page.click(tid(TID.tokenButton));
  await expect.poll(() => page.locator(tid(TID.tokenButton)).textContent()).toBe('token ✓');
  await page.click(tid(TID.policyApply));
  await expect.poll(() => page.locator(tid(TID.policyMessage)).textContent(), { timeout: 10_000 }).toContain('version 2');
  const current = (await (await fetch(`${server.url}/api/runs/${run.id}/policy`)).json()) as PolicyVersion;
  expect(current.policy).toMatchObject({ kind: 'fixed', maxNorm: 2 });
  expect(errors).toEqual([]);
  await page.context().close();
});
