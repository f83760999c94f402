// The dashboard in real Chromium against a real server, with data posted by the test.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { TID } from '../../client/src/testids.ts';
import { INGEST_NAMESPACE } from '../../sdk/protocol/socket-events.ts';
import type { PolicyVersion } from '../../sdk/protocol/api-types.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { countColoredPixels, launchChromium, openPage, restingBox, screenshot } from './support/browser.ts';
import { makeSteps, postSteps, seedRun } from './support/seed.ts';

const tid = (id: string) => `[data-testid="${id}"]`;
/** The machine is shared: waiting for the page gets generous time; latency checks set their own. */
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });

describe('dashboard in Chromium', () => {
  let browser: Browser;
  let server: TestServer;
  let runId: string;
  let mlpId: string;

  beforeAll(async () => {
    [server, browser] = await Promise.all([withServer(), launchChromium()]);
    runId = await seedRun(server.url, {
      name: 'rnn-adding',
      project: 'adding',
      steps: 3000,
      nanAt: [1500],
      spikeAt: [800, 2400],
    });
    mlpId = await seedRun(server.url, { name: 'mlp-baseline', project: 'mnist', steps: 800, layers: false });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it('should list the runs with a red mark for the run with non-finite steps, and filter by project', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/`);
    const row = page.locator(`${tid(TID.runRow)}[data-run-id="${runId}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain('rnn-adding');
    expect(await row.locator(tid(TID.runLastStep)).textContent()).toBe('2,999');
    await poll(() => row.locator(tid(TID.runNonFinite)).count()).toBe(1);
    expect(await page.locator(tid(TID.runNonFinite)).count()).toBe(1);

    // A run created while the page is open appears by itself (the socket's `run` summaries).
    const lateId = await seedRun(server.url, { name: 'late-run', steps: 5, layers: false });
    await poll(() => page.locator(`${tid(TID.runRow)}[data-run-id="${lateId}"] ${tid(TID.runLastStep)}`).textContent()).toBe('4');

    // The filter asks the server: the page changes when its answer is in.
    await page.selectOption(tid(TID.projectFilter), 'mnist');
    await poll(() => row.isVisible()).toBe(false);
    expect(await page.locator(`${tid(TID.runRow)}:visible`).count()).toBe(1);
    await page.selectOption(tid(TID.projectFilter), '');
    await screenshot(page, 'runs-light');

    for (const id of [runId, mlpId]) await page.locator(`${tid(TID.runRow)}[data-run-id="${id}"] ${tid(TID.compareSelect)}`).check();
    await page.click(tid(TID.compareButton));
    await page.locator(`${tid(TID.compareChart)} canvas`).waitFor();
    await poll(() => page.locator(`${tid(TID.compareChart)} .u-legend .u-series`).count()).toBe(3);
    await poll(() => countColoredPixels(page, `${tid(TID.compareChart)} canvas`, '--c-norm')).toBeGreaterThan(200);
    await screenshot(page, 'compare-light');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('should draw the gradient norm chart, its NaN marker and the per-layer heatmap', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${runId}`);
    const canvas = `${tid(TID.normChart)} canvas`;
    await page.locator(canvas).waitFor();
    // The norm line's own colour, not just axes: the series was drawn.
    await poll(() => countColoredPixels(page, canvas, '--c-norm')).toBeGreaterThan(300);
    await poll(() => page.locator(`${tid(TID.nonFiniteMarker)}:visible`).count()).toBeGreaterThanOrEqual(1);
    const title = await page.locator(tid(TID.nonFiniteMarker)).first().getAttribute('title');
    expect(title).toMatch(/1500|non-finite/);
    await poll(() => page.locator(tid(TID.heatmapFirst)).textContent()).toContain('rnn.U at step 7');
    for (const chart of [TID.lossChart, TID.lrChart, TID.coefChart]) {
      await poll(() => page.locator(`${tid(chart)} canvas`).count()).toBe(1);
    }
    await poll(() => page.locator(tid(TID.eventRow)).count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'run-light');

    // A spike/explosion marker on the chart leads to its row in the event list.
    const marker = page.locator(`${tid(TID.eventMarker)}[data-kind="spike"]:visible`).first();
    await marker.click();
    const highlighted = page.locator(`${tid(TID.eventRow)}.highlight`);
    await poll(() => highlighted.count()).toBe(1);
    expect(await highlighted.getAttribute('data-step')).toBe(await marker.getAttribute('data-step'));
    expect(await highlighted.getAttribute('data-kind')).toBe('spike');
    // The row is brought into view with a smooth scroll of the whole page (a few hundred ms,
    // the charts move up with it): wait until it has arrived (1 px for the rounded scrollY).
    await poll(() =>
      highlighted.evaluate((el) => {
        const r = el.getBoundingClientRect();
        return r.top >= -1 && r.bottom <= window.innerHeight + 1;
      }),
    ).toBe(true);

    // Drag-select zooms every chart to that range and stops following; double-click goes back.
    // Raw mouse coordinates: the chart's box must be read once the page has stopped moving.
    // The highlight may have scrolled the chart out of the viewport (the side column is taller
    // than the charts): bring it back first, since raw mouse coordinates only reach what is shown.
    const follow = page.locator(tid(TID.followToggle));
    await page.locator(`${tid(TID.normChart)} .u-over`).scrollIntoViewIfNeeded();
    const box = await restingBox(page.locator(`${tid(TID.normChart)} .u-over`));
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await poll(() => follow.textContent()).toMatch(/zoomed to \d+–\d+/);
    await page.mouse.dblclick(box.x + box.width / 2, box.y + box.height / 2);
    await poll(() => follow.textContent()).toBe('following live');

    await page.click(tid(TID.logToggle));
    await poll(() => countColoredPixels(page, canvas, '--c-norm')).toBeGreaterThan(300);
    await poll(() => page.locator(`${tid(TID.nonFiniteMarker)}:visible`).count()).toBeGreaterThanOrEqual(1);
    await screenshot(page, 'run-log-light');

    await page.click(tid(TID.themeToggle));
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await poll(() => countColoredPixels(page, canvas, '--c-norm')).toBeGreaterThan(300);
    await screenshot(page, 'run-dark');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('should show a step posted to the server within a second, and a live NaN step as a marker', async () => {
    const id = await seedRun(server.url, { name: 'live', steps: 200 });
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${id}`);
    const last = page.locator(tid(TID.runLastStepValue));
    await poll(() => last.textContent()).toBe('199');
    await poll(() => page.locator(tid(TID.connection)).getAttribute('data-state')).toBe('connected');
    const markers = page.locator(tid(TID.nonFiniteMarker));
    expect(await markers.count()).toBe(0);

    const t0 = Date.now();
    await postSteps(server.url, id, makeSteps({ steps: 1, start: 200 }));
    await expect.poll(() => last.textContent(), { timeout: 1000, interval: 20 }).toBe('200');
    const latencyMs = Date.now() - t0;

    await postSteps(server.url, id, makeSteps({ steps: 1, start: 201, nanAt: [201] }));
    await expect.poll(() => page.locator(`${tid(TID.nonFiniteMarker)}[data-step="201"]:visible`).count(), { timeout: 1000, interval: 20 }).toBe(1);
    expect(await last.textContent()).toBe('201');
    expect(errors).toEqual([]);
    await page.context().close();
    console.log(`live step visible in the page ${latencyMs} ms after the POST returned`);
  });

  it('should send a policy made in the page to the server, and show the server validation message for a bad one', async () => {
    const id = await seedRun(server.url, { name: 'policy', steps: 300 });
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${id}`);
    const form = page.locator(tid(TID.policyForm));
    await poll(() => page.locator(tid(TID.policyCurrent)).textContent()).toContain('percentile');

    await form.locator('select[name=kind]').selectOption('zscore');
    await form.locator('input[name=z]').fill('3');
    await form.locator('input[name=effectiveStep]').fill('500');
    await page.click(tid(TID.policyApply));
    await poll(() => page.locator(tid(TID.policyMessage)).textContent()).toContain('version 2');
    const res = await fetch(`${server.url}/api/runs/${id}/policy`);
    const version = (await res.json()) as PolicyVersion;
    expect(version.version).toBe(2);
    expect(version.effectiveStep).toBe(500);
    expect(version.author).toBe('dashboard');
    expect(version.policy).toMatchObject({ kind: 'zscore', z: 3 });
    await poll(() => page.locator(tid(TID.policyCurrent)).textContent()).toContain('zscore');
    await poll(() => page.locator(`${tid(TID.policyHistory)} tbody tr`).count()).toBe(2);

    // An SDK acknowledges the switch: the page shows it live.
    const sdk = io(`${server.url}${INGEST_NAMESPACE}`, { transports: ['websocket'] });
    try {
      const reply = await sdk.timeout(5000).emitWithAck('policyAck', { runId: id, version: 2, rank: 0, appliedAtStep: 500, late: false });
      expect(reply).toEqual({ ok: true, result: null });
      await poll(() => page.locator(tid(TID.policyAcks)).textContent()).toContain('rank 0 @ step 500');
    } finally {
      sdk.close();
    }

    await form.locator('select[name=kind]').selectOption('percentile');
    await form.locator('input[name=p]').fill('150');
    await page.click(tid(TID.policyApply));
    const message = page.locator(`${tid(TID.policyMessage)}.error`);
    await message.waitFor();
    expect(await message.textContent()).toMatch(/p/);
    const after = (await (await fetch(`${server.url}/api/runs/${id}/policy`)).json()) as PolicyVersion;
    expect(after.version).toBe(2);
    await screenshot(page, 'policy-light');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('should replay a what-if policy and show its summary next to the actual one', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${runId}`, { theme: 'dark' });
    await page.locator(`${tid(TID.normChart)} canvas`).waitFor();
    const form = page.locator(tid(TID.whatIfForm));
    await form.locator('select[name=kind]').selectOption('fixed');
    await form.locator('input[name=maxNorm]').fill('1.5');
    await page.click(tid(TID.whatIfRun));
    const summary = page.locator(tid(TID.whatIfSummary));
    await summary.waitFor();
    const text = (await summary.textContent()) ?? '';
    expect(text).toContain('actual');
    expect(text).toContain('what-if');
    expect(text).toContain('clipped');
    // The replayed threshold is drawn over the chart in its own colour.
    await poll(() => countColoredPixels(page, `${tid(TID.normChart)} canvas`, '--c-whatif')).toBeGreaterThan(100);
    await screenshot(page, 'whatif-dark');
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('should show an error message for a missing run', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/no-such-run`);
    const error = page.locator(tid(TID.error)).filter({ hasText: 'not found' });
    await error.waitFor();
    expect(await error.textContent()).toContain('no-such-run');
    await screenshot(page, 'missing-run-light');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
