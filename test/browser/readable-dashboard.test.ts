// The dashboard with the runs that used to be unreadable (issue 15): one early spike that
// flattened a linear scale, half the steps clipped (ticks that hid the threshold), a what-if
// at 1, a policy switch label, a run that diverged to Infinity; smoothing, compare, the run
// page's config/CSV/warnings, the runs list. Real server, data posted by the test, pixels
// and DOM asserted.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TID } from '../../client/src/testids.ts';
import { clipWindow, rollingClipFraction } from '../../client/src/charts/clip-fraction.ts';
import { fmtNum } from '../../client/src/format.ts';
import { fromStepSeries } from '../../client/src/series.ts';
import { emaOverSteps, firstSpan } from '../../client/src/smoothing.ts';
import type { StepSeries } from '../../sdk/protocol/api-types.ts';
import { encodeNumber } from '../../sdk/protocol/wire-number.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { countColoredPixels, elementShot, launchChromium, openPage, pixelAt, restingBox, screenshot } from './support/browser.ts';
import { createRun, makeSteps, postSteps } from './support/seed.ts';

const tid = (id: string) => `[data-testid="${id}"]`;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });
const normCanvas = `${tid(TID.normChart)} canvas`;

let browser: Browser;
let server: TestServer;
/** 3000 steps, one 5000 spike at step 30, threshold 0.7 (about half clipped), policy v2 at 1500. */
let spikyId: string;
/** 1000 steps: 260 Infinity norms (NaN loss) in 600–859, 20 spikes 3 steps apart from 100. */
let divergedId: string;
const SPIKES = Array.from({ length: 20 }, (_, i) => 100 + 3 * i);

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

  divergedId = (await createRun(server.url, 'diverged', 'readable')).id;
  const diverged = makeSteps({ steps: 1000, spikeAt: SPIKES, layers: false });
  for (let i = 600; i < 860; i++) Object.assign(diverged[i], { gradNorm: 'Infinity', loss: 'NaN', coef: 0, action: 'skip' });
  await postSteps(server.url, divergedId, diverged);
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

describe('diverged run', () => {
  it('should draw 260 Infinity steps as one band with a count on every chart, and merge nearby spike markers', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${divergedId}`);
    const norm = page.locator(tid(TID.normChart));
    await norm.locator('canvas').waitFor();
    const bandMarker = norm.locator(`${tid(TID.nonFiniteMarker)}:visible`);
    await poll(() => bandMarker.count()).toBe(1);
    expect(await bandMarker.getAttribute('data-count')).toBe('260');
    expect(await bandMarker.textContent()).toBe('260');
    expect(await bandMarker.getAttribute('title')).toBe('260 non-finite gradient norms in steps 600–859');

    // The band is shaded (reddish) at its middle, from the top of the plot to the bottom,
    // on the norm chart and on the loss chart below it; outside it the plot is not.
    const over = await restingBox(norm.locator('.u-over'));
    const mark = await restingBox(bandMarker);
    const mid = mark.x + mark.width / 2;
    const reddish = ([r, g, b]: number[]) => r - Math.max(g, b) > 25;
    for (const y of [over.y + over.height * 0.3, over.y + over.height * 0.9]) {
      expect(reddish(await pixelAt(page, `${tid(TID.normChart)} canvas`, mid, y))).toBe(true);
    }
    expect(reddish(await pixelAt(page, `${tid(TID.normChart)} canvas`, over.x + over.width * 0.97, over.y + over.height * 0.3))).toBe(false);
    const loss = page.locator(tid(TID.lossChart));
    const lossOver = await restingBox(loss.locator('.u-over'));
    expect(reddish(await pixelAt(page, `${tid(TID.lossChart)} canvas`, mid, lossOver.y + lossOver.height * 0.5))).toBe(true);
    // The loss is NaN there: the loss chart marks it itself, one marker with the count.
    const lossMarker = loss.locator(`${tid(TID.seriesNonFiniteMarker)}:visible`);
    await poll(() => lossMarker.count()).toBe(1);
    expect(await lossMarker.getAttribute('data-count')).toBe('260');
    expect(await lossMarker.getAttribute('title')).toContain('non-finite loss values in steps 600–859');

    // 20 spikes 3 steps apart are a few merged markers whose counts add up to the events.
    const events = (await (await fetch(`${server.url}/api/runs/${divergedId}/events`)).json()) as { kind: string; step: number }[];
    const spikes = events.filter((e) => e.kind === 'spike' && e.step >= 100 && e.step < 200).length;
    expect(spikes).toBeGreaterThan(5);
    const spikeMarkers = norm.locator(`${tid(TID.eventMarker)}[data-kind="spike"]:visible`);
    await poll(() => spikeMarkers.count()).toBeGreaterThan(0);
    const counts = await spikeMarkers.evaluateAll((els) => els.map((e) => Number((e as HTMLElement).dataset.count ?? 1)));
    expect(counts.length).toBeLessThan(4);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(spikes);
    await screenshot(page, 'diverged-light');
    await elementShot(norm, 'diverged-norm-light');

    // Clicking a merged marker zooms to its steps, where the spikes come apart.
    const merged = norm.locator(`${tid(TID.eventMarker)}[data-kind="spike"][data-count]:visible`).first();
    await merged.click();
    await poll(() => page.locator(tid(TID.followToggle)).textContent()).toMatch(/zoomed to \d+–\d+/);
    await poll(() => spikeMarkers.count()).toBeGreaterThan(counts.length);

    await page.click(tid(TID.themeToggle));
    await page.dblclick(`${tid(TID.normChart)} .u-over`);
    await poll(() => page.locator(tid(TID.followToggle)).textContent()).toBe('following live');
    await poll(() => bandMarker.count()).toBe(1);
    await screenshot(page, 'diverged-dark');
    await elementShot(norm, 'diverged-norm-dark');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('smoothing', () => {
  it('should draw a debiased EMA over steps for norm and loss, the raw values faint behind, and the clipped fraction rolling over a stated window', async () => {
    const { page, errors } = await openPage(browser, 'about:blank');
    const stepUrls: string[] = [];
    page.on('request', (r) => r.url().includes(`/api/runs/${spikyId}/steps`) && stepUrls.push(r.url()));
    await page.goto(`${server.url}/#/runs/${spikyId}`);
    const norm = page.locator(tid(TID.normChart));
    await norm.locator('canvas').waitFor();
    await page.selectOption(tid(TID.smoothingSelect), '100');
    expect(await page.locator(tid(TID.smoothingNote)).textContent()).toContain('EMA over steps, half-life 100 steps');
    const legend = (chart: string) => page.locator(`${tid(chart)} .u-legend .u-series`);
    await poll(() => legend(TID.normChart).filter({ hasText: '‖g‖ EMA' }).count()).toBe(1);
    await poll(() => legend(TID.lossChart).filter({ hasText: 'loss EMA' }).count()).toBe(1);
    await poll(() => countColoredPixels(page, `${tid(TID.normChart)} canvas`, '--c-norm', 'plot')).toBeGreaterThan(300);

    // Hover: the legend's EMA at that step is the EMA of the very series the page fetched.
    const over = await restingBox(norm.locator('.u-over'));
    await page.mouse.move(over.x + over.width * 0.6, over.y + over.height / 2);
    const step = Number(await legend(TID.normChart).first().locator('.u-value').textContent());
    expect(step).toBeGreaterThan(1000);
    const shown = await legend(TID.normChart).filter({ hasText: '‖g‖ EMA' }).locator('.u-value').textContent();
    const fetched = fromStepSeries((await (await fetch(stepUrls[stepUrls.length - 1])).json()) as StepSeries);
    const ema = emaOverSteps(fetched.lastStep, fetched.normLast, 100, fetched.step.length, firstSpan(fetched));
    expect(shown).toBe(fmtNum(ema[fetched.step.indexOf(step)]));
    // The synced cursor: the clipped fraction at that step is the rolling one, over the window said.
    const window = clipWindow(fetched.bucketSize);
    expect(await page.locator(`${tid(TID.coefChart)} ${tid(TID.chartNote)}`).textContent()).toBe(`clipped fraction: rolling over ${window} steps, of finite steps`);
    const fraction = rollingClipFraction(fetched, window)[fetched.step.indexOf(step)]!;
    expect(fraction).toBeGreaterThan(0.05);
    expect(fraction).toBeLessThan(0.95);
    expect(await legend(TID.coefChart).filter({ hasText: 'clipped fraction' }).locator('.u-value').textContent()).toBe(fmtNum(fraction));
    await elementShot(page.locator(tid(TID.coefChart)), 'clip-fraction-light');
    await screenshot(page, 'smoothing-light');
    await elementShot(norm, 'smoothing-norm-light');

    await page.click(tid(TID.themeToggle));
    await poll(() => legend(TID.normChart).filter({ hasText: '‖g‖ EMA' }).count()).toBe(1);
    await elementShot(norm, 'smoothing-norm-dark');
    await elementShot(page.locator(tid(TID.lossChart)), 'smoothing-loss-dark');
    await elementShot(page.locator(tid(TID.coefChart)), 'clip-fraction-dark');
    await page.selectOption(tid(TID.smoothingSelect), '0');
    await poll(() => legend(TID.normChart).filter({ hasText: '‖g‖ EMA' }).count()).toBe(0);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('compare view', () => {
  it('should compare any metric with markers, log scale and smoothing, show a missing run as missing while the others draw, and append live steps', async () => {
    const { page, errors } = await openPage(browser, 'about:blank');
    const stepRequests: string[] = [];
    page.on('request', (r) => r.url().includes('/steps?') && stepRequests.push(r.url()));
    await page.goto(`${server.url}/#/compare/${spikyId},${divergedId},no-such-run`);
    const chart = page.locator(tid(TID.compareChart));
    const canvas = `${tid(TID.compareChart)} canvas`;
    await chart.locator('canvas').waitFor();
    await poll(() => page.locator(`.compare-view ${tid(TID.error)}`).textContent()).toContain('Run "no-such-run": not found. The other runs are drawn.');
    await poll(() => page.locator(`${tid(TID.compareRun)}.missing`).textContent()).toBe('no-such-run: not found');
    // The early spike (5000) would flatten the others on a linear scale: log by itself, said so.
    await poll(() => page.locator(`${tid(TID.compareChart)} ${tid(TID.scaleNote)}`).textContent()).toMatch(/^auto: the values span [\d.]+ decades$/);
    expect(await page.locator(tid(TID.logToggle)).isChecked()).toBe(true);
    // Both present runs drawn in their own colours (series 1 and 2 of the palette).
    await poll(() => countColoredPixels(page, canvas, '--c-norm', 'plot')).toBeGreaterThan(300);
    await poll(() => countColoredPixels(page, canvas, '--c-nonfinite', 'plot')).toBeGreaterThan(300);
    expect(await chart.locator('.u-legend .u-series').filter({ hasText: 'no-such-run (missing)' }).count()).toBe(1);
    const divergedMarker = chart.locator(`${tid(TID.nonFiniteMarker)}[data-run="${divergedId}"]:visible`);
    await poll(() => divergedMarker.count()).toBe(1);
    expect(await divergedMarker.getAttribute('data-count')).toBe('260');

    await page.selectOption(tid(TID.compareMetric), 'loss');
    await poll(() => chart.locator('h3').textContent()).toBe('Loss');
    await poll(() => divergedMarker.getAttribute('title')).toBe('diverged: 260 non-finite loss values in steps 600–859');
    await poll(() => countColoredPixels(page, canvas, '--c-nonfinite', 'plot')).toBeGreaterThan(300);

    await page.selectOption(tid(TID.compareMetric), 'clipped');
    await poll(() => page.locator(tid(TID.clipWindowNote)).textContent()).toMatch(/^rolling over [\d,]+ steps, of finite steps$/);
    await poll(() => countColoredPixels(page, canvas, '--c-norm', 'plot')).toBeGreaterThan(300);

    await page.selectOption(tid(TID.compareMetric), 'norm');
    // The user's choice wins: linear, then log again.
    await page.click(tid(TID.logToggle));
    await poll(() => page.locator(tid(TID.logToggle)).isChecked()).toBe(false);
    await page.click(tid(TID.logToggle));
    await page.selectOption(tid(TID.smoothingSelect), '100');
    await poll(() => chart.locator('.u-legend .u-series').filter({ hasText: 'EMA' }).count()).toBe(2);
    await poll(() => countColoredPixels(page, canvas, '--c-norm', 'plot')).toBeGreaterThan(300);
    await screenshot(page, 'compare-readable-light');

    // Live steps are appended (no new fetch of that run's steps).
    const before = stepRequests.filter((u) => u.includes(divergedId)).length;
    await postSteps(server.url, divergedId, makeSteps({ steps: 50, start: 1000, layers: false }));
    await poll(() => page.locator(`${tid(TID.compareRun)}[data-run-id="${divergedId}"]`).textContent()).toContain('last step 1,049');
    expect(stepRequests.filter((u) => u.includes(divergedId)).length).toBe(before);

    await page.click(tid(TID.themeToggle));
    await poll(() => countColoredPixels(page, canvas, '--c-nonfinite', 'plot')).toBeGreaterThan(300);
    await screenshot(page, 'compare-readable-dark');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('run page', () => {
  it('should show the config, a CSV link, clear a stale what-if on error, and warn of a warm-up without threshold with a cap to apply', async () => {
    const config = { lr: 0.001, layers: [64, 64], optimizer: { name: 'adam', betas: [0.9, 0.999] } };
    const res = await fetch(`${server.url}/api/runs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'with-config', project: 'readable', config, policy: { kind: 'percentile', p: 90 } }),
    });
    const { id } = (await res.json()) as { id: string };
    await postSteps(server.url, id, makeSteps({ steps: 300, layers: false }));
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${id}`);
    await poll(() => page.locator(tid(TID.runLastStepValue)).textContent()).toBe('299');

    const panel = page.locator(tid(TID.runConfig));
    await poll(() => panel.locator('summary').textContent()).toBe('Config (3 keys)');
    expect(await page.locator(tid(TID.runConfigJson)).isVisible()).toBe(false);
    await panel.locator('summary').click();
    expect(JSON.parse((await page.locator(tid(TID.runConfigJson)).textContent()) ?? '')).toEqual(config);
    // Live summaries carry no config: a new step must not blank it.
    await postSteps(server.url, id, makeSteps({ steps: 1, start: 300, layers: false }));
    await poll(() => page.locator(tid(TID.runLastStepValue)).textContent()).toBe('300');
    await poll(() => page.locator(tid(TID.runStepsValue)).textContent()).toBe('301');
    expect(JSON.parse((await page.locator(tid(TID.runConfigJson)).textContent()) ?? '')).toEqual(config);

    const href = await page.locator(tid(TID.csvLink)).getAttribute('href');
    const csv = await (await fetch(`${server.url}${href}`)).text();
    const lines = csv.trim().split('\r\n');
    expect(lines[0]).toBe('step,gradNorm,loss,lr,threshold,coef,action,time');
    expect(lines).toHaveLength(302);

    // A what-if result, then a bad request: the old table and overlay go with the error.
    const whatIf = page.locator(tid(TID.whatIfForm));
    await whatIf.locator('select[name=kind]').selectOption('fixed');
    await whatIf.locator('input[name=maxNorm]').fill('1.5');
    await page.click(tid(TID.whatIfRun));
    await page.locator(tid(TID.whatIfSummary)).waitFor();
    await poll(() => countColoredPixels(page, normCanvas, '--c-whatif', 'plot')).toBeGreaterThan(200);
    await whatIf.locator('select[name=kind]').selectOption('percentile');
    await whatIf.locator('input[name=p]').fill('150');
    await page.click(tid(TID.whatIfRun));
    await poll(() => page.locator(`${tid(TID.whatIfMessage)}.error`).textContent()).toMatch(/p/);
    expect(await page.locator(tid(TID.whatIfSummary)).isVisible()).toBe(false);
    await poll(() => countColoredPixels(page, normCanvas, '--c-whatif', 'plot')).toBe(0);

    // percentile -> zscore restarts the zscore statistics: 25 steps without a threshold.
    const form = page.locator(tid(TID.policyForm));
    const warning = page.locator(tid(TID.policyWarning));
    expect(await warning.isVisible()).toBe(false);
    await form.locator('select[name=kind]').selectOption('zscore');
    await poll(() => warning.textContent()).toContain('Switching from percentile to zscore starts a 25-step warm-up with no threshold');
    expect(await page.locator(tid(TID.policyCap)).textContent()).toBe('cap at 2');
    await form.locator('input[name=warmupSteps]').fill('40');
    await poll(() => warning.textContent()).toContain('a 40-step warm-up');
    await page.click(tid(TID.policyCap));
    expect(await form.locator('input[name=maxNorm]').inputValue()).toBe('2');
    expect(await warning.isVisible()).toBe(false);
    await screenshot(page, 'run-page-light');
    await page.click(tid(TID.policyApply));
    await poll(() => page.locator(tid(TID.policyMessage)).textContent()).toContain('version 2');
    const applied = (await (await fetch(`${server.url}/api/runs/${id}/policy`)).json()) as { policy: Record<string, unknown> };
    expect(applied.policy).toMatchObject({ kind: 'zscore', warmupSteps: 40, maxNorm: 2 });

    await page.click(tid(TID.themeToggle));
    // zscore -> zscore keeps its statistics: no warm-up. A percentile warm-up counts the
    // run's finite norms (301 so far): 1000 leaves 699 steps without a threshold.
    await form.locator('input[name=maxNorm]').fill('');
    await poll(() => warning.isVisible()).toBe(false);
    await form.locator('select[name=kind]').selectOption('percentile');
    await form.locator('input[name=warmupSteps]').fill('1000');
    await poll(() => warning.textContent()).toContain('Switching from zscore to percentile starts a 699-step warm-up');
    await screenshot(page, 'run-page-dark');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('runs list', () => {
  it('should show clip rate over finite steps with skipped apart, created, duration, policy and id, sort by column, search, and fall to 0 steps/s', async () => {
    const observe = (await createRun(server.url, 'observe-only', 'runs-list')).id;
    // 40 applied, 260 skipped (finite norms): the old clip rate counted these as 87 %.
    const steps = makeSteps({ steps: 300, layers: false, threshold: 100 }).map((s, i) => ({ ...s, action: i < 40 ? ('apply' as const) : ('skip' as const) }));
    await postSteps(server.url, observe, steps);
    const twins: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = (await createRun(server.url, 'linear-regression', 'runs-list')).id;
      await postSteps(server.url, id, makeSteps({ steps: 50 + 10 * i, layers: false, threshold: 1.2 + 0.3 * i }));
      twins.push(id);
    }
    const { page, errors } = await openPage(browser, 'about:blank');
    await page.clock.install();
    await page.goto(`${server.url}/#/`);
    const row = (id: string) => page.locator(`${tid(TID.runRow)}[data-run-id="${id}"]`);
    const cell = (id: string, col: string) => row(id).locator(`td[data-col="${col}"]`);
    await poll(() => cell(observe, 'clip').textContent()).toBe('0.0%');
    expect(await cell(observe, 'skipped').textContent()).toBe('260');
    const summaries = (await (await fetch(`${server.url}/api/runs`)).json()) as { id: string; clipped: number; steps: number; nonFinite: number }[];
    const diverged = summaries.find((s) => s.id === divergedId)!;
    const pct = (100 * diverged.clipped) / (diverged.steps - diverged.nonFinite);
    expect(await cell(divergedId, 'clip').textContent()).toBe(`${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}%`);
    expect(await cell(spikyId, 'policy').textContent()).toBe('v2 zscore z=2.5');
    expect(await cell(spikyId, 'created').textContent()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    expect(await cell(spikyId, 'duration').textContent()).toMatch(/^\d+ (s|min)$/);
    // Same names, told apart by their ids.
    for (const id of twins) expect(await row(id).locator(tid(TID.runIdCell)).textContent()).toBe(id);

    // Steps just arrived: a rate; then nothing for longer than the rate window: 0.
    await poll(() => cell(twins[2], 'rate').textContent()).not.toBe('0');
    await page.clock.fastForward(12_000);
    await poll(() => cell(twins[2], 'rate').textContent()).toBe('0');

    // Sort by clip rate: descending first, then ascending; the order the clipped fractions give.
    const order = () => page.locator(tid(TID.runRow)).evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.runId));
    const rate = (id: string) => {
      const s = summaries.find((x) => x.id === id);
      return s && s.steps - s.nonFinite > 0 ? s.clipped / (s.steps - s.nonFinite) : -1;
    };
    await page.click(`${tid(TID.runsSortHeader)}[data-sort="clip"]`);
    await poll(async () => {
      const ids = (await order()) as string[];
      return ids.every((id, i) => i === 0 || rate(ids[i - 1]) >= rate(id));
    }).toBe(true);
    expect(await page.locator(`${tid(TID.runsSortHeader)}[data-sort="clip"]`).getAttribute('aria-sort')).toBe('descending');
    await page.click(`${tid(TID.runsSortHeader)}[data-sort="clip"]`);
    await poll(async () => ((await order()) as string[])[0]).toBe(observe);
    await screenshot(page, 'runs-list-light');

    // Search on the server: by name, by an id's middle, by project.
    await page.fill(tid(TID.runsSearch), 'LINEAR');
    await poll(async () => ((await order()) as string[]).sort()).toEqual([...twins].sort());
    await page.fill(tid(TID.runsSearch), twins[1].slice(3, 10));
    await poll(() => order()).toEqual([twins[1]]);
    await page.fill(tid(TID.runsSearch), 'runs-list');
    await poll(async () => ((await order()) as string[]).sort()).toEqual([observe, ...twins].sort());
    await page.click(tid(TID.themeToggle));
    await screenshot(page, 'runs-list-dark');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('per-layer heatmap', () => {
  it('should keep 150 layers readable, show its colour scale, skip the start of training for "first to spike", and zoom by dragging', async () => {
    const names = Array.from({ length: 150 }, (_, i) => `block${i}.weight`);
    const id = (await createRun(server.url, 'wide-model', 'readable')).id;
    const steps = makeSteps({ steps: 400, layers: false }).map((s, i) => ({
      ...s,
      // Every layer starts 10× above its later level (initialisation); block42 spikes at 250.
      layers: Object.fromEntries(names.map((n, l) => [n, (i < 6 ? 10 : 1) * (n === 'block42.weight' && i === 250 ? 30 : 1) * (0.5 + l / 150)])),
    }));
    await postSteps(server.url, id, steps, 100);
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${id}`);
    const heatmap = page.locator(tid(TID.heatmap));
    await poll(() => page.locator(tid(TID.heatmapFirst)).textContent()).toBe(
      'first to spike: block42.weight at step 250 (30× median) · ratio spikes in the first 20 steps (the start of training) not counted',
    );
    // 12 px rows for 150 layers (labels readable), in a box that scrolls.
    const canvas = heatmap.locator('canvas');
    expect(await canvas.evaluate((c) => c.getBoundingClientRect().height)).toBe(150 * 12 + 22);
    const scroll = page.locator(tid(TID.heatmapScroll));
    expect(await scroll.evaluate((el) => el.scrollHeight > el.clientHeight + 1000)).toBe(true);
    const scale = page.locator(tid(TID.heatmapScale));
    expect(await scale.textContent()).toBe('×¼  ×32non-finite (any NaN/±Inf in the bucket)');
    // The first-spiking layer (row 42 of 150) is scrolled into view.
    expect(await scroll.evaluate((el) => el.scrollTop)).toBeGreaterThan(300);
    expect(await scale.locator('.heatmap-ramp').evaluate((el) => getComputedStyle(el).backgroundImage)).toMatch(/^linear-gradient\(to right, rgb\(68, 1, 84\)/);
    await elementShot(heatmap, 'heatmap-light');

    // Drag across it: every chart zooms, as a drag on the charts does.
    await scroll.scrollIntoViewIfNeeded();
    const box = await restingBox(scroll);
    await page.mouse.move(box.x + box.width * 0.4, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.7, box.y + 40, { steps: 5 });
    await page.mouse.up();
    await poll(() => page.locator(tid(TID.followToggle)).textContent()).toMatch(/zoomed to \d+–\d+/);
    await page.click(tid(TID.themeToggle));
    await page.locator(tid(TID.followToggle)).click();
    await poll(() => page.locator(tid(TID.followToggle)).textContent()).toBe('following live');
    await elementShot(heatmap, 'heatmap-dark');
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
