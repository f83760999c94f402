// Streams steps into a run while the dashboard shows it, and reports whether the page kept
// up: how long after the last POST the page showed the last step, and the main thread's
// long tasks (> 50 ms) meanwhile.
//   npx tsx test/browser/live-stream.ts [seconds=10] [stepsPerPost=200] [xAxis=step|relative|wall]
import { buildClient } from '../../server/cli/build-client-lib.js';
import { withServer } from '../support/server.ts';
import { launchChromium } from './support/browser.ts';
import { makeSteps, postSteps, seedRun } from './support/seed.ts';

const seconds = Number(process.argv[2] ?? 10);
const perPost = Number(process.argv[3] ?? 200);
const xAxis = process.argv[4] ?? 'step';

await buildClient();
const server = await withServer();
const browser = await launchChromium();
try {
  const id = await seedRun(server.url, { name: 'stream', steps: 5000, spikeAt: [1000] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  // The x axis as the page would remember it (a string: tsx's helpers do not exist in the page).
  await page.addInitScript(`localStorage.setItem('gradpilot.xAxis', ${JSON.stringify(xAxis)})`);
  await page.goto(`${server.url}/#/runs/${id}`);
  await page.locator('[data-testid="run-view-last-step"]').filter({ hasText: '4,999' }).waitFor({ timeout: 30_000 });
  // Strings, not functions: tsx's helpers (__name) do not exist in the page.
  await page.evaluate(
    `window.__long = []; new PerformanceObserver((l) => { for (const e of l.getEntries()) window.__long.push(Math.round(e.duration)); }).observe({ entryTypes: ['longtask'] });`,
  );
  let next = 5000;
  const t0 = Date.now();
  while (Date.now() - t0 < seconds * 1000) {
    await postSteps(server.url, id, makeSteps({ steps: perPost, start: next }));
    next += perPost;
    await new Promise((r) => setTimeout(r, 100));
  }
  const sent = Date.now();
  const last = (next - 1).toLocaleString('en-US');
  await page.waitForFunction(`document.querySelector('[data-testid="run-view-last-step"]').textContent === '${last}'`, undefined, { timeout: 30_000 });
  const caughtUp = Date.now() - sent;
  const long = JSON.parse(await page.evaluate<string>('JSON.stringify(window.__long)')) as number[];
  const streamed = next - 5000;
  process.stdout.write(
    `streamed ${streamed} steps in ${((sent - t0) / 1000).toFixed(1)} s (${Math.round(streamed / ((sent - t0) / 1000))} steps/s over HTTP); ` +
      `page showed the last step ${caughtUp} ms after the last POST\n` +
      `long tasks: ${long.length}, longest ${long.length ? Math.max(...long) : 0} ms, total ${long.reduce((a, b) => a + b, 0)} ms\n`,
  );
} finally {
  await browser.close();
  await server.close();
}
