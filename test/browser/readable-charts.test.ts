// The run page with runs that used to be unreadable: one early spike that flattened a linear
// scale, 80 % of steps clipped (ticks that hid the threshold), a what-if overlay at 1, a
// policy switch label. Real server, data posted by the test, pixels asserted on the canvas.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TID } from '../../client/src/testids.ts';
import { encodeNumber } from '../../sdk/protocol/wire-number.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { countColoredPixels, elementShot, launchChromium, openPage, screenshot } from './support/browser.ts';
import { createRun, makeSteps, postSteps } from './support/seed.ts';

const tid = (id: string) => `[data-testid="${id}"]`;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });
const normCanvas = `${tid(TID.normChart)} canvas`;

let browser: Browser;
let server: TestServer;
/** 3000 steps, one 5000× spike at step 30, threshold 0.7 (about 80 % clipped), policy v2 at 1500. */
let spikyId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([withServer(), launchChromium()]);
  const run = await createRun(server.url, 'early-spike', 'readable');
  spikyId = run.id;
  const steps = makeSteps({ steps: 3000, threshold: 0.7, layers: false });
  steps[30].gradNorm = encodeNumber(5000);
  await postSteps(server.url, spikyId, steps.slice(0, 1500));
  const res = await fetch(`${server.url}/api/runs/${spikyId}/policy`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ policy: { kind: 'zscore' }, effectiveStep: 1500 }),
  });
  expect(res.ok, await res.text()).toBe(true);
  await postSteps(server.url, spikyId, steps.slice(1500));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

async function normChartChecks(page: Page): Promise<void> {
  // Clipped ticks only in their strip under the plot, never over the data.
  await poll(() => countColoredPixels(page, normCanvas, '--c-clipped', 'below-plot')).toBeGreaterThan(500);
  expect(await countColoredPixels(page, normCanvas, '--c-clipped', 'plot')).toBe(0);
  // The threshold line keeps its own colour over the dense band of norms (drawn on top).
  expect(await countColoredPixels(page, normCanvas, '--c-threshold', 'plot')).toBeGreaterThan(400);
  // The policy switch's label is in the room above the plot area.
  expect(await countColoredPixels(page, normCanvas, '--muted', 'above-plot')).toBeGreaterThan(20);
}

describe('norm chart', () => {
  it('should pick a log scale for norms spanning > 2 decades and keep ticks, threshold, what-if and labels readable in both themes', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${spikyId}`);
    await page.locator(normCanvas).waitFor();
    await poll(() => page.locator(tid(TID.scaleNote)).textContent()).toMatch(/auto: the norms span [\d.]+ decades/);
    expect(await page.locator(tid(TID.logToggle)).isChecked()).toBe(true);
    await normChartChecks(page);

    // What-if `fixed 1` (the overlay the issue could not see): drawn over everything.
    const form = page.locator(tid(TID.whatIfForm));
    await form.locator('select[name=kind]').selectOption('fixed');
    await form.locator('input[name=maxNorm]').fill('1');
    await page.click(tid(TID.whatIfRun));
    await page.locator(tid(TID.whatIfSummary)).waitFor();
    await poll(() => countColoredPixels(page, normCanvas, '--c-whatif', 'plot')).toBeGreaterThan(400);
    await screenshot(page, 'readable-norm-light');
    await elementShot(page.locator(tid(TID.normChart)), 'readable-norm-chart-light');

    await page.click(tid(TID.themeToggle));
    await poll(() => countColoredPixels(page, normCanvas, '--c-whatif', 'plot')).toBeGreaterThan(400);
    await normChartChecks(page);
    await screenshot(page, 'readable-norm-dark');
    await elementShot(page.locator(tid(TID.normChart)), 'readable-norm-chart-dark');

    // The user's choice wins over the automatic one, and the note goes.
    await page.click(tid(TID.logToggle));
    expect(await page.locator(tid(TID.logToggle)).isChecked()).toBe(false);
    expect(await page.locator(tid(TID.scaleNote)).textContent()).toBe('');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
