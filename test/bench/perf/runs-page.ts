// The runs page with 5,000 runs: the longest task (PerformanceObserver 'longtask') while the
// first page loads and while every older page is shown in turn, in Debian's Chromium.
//   node --conditions=gradpilot-source --import tsx test/bench/perf/runs-page.ts [runs]
import { RUNS_PAGE } from '../../../client/src/api.ts';
import { TID } from '../../../client/src/testids.ts';
import { buildClient } from '../../../server/cli/build-client-lib.js';
import { launchChromium, openPage } from '../../browser/support/browser.ts';
import { withServer } from '../../support/server.ts';

const runs = Number(process.argv[2] ?? 5000);
await buildClient();
const server = await withServer();
const browser = await launchChromium();
try {
  for (let i = 0; i < runs; i++) {
    await fetch(`${server.url}/api/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: `run ${i}`, project: `p${i % 7}`, config: { i } }) });
  }
  const { page } = await openPage(browser, 'about:blank');
  await page.addInitScript(() => {
    (window as unknown as { longTasks: number[] }).longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) (window as unknown as { longTasks: number[] }).longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const t0 = Date.now();
  await page.goto(`${server.url}/#/`);
  const rows = page.locator(`[data-testid="${TID.runRow}"]`);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="run-row"]').length >= n, Math.min(RUNS_PAGE, runs));
  const firstPageMs = Date.now() - t0;
  const older = page.locator(`[data-testid="${TID.olderRuns}"]`);
  const label = page.locator(`[data-testid="${TID.runsPageLabel}"]`);
  let pages = 1;
  while (await older.isVisible()) {
    const before = await label.textContent();
    await older.click();
    await page.waitForFunction((text) => document.querySelector('[data-testid="runs-page-label"]')?.textContent !== text, before);
    pages++;
  }
  const tasks = await page.evaluate(() => (window as unknown as { longTasks: number[] }).longTasks);
  const max = tasks.length ? Math.max(...tasks) : 0;
  process.stdout.write(`${runs} runs, pages of ${RUNS_PAGE}: first page shown in ${firstPageMs} ms; ` +
    `${pages} pages shown one after the other, ${await rows.count()} rows in the last; ${tasks.length} long tasks, longest ${max.toFixed(0)} ms (${tasks.map((t) => t.toFixed(0)).join(" ")})\n`);
} finally {
  await browser.close();
  await server.close();
}
