// Many runs: the runs page shows one page at a time (newest first), older and newer pages
// on request, the project filter asks the server, and a new run appears on the first page.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RUNS_PAGE } from '../../client/src/api.ts';
import { TID } from '../../client/src/testids.ts';
import { withServer, type TestServer } from '../support/server.ts';
import { launchChromium, openPage } from './support/browser.ts';

const tid = (id: string) => `[data-testid="${id}"]`;
const RUNS = 2 * RUNS_PAGE + 50;
const runName = (i: number) => `run ${String(i).padStart(4, '0')}`;

let browser: Browser;
let server: TestServer;

async function createRun(name: string, project?: string): Promise<string> {
  const res = await fetch(`${server.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, project }) });
  return ((await res.json()) as { id: string }).id;
}

beforeAll(async () => {
  [server, browser] = await Promise.all([withServer(), launchChromium()]);
  for (let i = 0; i < RUNS; i++) await createRun(runName(i), i % 50 === 0 ? 'fiftieth' : undefined);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

it('should page through the runs newest first, filter by project on the server, and put a new run on top', async () => {
  const { page, errors } = await openPage(browser, `${server.url}/#/`);
  const rows = page.locator(tid(TID.runRow));
  const older = page.locator(tid(TID.olderRuns));
  const newer = page.locator(tid(TID.newerRuns));
  const label = page.locator(tid(TID.runsPageLabel));
  await expect.poll(() => rows.count(), { timeout: 15_000 }).toBe(RUNS_PAGE);
  expect(await rows.first().locator('a').textContent()).toBe(runName(RUNS - 1));
  expect(await label.textContent()).toBe(`runs 1–${RUNS_PAGE}`);
  expect(await newer.isHidden()).toBe(true);

  await older.click();
  await expect.poll(() => label.textContent()).toBe(`runs ${RUNS_PAGE + 1}–${2 * RUNS_PAGE}`);
  expect(await rows.count()).toBe(RUNS_PAGE);
  expect(await rows.first().locator('a').textContent()).toBe(runName(RUNS - 1 - RUNS_PAGE));
  await older.click();
  await expect.poll(() => label.textContent()).toBe(`runs ${2 * RUNS_PAGE + 1}–${RUNS}`);
  expect(await rows.count()).toBe(RUNS - 2 * RUNS_PAGE);
  expect(await older.isHidden()).toBe(true);
  expect(await rows.last().locator('a').textContent()).toBe(runName(0));
  await newer.click();
  await newer.click();
  await expect.poll(() => label.textContent()).toBe(`runs 1–${RUNS_PAGE}`);

  await page.locator(tid(TID.projectFilter)).selectOption('fiftieth');
  await expect.poll(() => rows.count()).toBe(Math.ceil(RUNS / 50));
  await page.locator(tid(TID.projectFilter)).selectOption('');
  await expect.poll(() => rows.count()).toBe(RUNS_PAGE);

  const id = await createRun('created while open');
  await expect.poll(() => rows.first().getAttribute('data-run-id'), { timeout: 10_000 }).toBe(id);
  expect(errors).toEqual([]);
  await page.context().close();
});
