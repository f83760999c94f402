// Issue 15 items 3 and 6: step, relative time and wall time on the run page's x axis (kept
// across reloads; zoom, hover and markers in every mode; a run stored without times says so)
// and in the compare view,
// and a layer's NaN inside a wide heatmap bucket drawn in the non-finite colour. Real server,
// data posted by the test (and a database file of the previous schema), pixels and DOM asserted.
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TID } from '../../client/src/testids.ts';
import { fmtRelative, fmtWall } from '../../client/src/x-axis.ts';
import type { WireStep } from '../../sdk/protocol/api-types.ts';
import { encodeNumber } from '../../sdk/protocol/wire-number.ts';
import { startServer } from '../../server/start-server.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { elementShot, launchChromium, openPage, restingBox, screenshot } from './support/browser.ts';
import { createRun, makeSteps, postSteps } from './support/seed.ts';

const tid = (id: string) => `[data-testid="${id}"]`;
const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 10_000 });

const T0 = Date.UTC(2025, 11, 1, 12, 0, 0);
/** Steps 0..299 a second apart, a 10-minute stall, then steps 300..599 a second apart. */
const timeOf = (step: number) => T0 + step * 1000 + (step >= 300 ? 600_000 : 0);
const NAN_STEP = 450;

let browser: Browser;
let server: TestServer;
let stalledId: string;
let steadyId: string;
let layersId: string;

beforeAll(async () => {
  [server, browser] = await Promise.all([withServer(), launchChromium()]);
  stalledId = (await createRun(server.url, 'stalled', 'time-axis')).id;
  const steps: WireStep[] = makeSteps({ steps: 600, nanAt: [NAN_STEP], layers: false }).map((s) => ({ ...s, time: timeOf(s.step) }));
  await postSteps(server.url, stalledId, steps);
  // The same steps a second apart throughout, started a day later.
  steadyId = (await createRun(server.url, 'steady', 'time-axis')).id;
  await postSteps(server.url, steadyId, steps.map((s) => ({ ...s, time: T0 + 86_400_000 + s.step * 1000 })));

  // 4000 steps, three layers; "b" is NaN at step 400 only, so every bucket of the heatmap
  // (at most 400 of them) that holds step 400 also holds numbers of "b". "a" spikes at 200, so
  // the first-spike outline (drawn in the non-finite colour too) is not around b's cell.
  layersId = (await createRun(server.url, 'layer-nan', 'time-axis')).id;
  const layered = makeSteps({ steps: 4000, layers: false }).map((s) => ({
    ...s,
    layers: { a: s.step === 200 ? 50 : 0.5 + (s.step % 5) / 10, b: s.step === 400 ? encodeNumber(Number.NaN) : 1 + (s.step % 3) / 10, c: 2 },
  }));
  await postSteps(server.url, layersId, layered, 1000);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

/** Where the NaN marker stands across the norm chart's plot area, 0..1. */
async function markerFraction(page: Page): Promise<number> {
  const norm = page.locator(tid(TID.normChart));
  const marker = norm.locator(`${tid(TID.nonFiniteMarker)}:visible`);
  await poll(() => marker.count()).toBe(1);
  const over = await restingBox(norm.locator('.u-over'));
  const box = await restingBox(marker);
  return (box.x + box.width / 2 - over.x) / over.width;
}

/** The hover legend's x value (step, and time in the time modes) with the cursor at `fraction` of the plot. */
async function hoverLegend(page: Page, fraction: number): Promise<string> {
  const norm = page.locator(tid(TID.normChart));
  const over = await restingBox(norm.locator('.u-over'));
  await page.mouse.move(over.x + over.width * fraction, over.y + over.height / 2);
  return (await norm.locator('.u-legend .u-series').first().locator('.u-value').textContent()) ?? '';
}

describe('x axis', () => {
  it('should put steps, relative time or wall time on the x axis, keep the choice across reloads, and hover and zoom in each', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/#/runs/${stalledId}`);
    await page.locator(`${tid(TID.normChart)} canvas`).waitFor();
    expect(await page.locator(tid(TID.xAxisSelect)).inputValue()).toBe('step');
    // Step axis: the NaN at step 450 sits at 450/599 of the plot.
    expect(await markerFraction(page)).toBeCloseTo(NAN_STEP / 599, 2);

    // Relative time: 1199 s in all, the stall takes 600 s of it, so step 450 (at 1050 s) moves right.
    await page.selectOption(tid(TID.xAxisSelect), 'relative');
    const span = (timeOf(599) - T0) / 1000;
    await poll(() => markerFraction(page)).toBeCloseTo((timeOf(NAN_STEP) - T0) / 1000 / span, 2);
    expect(await page.locator(tid(TID.xAxisNote)).textContent()).toBe("since the run's first step");
    // Hover: the legend names the step under the cursor and its time since the first step.
    const rel = await hoverLegend(page, 0.9);
    const [stepText, timeText] = rel.split(' · ');
    const hovered = Number(stepText);
    expect(hovered).toBeGreaterThan(300);
    expect(timeText).toBe(fmtRelative((timeOf(hovered) - T0) / 1000));
    // The stall (299 s to 899 s): at 40 % of the plot (480 s) the step is 299 or 300, not 240.
    const inStall = Number((await hoverLegend(page, 0.4)).split(' · ')[0]);
    expect([299, 300]).toContain(inStall);
    await elementShot(page.locator(tid(TID.normChart)), 'x-relative-light');

    // Kept across a reload, like the other toggles.
    await page.reload();
    await page.locator(`${tid(TID.normChart)} canvas`).waitFor();
    expect(await page.locator(tid(TID.xAxisSelect)).inputValue()).toBe('relative');
    await poll(() => markerFraction(page)).toBeCloseTo((timeOf(NAN_STEP) - T0) / 1000 / span, 2);

    // Zoom by dragging across 10 %..30 % of the plot: 120 s..360 s, i.e. steps 120 to ~300 (the
    // stall), where the same drag on a step axis would give 60..180.
    const over = await restingBox(page.locator(`${tid(TID.normChart)} .u-over`));
    await page.mouse.move(over.x + over.width * 0.1, over.y + over.height / 2);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.3, over.y + over.height / 2, { steps: 5 });
    await page.mouse.up();
    const zoomed = page.locator(tid(TID.followToggle));
    await poll(() => zoomed.textContent()).toMatch(/^zoomed to \d+–\d+/);
    const [, from, to] = /zoomed to (\d+)–(\d+)/.exec((await zoomed.textContent()) ?? '')!.map(Number);
    expect(from).toBeGreaterThanOrEqual(115);
    expect(from).toBeLessThanOrEqual(125);
    expect(to).toBeGreaterThanOrEqual(298);
    expect(to).toBeLessThanOrEqual(302);
    await zoomed.click();
    await poll(() => zoomed.textContent()).toBe('following live');

    // Wall time: the same positions as relative time, the legend in local date and time.
    await page.selectOption(tid(TID.xAxisSelect), 'wall');
    await poll(() => markerFraction(page)).toBeCloseTo((timeOf(NAN_STEP) - T0) / 1000 / span, 2);
    const wall = await hoverLegend(page, 0.9);
    const wallStep = Number(wall.split(' · ')[0]);
    expect(wall).toBe(`${wallStep} · ${fmtWall(timeOf(wallStep), true)}`);
    await screenshot(page, 'x-wall-light');
    await page.click(tid(TID.themeToggle));
    await poll(() => markerFraction(page)).toBeCloseTo((timeOf(NAN_STEP) - T0) / 1000 / span, 2);
    await elementShot(page.locator(tid(TID.normChart)), 'x-wall-dark');
    await elementShot(page.locator(tid(TID.lossChart)), 'x-wall-loss-dark');

    // Back to steps.
    await page.selectOption(tid(TID.xAxisSelect), 'step');
    await poll(() => markerFraction(page)).toBeCloseTo(NAN_STEP / 599, 2);
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('should draw steps and say so for a run stored without times (a database file of the previous schema)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gradpilot-old-browser-'));
    const db = path.join(dir, 'old.db');
    copyFileSync(path.join(import.meta.dirname, '../server/fixtures/rollup-layout-3.db'), db);
    const old = await startServer({ db, port: 0, host: '127.0.0.1' });
    try {
      const { page, errors } = await openPage(browser, `${old.url}/#/runs/old-run-id`, {
        prepare: async (p) => void (await p.addInitScript(() => localStorage.setItem('gradpilot.xAxis', 'relative'))),
      });
      await page.locator(`${tid(TID.normChart)} canvas`).waitFor();
      expect(await page.locator(tid(TID.xAxisSelect)).inputValue()).toBe('relative');
      await poll(() => page.locator(tid(TID.xAxisNote)).textContent()).toBe('no wall-clock times stored for these steps (an older server): showing steps');
      // Steps on the axis: the legend shows a plain step.
      await poll(() => hoverLegend(page, 0.5)).toMatch(/^\d+$/);
      expect(errors).toEqual([]);
      await page.context().close();
    } finally {
      await old.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('compare on a time axis', () => {
  it("should overlay runs by each one's time since its first step, their markers where their own steps are", async () => {
    const { page, errors } = await openPage(browser, `${server.url}/#/compare/${stalledId},${steadyId}`, {
      prepare: async (p) => void (await p.addInitScript(() => localStorage.setItem('gradpilot.xAxis', 'relative'))),
    });
    const chart = page.locator(tid(TID.compareChart));
    await chart.locator('canvas').waitFor();
    expect(await page.locator(tid(TID.xAxisSelect)).inputValue()).toBe('relative');
    const over = await restingBox(chart.locator('.u-over'));
    const at = async (run: string) => {
      const marker = chart.locator(`${tid(TID.nonFiniteMarker)}[data-run="${run}"]:visible`);
      await poll(() => marker.count()).toBe(1);
      const box = await restingBox(marker);
      return (box.x + box.width / 2 - over.x) / over.width;
    };
    // The axis spans the stalled run's 1199 s; its NaN at 1050 s, the steady run's at 450 s.
    await poll(() => at(stalledId)).toBeCloseTo(1050 / 1199, 2);
    await poll(() => at(steadyId)).toBeCloseTo(450 / 1199, 2);
    await page.mouse.move(over.x + over.width * 0.25, over.y + over.height / 2);
    expect(await chart.locator('.u-legend .u-series').first().textContent()).toMatch(/^since start\d/);
    await elementShot(chart, 'compare-relative-light');
    // A drag across 10 %..30 % (120 s..360 s) zooms each run to its own steps of those times.
    const asked = new Map<string, [number, number]>();
    page.on('request', (r) => {
      const m = /\/api\/runs\/([^/]+)\/steps\?points=\d+&from=(\d+)&to=(\d+)/.exec(r.url());
      if (m) asked.set(m[1], [Number(m[2]), Number(m[3])]);
    });
    await page.mouse.move(over.x + over.width * 0.1, over.y + over.height / 2);
    await page.mouse.down();
    await page.mouse.move(over.x + over.width * 0.3, over.y + over.height / 2, { steps: 5 });
    await page.mouse.up();
    await poll(() => asked.size).toBe(2);
    const [sFrom, sTo] = asked.get(stalledId)!;
    const [tFrom, tTo] = asked.get(steadyId)!;
    expect(Math.abs(sFrom - 120)).toBeLessThanOrEqual(5);
    expect(Math.abs(sTo - 300)).toBeLessThanOrEqual(2); // the stall: 360 s is between steps 299 and 300
    expect(Math.abs(tFrom - 120)).toBeLessThanOrEqual(5);
    expect(Math.abs(tTo - 360)).toBeLessThanOrEqual(5);
    await page.mouse.dblclick(over.x + over.width / 2, over.y + over.height / 2);
    await page.click(tid(TID.themeToggle));
    await poll(() => at(steadyId)).toBeCloseTo(450 / 1199, 2);
    await elementShot(chart, 'compare-relative-dark');
    // On steps both NaNs are at step 450 again.
    await page.selectOption(tid(TID.xAxisSelect), 'step');
    await poll(() => at(stalledId)).toBeCloseTo(450 / 599, 2);
    await poll(() => at(steadyId)).toBeCloseTo(450 / 599, 2);
    expect(errors).toEqual([]);
    await page.context().close();
  });
});

describe('per-layer heatmap', () => {
  it("should draw a layer's NaN at step 400 in the non-finite colour although its bucket holds numbers, and explain the colour", async () => {
    const layers = await (await fetch(`${server.url}/api/runs/${layersId}/layers?points=400`)).json();
    expect(layers.bucketSize).toBeGreaterThan(1); // the NaN shares its bucket with numbers
    for (const theme of ['light', 'dark'] as const) {
      const { page, errors } = await openPage(browser, `${server.url}/#/runs/${layersId}`, { theme });
      const heatmap = page.locator(tid(TID.heatmap));
      await poll(() => page.locator(tid(TID.heatmapFirst)).textContent()).toMatch(/^first to spike: a at step (19\d|200) \([\d.]+× median\)/);
      expect(await page.locator(tid(TID.heatmapScale)).textContent()).toBe('×¼  ×32non-finite (any NaN/±Inf in the bucket)');
      // Per row: the pixels in the non-finite colour, and where they are across the plot.
      const rows = await heatmap.locator('canvas').evaluate((canvas: HTMLCanvasElement) => {
        const probe = document.createElement('div');
        probe.style.color = 'var(--c-nonfinite)';
        document.body.append(probe);
        const rgb = getComputedStyle(probe).color.match(/\d+/g)!.map(Number);
        probe.remove();
        const ctx = canvas.getContext('2d')!;
        const scale = canvas.height / canvas.getBoundingClientRect().height;
        const rowH = 22 * scale; // three layers: 22 px rows
        return [0, 1, 2].map((row) => {
          const y = Math.round(row * rowH + rowH / 2);
          const { data } = ctx.getImageData(0, y, canvas.width, 1);
          const xs: number[] = [];
          for (let x = 0; x < canvas.width; x++) {
            const i = x * 4;
            if (Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1]) + Math.abs(data[i + 2] - rgb[2]) < 40) xs.push(x / scale);
          }
          return xs;
        });
      });
      expect(rows[0].filter((x) => x > rows[1][0] - 20)).toEqual([]); // a's outline is at step 200, left of b's cell
      expect(rows[2]).toEqual([]);
      expect(rows[1].length).toBeGreaterThan(0);
      expect(rows[1][rows[1].length - 1] - rows[1][0]).toBeLessThan(6); // one cell (or two), not a row
      // ... at step 400 of 0..3999 on the norm chart's x axis, which the heatmap shares.
      await heatmap.scrollIntoViewIfNeeded();
      const over = await restingBox(page.locator(`${tid(TID.normChart)} .u-over`));
      const canvasBox = await restingBox(heatmap.locator('canvas'));
      const middle = (rows[1][0] + rows[1][rows[1].length - 1]) / 2 + canvasBox.x;
      expect((middle - over.x) / over.width).toBeCloseTo(400 / 3999, 1);
      // Hover says how many NaN/±Inf norms the bucket held.
      await page.mouse.move(middle, canvasBox.y + 22 + 11);
      await poll(() => heatmap.locator('canvas').getAttribute('title')).toMatch(/^b · steps \d+\+: max [\d.]+ \(.*× median\) · 1 non-finite$/);
      await elementShot(heatmap, `heatmap-nonfinite-${theme}`);
      expect(errors).toEqual([]);
      await page.context().close();
    }
  });
});
