// One headless Chromium per test file, launched the way the CI machine can run it.
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export const ARTIFACTS = path.resolve('test-artifacts');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A fresh page (own context: own localStorage/theme) that records page errors. */
export async function openPage(
  browser: Browser,
  url: string,
  {
    theme = 'light' as 'light' | 'dark',
    width = 1400,
    height = 1000,
    /** Runs before the navigation (dialog handlers, init scripts). */
    prepare = (_page: Page): void | Promise<void> => {},
  } = {},
): Promise<{ page: Page; errors: string[] }> {
  const context = await browser.newContext({ viewport: { width, height }, colorScheme: theme });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await prepare(page);
  await page.goto(url);
  return { page, errors };
}

/**
 * An element's viewport box once it has stopped moving: the same in two animation frames in a
 * row (Playwright's own "stable" rule for clicks). `page.mouse` takes raw viewport coordinates
 * and waits for nothing, so a box read while the page still scrolls (a smooth scrollIntoView
 * started by the previous click, say) sends the drag somewhere else.
 */
export function restingBox(locator: Locator): Promise<{ x: number; y: number; width: number; height: number }> {
  return locator.evaluate(async (el) => {
    let prev: DOMRect | null = null;
    for (;;) {
      await new Promise((resolve) => requestAnimationFrame(resolve));
      const r = el.getBoundingClientRect();
      if (prev && r.x === prev.x && r.y === prev.y && r.width === prev.width && r.height === prev.height) {
        return { x: r.x, y: r.y, width: r.width, height: r.height };
      }
      prev = r;
    }
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

/** A screenshot of one element (a chart panel, say), to look at its details at full size. */
export async function elementShot(locator: Locator, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await locator.screenshot({ path: file });
  return file;
}

/** Which part of a uPlot canvas to count in: its plot area (`.u-over`), above or below it. */
export type CanvasArea = 'all' | 'plot' | 'above-plot' | 'below-plot';

/**
 * Counts canvas pixels close to a CSS colour (given as the name of a custom property):
 * proof that a series was actually drawn, not just the axes. `area` narrows the count to a
 * part of a uPlot chart, e.g. to check that nothing of a colour lands inside the plot.
 */
export function countColoredPixels(page: Page, selector: string, cssVar: string, area: CanvasArea = 'all'): Promise<number> {
  return page.evaluate(
    ({ selector, cssVar, area }) => {
      const canvas = document.querySelector<HTMLCanvasElement>(selector);
      if (!canvas) return -1;
      const probe = document.createElement('div');
      probe.style.color = `var(${cssVar})`;
      document.body.append(probe);
      const rgb = getComputedStyle(probe).color.match(/\d+/g)!.map(Number);
      probe.remove();
      let y0 = 0;
      let y1 = canvas.height;
      if (area !== 'all') {
        const over = canvas.closest('.uplot')?.querySelector('.u-over');
        if (!over) return -1;
        const c = canvas.getBoundingClientRect();
        const o = over.getBoundingClientRect();
        const scale = canvas.height / c.height;
        const top = Math.round((o.top - c.top) * scale);
        const bottom = Math.round((o.bottom - c.top) * scale);
        [y0, y1] = area === 'plot' ? [top, bottom] : area === 'above-plot' ? [0, top] : [bottom, canvas.height];
      }
      if (y1 <= y0) return 0;
      const ctx = canvas.getContext('2d')!;
      const { data } = ctx.getImageData(0, y0, canvas.width, y1 - y0);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3] > 200 && Math.abs(data[i] - rgb[0]) + Math.abs(data[i + 1] - rgb[1]) + Math.abs(data[i + 2] - rgb[2]) < 60) n++;
      }
      return n;
    },
    { selector, cssVar, area },
  );
}

/** The canvas pixel [r, g, b, a] under a viewport point (CSS pixels), e.g. inside a band. */
export function pixelAt(page: Page, selector: string, x: number, y: number): Promise<number[]> {
  return page.evaluate(
    ({ selector, x, y }) => {
      const canvas = document.querySelector<HTMLCanvasElement>(selector)!;
      const r = canvas.getBoundingClientRect();
      const scale = canvas.width / r.width;
      const d = canvas.getContext('2d')!.getImageData(Math.round((x - r.left) * scale), Math.round((y - r.top) * scale), 1, 1).data;
      return [d[0], d[1], d[2], d[3]];
    },
    { selector, x, y },
  );
}
